import type { AnsweredVia, CaseGrade, CaseSource, CaseStatus, CompensationKind, SurveyStatus } from './feedback.entity';
import type { ComplaintCategory, Indicator, IndicatorScores, ShareChannel, WinbackRule } from './feedback.rules';

/** The feedback module's shapes: what its use cases take and answer, and what the delivery engine reports. */

export interface SurveyAnswerInput {
  indicators: IndicatorScores;
  nps: number;
  comment?: string;
}

/** Where a promoter says they shared their experience. */
export interface ShareInput {
  channel: ShareChannel;
}

export interface SurveyView {
  id: string;
  /** 'expired': open but past its date. */
  status: SurveyStatus | 'expired';
  expiresAt: Date;
  order: { id: string; paidAt: Date; doctor: { name: string } | null; projects: { id: string; name: string }[] };
  questions: { key: Indicator; label: string }[];
  answer: { indicators: Partial<IndicatorScores> | null; nps: number; comment: string | null; answeredAt: Date; via: AnsweredVia } | null;
  /** True for an answered survey with an NPS of 9–10 not yet shared. */
  canShare: boolean;
  sharedAt: Date | null;
}

export interface ShareResult {
  sharedAt: Date;
  channel: string;
  /** Points granted for sharing (0 when the program gives none). */
  points: number;
  replayed: boolean;
}

export interface ComplaintInput {
  category: ComplaintCategory;
  text: string;
  /** Public id of one of the client's own orders. */
  orderId?: string;
  requestId: string;
}

export interface ClientCaseView {
  id: string;
  category: string | null;
  status: CaseStatus;
  createdAt: Date;
  resolvedAt: Date | null;
}

export interface CaseView {
  id: string;
  client: { id: string };
  source: CaseSource;
  grade: CaseGrade;
  category: string | null;
  status: CaseStatus;
  assigneeRole: string;
  deadlineAt: Date;
  overdue: boolean;
  escalatedAt: Date | null;
  order: { id: string } | null;
  survey: { id: string; nps: number | null } | null;
  createdAt: Date;
  resolvedAt: Date | null;
}

export interface CaseDetail extends CaseView {
  /** The complaint's text (decrypted). */
  text: string | null;
  /** The survey answer behind a survey case. */
  answer: { indicators: Partial<IndicatorScores> | null; nps: number | null; comment: string | null } | null;
  resolution: string | null;
  resolvedBy: { id: string; name: string } | null;
  /** What the supervisor gave: the voucher's rule and id, or the free review appointment's id. */
  compensation: { kind: CompensationKind; rule: string | null; ref: string | null } | null;
}

export interface CaseListQuery {
  status?: CaseStatus;
  overdue?: boolean;
  page: number;
  pageSize: number;
}

/** What a supervisor gives when resolving a case: a win-back voucher, or a free review appointment at a time agreed with the client. */
export type Compensation = { kind: 'voucher'; rule: WinbackRule } | { kind: 'review_appointment'; at: Date };

/** The body that resolves a case: the appointment time is still the ISO string the client sent. */
export interface ResolveCaseInput {
  resolution: string;
  compensation?: { kind: CompensationKind; rule?: WinbackRule; at?: string };
}

/** A report's Asia/Shanghai calendar dates (YYYY-MM-DD), both included; either may be left to its default. */
export interface ReportRange {
  from?: string;
  to?: string;
}

export interface SatisfactionFigures {
  responses: number;
  promoters: number;
  passives: number;
  detractors: number;
  /** promoters% − detractors%, one decimal; null without answers. */
  nps: number | null;
  /** Average of each indicator (two decimals); null when nobody scored it (e.g. only WeCom digit replies). */
  indicators: Record<Indicator, number | null>;
}

export interface SatisfactionReport {
  from: string;
  to: string;
  overall: SatisfactionFigures;
  byDoctor: (SatisfactionFigures & { doctor: { id: string; name: string } })[];
  byProject: (SatisfactionFigures & { project: { id: string; code: string; name: string } })[];
  /** Cases resolved in the range and what the supervisors gave: 主管 follow-up of low scores. */
  compensations: CompensationFigures;
}

export interface CompensationFigures {
  resolved: number;
  /** Resolved without compensation. */
  none: number;
  vouchers: { rule: string; count: number }[];
  reviewAppointments: number;
}

/** A message the delivery engine delivered, as its hooks report it (DeliveryService `hooks`). */
export interface DeliveredMessage {
  kind: string;
  clientId: number | null;
  /** 'wecom', 'subscribe' or 'staff_task'. */
  channel: string;
  payload: Record<string, unknown>;
  at: Date;
}
