import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import type { FieldCipher } from '../../shared/crypto';
import { isDeadlock, runInTransaction } from '../../shared/db';
import type { Logger } from '../../shared/logger';
import type { AuditService } from '../audit';
import { ClientAccess } from '../clients';
import type { StaffRole } from '../staff';
import type { WorklistService } from '../worklist';
import type { OutboxService } from '../outbox';
import type { PointsService } from '../points';
import type { RewardsService } from '../rewards';
import type { ConsultationsService } from '../consultations';
import type { AnsweredVia, CaseGrade, CaseSource, CaseStatus, CompensationKind, SurveyStatus } from './feedback.entity';
import { INDICATOR_COLUMNS, INDICATORS, type IndicatorScores } from './feedback.rules';
import type { ClientCaseView } from './feedback.types';

export interface FeedbackDeps {
  db: DataSource;
  config: Config;
  clock: Clock;
  cipher: FieldCipher;
  audit: AuditService;
  outbox: OutboxService;
  points: PointsService;
  worklist: Pick<WorklistService, 'create' | 'cancel'>;
  /** The voucher engine (a win-back voucher) and the appointments (a free review) a supervisor's compensation gives. */
  rewards?: Pick<RewardsService, 'issueByRule'>;
  consultations?: Pick<ConsultationsService, 'appointments'>;
  logger: Logger;
}

/** The associated data binding each encrypted feedback value to its row and column. */
export const feedbackAad = {
  surveyComment: (surveyPublicId: string) => `satisfaction_surveys:${surveyPublicId}:comment`,
  caseText: (casePublicId: string) => `feedback_cases:${casePublicId}:text`,
  caseResolution: (casePublicId: string) => `feedback_cases:${casePublicId}:resolution`,
};

/** A satisfaction_surveys row as `SELECT *` answers it (the indicator columns by their names). */
export interface SurveyRow {
  id: number;
  public_id: string;
  client_id: number;
  order_id: number;
  status: SurveyStatus;
  expires_at: Date;
  nps: number | null;
  comment_enc: Buffer | null;
  answered_via: AnsweredVia | null;
  answer_hash: string | null;
  answered_at: Date | null;
  shared_at: Date | null;
  share_channel: string | null;
  [score: string]: unknown;
}

/** A feedback_cases row with the public ids CASE_SELECT joins in. */
export interface CaseRow {
  id: number;
  public_id: string;
  client_id: number;
  client_public_id: string;
  source: CaseSource;
  survey_id: number | null;
  survey_public_id: string | null;
  survey_nps: number | null;
  order_public_id: string | null;
  category: string | null;
  text_enc: Buffer | null;
  request_hash: string | null;
  grade: CaseGrade;
  status: CaseStatus;
  assignee_role: string;
  deadline_at: Date;
  escalated_at: Date | null;
  resolution_enc: Buffer | null;
  resolved_at: Date | null;
  resolved_by_public_id: string | null;
  resolved_by_name: string | null;
  compensation_kind: CompensationKind | null;
  compensation_rule: string | null;
  compensation_ref: string | null;
  created_at: Date;
}

export const CASE_SELECT = `SELECT fc.*, c.public_id AS client_public_id, s.public_id AS survey_public_id, s.nps AS survey_nps,
    o.public_id AS order_public_id, st.public_id AS resolved_by_public_id, st.display_name AS resolved_by_name
  FROM feedback_cases fc
  JOIN clients c ON c.id = fc.client_id
  LEFT JOIN satisfaction_surveys s ON s.id = fc.survey_id
  LEFT JOIN orders o ON o.id = fc.order_id
  LEFT JOIN staff st ON st.id = fc.resolved_by`;

export const GRADE_LABEL: Record<CaseGrade, string> = { high: '高', medium: '中', low: '低' };
export const SOURCE_LABEL: Record<CaseSource, string> = { survey: '差评', complaint: '投诉' };
export const DAY_MS = 86400_000;

/** The worklist task of a case: opened with the case, cancelled when it is resolved. */
export const caseTaskKey = (casePublicId: string) => `feedback_case:${casePublicId}`;

/** The indicator scores of a survey row; null when none was given (a WeCom digit reply scores only the NPS). */
export function scoresOf(row: Record<string, unknown>): Partial<IndicatorScores> | null {
  const out: Partial<IndicatorScores> = {};
  for (const i of INDICATORS) {
    const v = row[INDICATOR_COLUMNS[i]];
    if (v !== null && v !== undefined) out[i] = Number(v);
  }
  return Object.keys(out).length ? out : null;
}

export function clientCaseView(r: Pick<CaseRow, 'public_id' | 'category' | 'status' | 'created_at' | 'resolved_at'>): ClientCaseView {
  return { id: r.public_id, category: r.category, status: r.status, createdAt: r.created_at, resolvedAt: r.resolved_at };
}

/**
 * What the survey, answer, case, compensation and report use cases share: dependencies, the
 * client-access rule, the roles that work cases, transactions and the encrypted free texts.
 */
export class FeedbackSupport {
  readonly log: Logger;

  /** The client-access rule: cases (complaints, poor ratings) are the `archive` section of their client. */
  readonly access: ClientAccess;

  /** Staff roles that see and resolve cases: the director, customer service and the configured assignee role. */
  readonly caseRoles: StaffRole[];

  /** Who may give a compensation when resolving: the supervisor role (主管, configurable) and the director. */
  readonly compensatorRoles: StaffRole[];

  constructor(readonly deps: FeedbackDeps) {
    this.log = deps.logger;
    this.access = new ClientAccess(deps);
    const { caseAssigneeRole, supervisorRole } = deps.config.feedback;
    this.caseRoles = [...new Set<StaffRole>(['director', 'customer_service', caseAssigneeRole, supervisorRole])];
    this.compensatorRoles = [...new Set<StaffRole>(['director', supervisorRole])];
  }

  get db(): DataSource {
    return this.deps.db;
  }

  now(): Date {
    return this.deps.clock.now();
  }

  /** A short READ COMMITTED transaction, retried on deadlock (the points account lock can meet the survey row lock). */
  tx<T>(work: (m: EntityManager) => Promise<T>, retryIf: (err: unknown) => boolean = isDeadlock): Promise<T> {
    return runInTransaction(this.deps.db, work, { retryIf });
  }

  seal(text: string, aadText: string): Buffer {
    return this.deps.cipher.encrypt(text, aadText);
  }

  /** A stored free text (comment, complaint, resolution), decrypted; null when there is none. */
  reveal(blob: Buffer | null, aadText: string): string | null {
    return blob ? this.deps.cipher.decrypt(blob, aadText) : null;
  }
}
