import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import { shanghaiDate, shanghaiMinute } from '../../shared/clock';
import { AppError, CommonErrors, notFound, validationError } from '../../shared/errors';
import { isDeadlock, isDuplicateKey, runInTransaction } from '../../shared/db';
import { FieldCipher, publicId, sha256 } from '../../shared/crypto';
import { rowsAfter, type RowsAfter } from '../../shared/watermark';
import type { Logger } from '../../shared/logger';
import type { Actor, AuditService } from '../audit';
import { ClientAccess } from '../clients';
import type { StaffRole } from '../staff';
import type { WorklistService } from '../worklist';
import type { OutboxService } from '../outbox';
import type { PointsService } from '../points';
import type { RewardsService } from '../rewards';
import type { ConsultationsService } from '../consultations';
import type { AnsweredVia, CaseGrade, CaseSource, CaseStatus, InvitedVia, SurveyStatus } from './feedback.entity';
import { FeedbackErrors } from './feedback.errors';
import {
  ComplaintCategory, complaintGrade, DETRACTOR_AT_MOST, INDICATOR_COLUMNS, INDICATOR_LABELS, INDICATORS, Indicator, IndicatorScores,
  netPromoterScore, PROMOTER_FROM, ShareChannel, surveyCaseGrade, type WinbackRule,
} from './feedback.rules';

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

/** What a supervisor gives when resolving a case: a win-back voucher, or a free review appointment at a time agreed with the client. */
export type Compensation = { kind: 'voucher'; rule: WinbackRule } | { kind: 'review_appointment'; at: Date };

/** A message the delivery engine delivered, as its hooks report it (DeliveryService `hooks`). */
export interface DeliveredMessage {
  kind: string;
  clientId: number | null;
  /** 'wecom', 'subscribe' or 'staff_task'. */
  channel: string;
  payload: Record<string, unknown>;
  at: Date;
}

const INVITE_CHANNELS: readonly InvitedVia[] = ['wecom', 'subscribe', 'staff_task'];

/** The survey a delivered message invited to: the follow-up plan's survey step names it in the payload. */
function invitedSurvey(d: DeliveredMessage): string | null {
  if (d.kind !== 'client_message' || d.payload.purpose !== 'survey' || d.clientId === null || !INVITE_CHANNELS.includes(d.channel as InvitedVia)) return null;
  if (typeof d.payload.surveyId === 'string') return d.payload.surveyId;
  // Rows queued before the payload named it: the survey page's id parameter.
  const page = (d.payload.card as { pagePath?: unknown } | undefined)?.pagePath;
  return typeof page === 'string' ? /[?&]id=([^&]+)/.exec(page)?.[1] ?? null : null;
}

/** The associated data binding each encrypted feedback value to its row and column. */
export const feedbackAad = {
  surveyComment: (surveyPublicId: string) => `satisfaction_surveys:${surveyPublicId}:comment`,
  caseText: (casePublicId: string) => `feedback_cases:${casePublicId}:text`,
  caseResolution: (casePublicId: string) => `feedback_cases:${casePublicId}:resolution`,
};

export interface SurveyAnswerInput {
  indicators: IndicatorScores;
  nps: number;
  comment?: string;
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
  compensation: { kind: 'voucher' | 'review_appointment'; rule: string | null; ref: string | null } | null;
}

export interface CaseListQuery {
  status?: CaseStatus;
  overdue?: boolean;
  page: number;
  pageSize: number;
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

interface SurveyRow {
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

interface CaseRow {
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
  compensation_kind: 'voucher' | 'review_appointment' | null;
  compensation_rule: string | null;
  compensation_ref: string | null;
  created_at: Date;
}

const CASE_SELECT = `SELECT fc.*, c.public_id AS client_public_id, s.public_id AS survey_public_id, s.nps AS survey_nps,
    o.public_id AS order_public_id, st.public_id AS resolved_by_public_id, st.display_name AS resolved_by_name
  FROM feedback_cases fc
  JOIN clients c ON c.id = fc.client_id
  LEFT JOIN satisfaction_surveys s ON s.id = fc.survey_id
  LEFT JOIN orders o ON o.id = fc.order_id
  LEFT JOIN staff st ON st.id = fc.resolved_by`;

const GRADE_LABEL: Record<CaseGrade, string> = { high: '高', medium: '中', low: '低' };
const SOURCE_LABEL: Record<CaseSource, string> = { survey: '差评', complaint: '投诉' };
const DAY_MS = 86400_000;

function scoresOf(row: Record<string, unknown>): Partial<IndicatorScores> | null {
  const out: Partial<IndicatorScores> = {};
  for (const i of INDICATORS) {
    const v = row[INDICATOR_COLUMNS[i]];
    if (v !== null && v !== undefined) out[i] = Number(v);
  }
  return Object.keys(out).length ? out : null;
}

/** Local time on the Shanghai calendar, for messages staff read ("2026-03-02 14:05"). */
/**
 * Satisfaction surveys, complaints and the cases they open. An answer, its case,
 * its staff task and its outbox rows commit together; a promoter's share grants points once; an
 * overdue case alerts the director once (conditional UPDATE plus the outbox dedupe key).
 */
export class FeedbackService {
  private readonly log: Logger;

  /** Staff roles that see and resolve cases: the director, customer service and the configured assignee role. */
  readonly caseRoles: StaffRole[];

  /** Who may give a compensation when resolving: the supervisor role (主管, configurable) and the director. */
  readonly compensatorRoles: StaffRole[];

  /** The client-access rule: cases (complaints, poor ratings) are the `archive` section of their client. */
  private readonly access: ClientAccess;

  constructor(private readonly deps: FeedbackDeps) {
    this.log = deps.logger;
    this.access = new ClientAccess(deps);
    const { caseAssigneeRole, supervisorRole } = deps.config.feedback;
    this.caseRoles = [...new Set<StaffRole>(['director', 'customer_service', caseAssigneeRole, supervisorRole])];
    this.compensatorRoles = [...new Set<StaffRole>(['director', supervisorRole])];
  }

  // ---- surveys ----

  /**
   * Opens the satisfaction survey of a paid order (the follow-up plan sends its link around day 7);
   * once per order: opening it again returns the same public id. 409 SURVEY_ORDER_INVALID when the
   * order is not the client's or was voided.
   */
  async openSurvey(m: EntityManager | null, input: { clientId: number; orderId: number }): Promise<string> {
    if (!m) return this.tx((tx) => this.openSurvey(tx, input));
    return (await this.openSurveys(m, [input])).get(input.orderId)!;
  }

  /**
   * openSurvey for many orders in one go (the due scan's batch): one read of the orders, one
   * multi-row INSERT that keeps the survey already open for an order, one read back. Answers the
   * public ids by order id; any order that is not the client's paid order refuses the whole batch.
   */
  async openSurveys(m: EntityManager, inputs: { clientId: number; orderId: number }[]): Promise<Map<number, string>> {
    const byOrder = new Map(inputs.map((i) => [i.orderId, i.clientId]));
    if (!byOrder.size) return new Map();
    const ids = [...byOrder.keys()];
    const orders: { id: number; client_id: number; status: string }[] = await m.query(
      `SELECT id, client_id, status FROM orders WHERE id IN (${ids.map(() => '?').join(',')})`, ids,
    );
    const valid = new Map(orders.map((o) => [Number(o.id), o]));
    for (const [orderId, clientId] of byOrder) {
      const o = valid.get(orderId);
      if (!o || Number(o.client_id) !== clientId || o.status === 'voided') throw new AppError(FeedbackErrors.SURVEY_ORDER_INVALID, 'No paid order of this client to survey');
    }
    const now = this.deps.clock.now();
    const expires = new Date(now.getTime() + this.deps.config.feedback.surveyValidDays * DAY_MS);
    await m.query(
      `INSERT INTO satisfaction_surveys (public_id, client_id, order_id, status, expires_at, created_at)
       VALUES ${ids.map(() => "(?, ?, ?, 'open', ?, ?)").join(', ')} ON DUPLICATE KEY UPDATE satisfaction_surveys.id = satisfaction_surveys.id`,
      ids.flatMap((orderId) => [publicId(), byOrder.get(orderId), orderId, expires, now]),
    );
    // A locking read sees the committed rows whatever the caller's isolation level.
    const rows: { order_id: number; public_id: string }[] = await m.query(
      `SELECT order_id, public_id FROM satisfaction_surveys WHERE order_id IN (${ids.map(() => '?').join(',')}) LOCK IN SHARE MODE`, ids,
    );
    if (rows.length !== ids.length) throw new Error('a survey could not be opened (public id collision): try again');
    return new Map(rows.map((r) => [Number(r.order_id), r.public_id]));
  }

  /** The client's surveys still to answer, newest first. */
  async listPending(clientId: number): Promise<SurveyView[]> {
    const rows: SurveyRow[] = await this.deps.db.query(
      `SELECT * FROM satisfaction_surveys WHERE client_id = ? AND status = 'open' AND expires_at > ? ORDER BY id DESC LIMIT 50`,
      [clientId, this.deps.clock.now()],
    );
    return this.views(rows);
  }

  /** One of the client's own surveys; another client's survey is simply not found. */
  async getForClient(clientId: number, surveyPublicId: string): Promise<SurveyView> {
    const rows: SurveyRow[] = await this.deps.db.query('SELECT * FROM satisfaction_surveys WHERE public_id = ? AND client_id = ?', [surveyPublicId, clientId]);
    if (!rows.length) throw notFound('Survey');
    return (await this.views(rows))[0];
  }

  /**
   * Records the client's answer, once. The same answer sent again replays; another one is 409
   * SURVEY_ALREADY_ANSWERED. A promoter gets an invitation to share; a poor answer opens a case.
   */
  async answer(clientId: number, surveyPublicId: string, input: SurveyAnswerInput): Promise<{ survey: SurveyView; replayed: boolean }> {
    const comment = input.comment?.trim() ? input.comment.trim() : null;
    const hash = sha256(JSON.stringify(['miniprogram', INDICATORS.map((i) => input.indicators[i]), input.nps, comment]));
    const replayed = await this.tx(async (m) => {
      const [row]: SurveyRow[] = await m.query('SELECT * FROM satisfaction_surveys WHERE public_id = ? AND client_id = ? FOR UPDATE', [surveyPublicId, clientId]);
      if (!row) throw notFound('Survey');
      if (row.status === 'answered') {
        if (row.answer_hash === hash) return true;
        throw new AppError(FeedbackErrors.SURVEY_ALREADY_ANSWERED, 'This survey has already been answered');
      }
      const now = this.deps.clock.now();
      if (row.expires_at <= now) throw new AppError(FeedbackErrors.SURVEY_EXPIRED, 'This survey has expired');
      const sets = INDICATORS.map((i) => `${INDICATOR_COLUMNS[i]} = ?`).join(', ');
      await m.query(
        `UPDATE satisfaction_surveys SET ${sets}, nps = ?, comment_enc = ?, answered_via = 'miniprogram', answer_hash = ?, answered_at = ?, status = 'answered' WHERE id = ?`,
        [
          ...INDICATORS.map((i) => input.indicators[i]), input.nps,
          comment === null ? null : this.deps.cipher.encrypt(comment, feedbackAad.surveyComment(row.public_id)), hash, now, row.id,
        ],
      );
      await this.afterAnswer(m, row, input.nps, input.indicators);
      return false;
    });
    return { survey: await this.getForClient(clientId, surveyPublicId), replayed };
  }

  /**
   * Whether a digit the client replies in WeCom would answer a survey: one is open, unexpired and
   * was asked in that chat (see recordNpsReply).
   */
  async hasSurveyAskedInChat(clientId: number): Promise<boolean> {
    const rows = await this.deps.db.query(
      `SELECT 1 FROM satisfaction_surveys WHERE client_id = ? AND status = 'open' AND expires_at > ? AND invited_via = 'wecom' LIMIT 1`,
      [clientId, this.deps.clock.now()],
    );
    return rows.length > 0;
  }

  /**
   * The bot's entry for a digit replied in WeCom (0–10): the NPS of the open survey the client was
   * last asked in the chat, with the same consequences as a mini-program answer. Null when there is
   * none: a survey whose invitation has not reached the chat yet (held for quiet hours, waiting
   * for the send budget), or went out only as a subscribe message or a staff task, was not asked
   * there, so a digit in the chat is not its answer.
   */
  async recordNpsReply(clientId: number, score: number): Promise<{ surveyId: string; nps: number } | null> {
    if (!Number.isInteger(score) || score < 0 || score > 10) {
      throw validationError([{ field: 'score', message: 'score must be an integer from 0 to 10', type: 'number.range' }]);
    }
    return this.tx(async (m) => {
      const [row]: SurveyRow[] = await m.query(
        `SELECT * FROM satisfaction_surveys WHERE client_id = ? AND status = 'open' AND expires_at > ? AND invited_via = 'wecom'
          ORDER BY invited_at DESC, id DESC LIMIT 1 FOR UPDATE`,
        [clientId, this.deps.clock.now()],
      );
      if (!row) return null;
      await m.query(
        `UPDATE satisfaction_surveys SET nps = ?, answered_via = 'bot', answer_hash = ?, answered_at = ?, status = 'answered' WHERE id = ? AND status = 'open'`,
        [score, sha256(JSON.stringify(['bot', score])), this.deps.clock.now(), row.id],
      );
      await this.afterAnswer(m, row, score, null);
      return { surveyId: row.public_id, nps: score };
    });
  }

  /**
   * A promoter (NPS 9–10) shared their experience: recorded once, with the review-sharing points
   * of the hospital's program, once (ledger key `review_shared:<survey>`). A repeat replays.
   */
  async share(clientId: number, surveyPublicId: string, channel: ShareChannel): Promise<ShareResult> {
    return this.tx(async (m) => {
      const [row]: SurveyRow[] = await m.query('SELECT * FROM satisfaction_surveys WHERE public_id = ? AND client_id = ? FOR UPDATE', [surveyPublicId, clientId]);
      if (!row) throw notFound('Survey');
      if (row.status !== 'answered' || row.nps === null || Number(row.nps) < PROMOTER_FROM) {
        throw new AppError(FeedbackErrors.SURVEY_NOT_SHAREABLE, 'Only a survey answered with 9 or 10 can be shared');
      }
      const replayed = row.shared_at !== null;
      const sharedAt = row.shared_at ?? this.deps.clock.now();
      if (!replayed) {
        await m.query('UPDATE satisfaction_surveys SET shared_at = ?, share_channel = ? WHERE id = ? AND shared_at IS NULL', [sharedAt, channel, row.id]);
      }
      const granted = await this.deps.points.earnForReviewShared(m, clientId, row.public_id);
      return { sharedAt, channel: row.share_channel ?? channel, points: granted ? granted.entry.delta : 0, replayed };
    });
  }

  // ---- complaints and cases ----

  /** A client's own complaint: a graded case for a supervisor with its staff task. Retry-safe by requestId. */
  async complain(clientId: number, input: ComplaintInput): Promise<{ complaint: ClientCaseView; replayed: boolean }> {
    const text = input.text.trim();
    const dedupeKey = `complaint:${clientId}:${input.requestId}`;
    const hash = sha256(JSON.stringify([input.category, text, input.orderId ?? null]));
    // The same request sent twice at once: the loser's insert meets the unique key, and its retry replays.
    const result = await this.tx(async (m) => {
      const [existing] = await m.query('SELECT id, request_hash FROM feedback_cases WHERE dedupe_key = ?', [dedupeKey]);
      if (existing) {
        if (existing.request_hash !== hash) throw new AppError(FeedbackErrors.IDEMPOTENCY_KEY_REUSED, 'This request id was already used for another complaint');
        return { id: Number(existing.id), replayed: true };
      }
      let orderId: number | null = null;
      if (input.orderId) {
        const [order] = await m.query('SELECT id FROM orders WHERE public_id = ? AND client_id = ?', [input.orderId, clientId]);
        if (!order) throw validationError([{ field: 'body.orderId', message: 'orderId is not one of your orders', type: 'any.invalid' }]);
        orderId = Number(order.id);
      }
      const id = await this.openCase(m, {
        clientId, source: 'complaint', dedupeKey, grade: complaintGrade(input.category), category: input.category, text, requestHash: hash, orderId, surveyId: null, nps: null,
      });
      return { id, replayed: false };
    }, (err) => isDeadlock(err) || isDuplicateKey(err));
    const [row]: CaseRow[] = await this.deps.db.query(`${CASE_SELECT} WHERE fc.id = ?`, [result.id]);
    return { complaint: clientCaseView(row), replayed: result.replayed };
  }

  /** The client's own complaints, newest first. */
  async listComplaints(clientId: number): Promise<ClientCaseView[]> {
    const rows: CaseRow[] = await this.deps.db.query(
      `SELECT public_id, category, status, created_at, resolved_at FROM feedback_cases WHERE client_id = ? AND source = 'complaint' ORDER BY id DESC LIMIT 50`,
      [clientId],
    );
    return rows.map(clientCaseView);
  }

  /** Cases opened after a watermark, for the staff notification stream (see rowsAfter). */
  openedAfter(afterId: number | null, limit?: number): Promise<RowsAfter<{ id: number; assigneeRole: StaffRole }>> {
    return rowsAfter(this.deps.db, 'feedback_cases t', 't.assignee_role AS assigneeRole', afterId, limit);
  }

  /** Open cases whose deadline passed since `since` (staff notices: each once), oldest deadline first. */
  async overdueSince(since: Date, now: Date, limit = 500): Promise<{ id: number; assigneeRole: StaffRole }[]> {
    const rows: { id: number; assigneeRole: StaffRole }[] = await this.deps.db.query(
      `SELECT id, assignee_role AS assigneeRole FROM feedback_cases WHERE status = 'open' AND deadline_at > ? AND deadline_at <= ? ORDER BY deadline_at, id LIMIT ?`,
      [since, now, limit],
    );
    return rows.map((r) => ({ id: Number(r.id), assigneeRole: r.assigneeRole }));
  }

  /** Cases for staff, most urgent first (audited: they name clients). */
  async listCases(actor: Actor, q: CaseListQuery): Promise<{ items: CaseView[]; page: number; hasMore: boolean }> {
    const now = this.deps.clock.now();
    const conds: string[] = [];
    const params: unknown[] = [];
    if (q.status) (conds.push('fc.status = ?'), params.push(q.status));
    if (q.overdue === true) (conds.push("fc.status = 'open' AND fc.deadline_at <= ?"), params.push(now));
    if (q.overdue === false) (conds.push("(fc.status <> 'open' OR fc.deadline_at > ?)"), params.push(now));
    // Cases name clients: the client-access rule decides which (a consultant assignee sees their own clients' cases).
    this.access.requireScope(actor, 'archive');
    const scope = this.access.filter(actor, 'archive');
    conds.push(scope.sql);
    params.push(...scope.params);
    const rows: CaseRow[] = await this.deps.db.query(
      `${CASE_SELECT} ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}
        ORDER BY fc.status = 'resolved', fc.deadline_at, fc.id LIMIT ? OFFSET ?`,
      [...params, q.pageSize + 1, (q.page - 1) * q.pageSize],
    );
    const items = rows.slice(0, q.pageSize).map((r) => this.caseView(r, now));
    await this.deps.audit.record(actor, 'feedback.cases.list', { details: { status: q.status ?? null, overdue: q.overdue ?? null, count: items.length } });
    return { items, page: q.page, hasMore: rows.length > q.pageSize };
  }

  /** One case with the complaint text and the survey answer (audited). */
  async getCase(actor: Actor, casePublicId: string): Promise<CaseDetail> {
    const row = await this.caseRow(this.deps.db.manager, casePublicId);
    await this.access.check(actor, { id: Number(row.client_id) }, 'archive', { action: 'feedback.case.view', notFound: notFound('Case'), includeDeleted: true });
    await this.deps.audit.record(actor, 'feedback.case.view', { clientId: row.client_id, details: { case: row.public_id } });
    return this.caseDetail(this.deps.db.manager, row);
  }

  /**
   * Closes an open case with what was done; 409 CASE_ALREADY_RESOLVED for a closed one. A supervisor
   * (or the director) may give a compensation: a win-back voucher, or a free review appointment; it
   * is written in the same transaction and the client is told. The audit row commits with it.
   */
  async resolveCase(actor: Actor, casePublicId: string, resolution: string, compensation?: Compensation): Promise<CaseDetail> {
    if (compensation && !this.compensatorRoles.includes(actor.role as StaffRole)) {
      throw new AppError(CommonErrors.FORBIDDEN, 'Only the supervisor (主管) may give a compensation', { roles: this.compensatorRoles });
    }
    const id = await this.tx(async (m) => {
      const row = await this.caseRow(m, casePublicId, true);
      await this.access.check(actor, { id: Number(row.client_id) }, 'archive', { m, action: 'feedback.case.resolve', notFound: notFound('Case'), includeDeleted: true });
      if (row.status !== 'open') throw new AppError(FeedbackErrors.CASE_ALREADY_RESOLVED, 'This case is already resolved');
      const given = compensation ? await this.compensate(m, row, compensation, actor) : null;
      await m.query(
        `UPDATE feedback_cases SET status = 'resolved', resolution_enc = ?, resolved_at = ?, resolved_by = ?, compensation_kind = ?, compensation_rule = ?, compensation_ref = ?
          WHERE id = ? AND status = 'open'`,
        [this.deps.cipher.encrypt(resolution.trim(), feedbackAad.caseResolution(row.public_id)), this.deps.clock.now(), actor.id,
          given?.kind ?? null, given?.rule ?? null, given?.ref ?? null, row.id],
      );
      await this.deps.audit.record(actor, 'feedback.case.resolve', { clientId: row.client_id, details: { case: row.public_id, grade: row.grade, compensation: given } }, m);
      // The case's task goes with it (a task completed on the worklist alone leaves the case open).
      await this.deps.worklist.cancel(m, caseTaskKey(row.public_id));
      return row.public_id;
    });
    return this.caseDetail(this.deps.db.manager, await this.caseRow(this.deps.db.manager, id));
  }

  /** Gives the compensation inside the resolving transaction and tells the client (once per case); returns what was given. */
  private async compensate(m: EntityManager, row: CaseRow, c: Compensation, actor: Actor): Promise<{ kind: Compensation['kind']; rule: string | null; ref: string }> {
    const clientId = Number(row.client_id);
    let given: { kind: Compensation['kind']; rule: string | null; ref: string };
    let text: string;
    let card: { title: string; pagePath: string };
    if (c.kind === 'voucher') {
      const [voucher] = this.deps.rewards ? await this.deps.rewards.issueByRule(m, c.rule, [{ clientId, period: `case:${row.public_id}` }]) : [];
      if (!voucher) throw new AppError(FeedbackErrors.COMPENSATION_UNAVAILABLE, 'This voucher is switched off', { field: 'body.compensation.rule' });
      given = { kind: 'voucher', rule: c.rule, ref: voucher.id };
      text = `感谢您的反馈，给您带来不好的体验非常抱歉。我们已改进相关服务，并为您送上${voucher.sentence}，到院出示券码即可使用。`;
      card = { title: voucher.title, pagePath: 'packageLoyalty/vouchers/index' };
    } else {
      if (!this.deps.consultations) throw new AppError(FeedbackErrors.COMPENSATION_UNAVAILABLE, 'Appointments are not available', { field: 'body.compensation' });
      // A consultation slot with the note saying it is the free review (the appointment kinds have no 'review' yet).
      const appointment = await this.deps.consultations.appointments.insert(m, clientId, { kind: 'consultation', at: c.at, note: '免费复诊（满意度回访补偿）' }, actor, 'body.compensation.at');
      given = { kind: 'review_appointment', rule: null, ref: appointment.publicId };
      text = `感谢您的反馈，给您带来不好的体验非常抱歉。我们已为您预约一次免费复诊：${shanghaiMinute(c.at)}，医生会当面为您检查并解答疑问。`;
      card = { title: '免费复诊', pagePath: 'packageSurvey/appointments/index' };
    }
    await this.deps.outbox.enqueue(m, {
      kind: 'client_message', dedupeKey: `winback:${row.public_id}`, clientId, payload: { text, purpose: 'care', card },
    });
    return given;
  }

  /**
   * The 'case-sla' task: every open case past its deadline alerts the director once — a
   * conditional UPDATE of `escalated_at` claims the case, the outbox key `case_overdue:<case>`
   * makes a second row impossible. One short transaction per case; returns how many were alerted.
   */
  async escalateOverdue(now: Date = this.deps.clock.now()): Promise<number> {
    let alerted = 0;
    let afterId = 0;
    for (;;) {
      const due: { id: number }[] = await this.deps.db.query(
        `SELECT id FROM feedback_cases WHERE status = 'open' AND escalated_at IS NULL AND deadline_at <= ? AND id > ? ORDER BY id LIMIT 200`,
        [now, afterId],
      );
      for (const { id } of due) {
        try {
          if (await this.tx((m) => this.escalate(m, Number(id), now))) alerted++;
        } catch (err) {
          this.log.warn({ caseId: Number(id), err }, 'overdue case could not be escalated; retried on the next run');
        }
      }
      if (due.length < 200) break;
      afterId = Number(due[due.length - 1].id);
    }
    return alerted;
  }

  // ---- reports ----

  /**
   * 满意度报表 (director): NPS and the ten indicator averages over answers given from `from` to `to`
   * (Shanghai calendar dates, both included; default the last 30 days), overall, per doctor (the
   * order's doctor) and per project (every project of the order). Set-based: three GROUP BY queries.
   */
  async satisfactionReport(range: { from?: string; to?: string } = {}): Promise<SatisfactionReport> {
    const { from, to } = reportRange(range, this.deps.clock.now());
    const start = new Date(`${from}T00:00:00+08:00`);
    const end = new Date(new Date(`${to}T00:00:00+08:00`).getTime() + DAY_MS);
    const agg = `COUNT(s.nps) AS responses, COALESCE(SUM(s.nps >= ${PROMOTER_FROM}), 0) AS promoters,
      COALESCE(SUM(s.nps <= ${DETRACTOR_AT_MOST}), 0) AS detractors, ${INDICATORS.map((i) => `AVG(s.${INDICATOR_COLUMNS[i]}) AS ${INDICATOR_COLUMNS[i]}`).join(', ')}`;
    const answered = `s.status = 'answered' AND s.answered_at >= ? AND s.answered_at < ?`;
    const [overall, doctors, projects, compensations] = await Promise.all([
      this.deps.db.query(`SELECT ${agg} FROM satisfaction_surveys s WHERE ${answered}`, [start, end]),
      this.deps.db.query(
        `SELECT st.public_id AS doctor_id, st.display_name AS doctor_name, ${agg}
           FROM satisfaction_surveys s JOIN orders o ON o.id = s.order_id JOIN staff st ON st.id = o.doctor_id
          WHERE ${answered} GROUP BY st.id, st.public_id, st.display_name ORDER BY responses DESC, st.id`,
        [start, end],
      ),
      // An order with two items of one project counts its survey once for that project.
      this.deps.db.query(
        `SELECT p.public_id AS project_id, p.code AS project_code, p.name AS project_name, ${agg}
           FROM (SELECT DISTINCT s.id AS survey_id, oi.project_id FROM satisfaction_surveys s JOIN order_items oi ON oi.order_id = s.order_id
                  WHERE ${answered}) sp
           JOIN satisfaction_surveys s ON s.id = sp.survey_id JOIN projects p ON p.id = sp.project_id
          GROUP BY p.id, p.public_id, p.code, p.name ORDER BY responses DESC, p.id`,
        [start, end],
      ),
      this.deps.db.query(
        `SELECT compensation_kind AS kind, compensation_rule AS rule, COUNT(*) AS n FROM feedback_cases
          WHERE status = 'resolved' AND resolved_at >= ? AND resolved_at < ? GROUP BY compensation_kind, compensation_rule`,
        [start, end],
      ),
    ]);
    return {
      from, to,
      overall: figures(overall[0]),
      byDoctor: doctors.map((r: Record<string, unknown>) => ({ doctor: { id: String(r.doctor_id), name: String(r.doctor_name) }, ...figures(r) })),
      byProject: projects.map((r: Record<string, unknown>) => ({
        project: { id: String(r.project_id), code: String(r.project_code), name: String(r.project_name) }, ...figures(r),
      })),
      compensations: compensationFigures(compensations),
    };
  }

  /**
   * For DeliveryService `hooks`, in the transaction that records the messages as sent: a survey
   * invitation that reached the client records when and through which channel. The first one
   * counts, except that a WeCom one replaces another channel's (it is what lets the chat answer).
   */
  readonly deliveryHooks = {
    onDelivered: async (m: EntityManager, delivered: DeliveredMessage[]): Promise<void> => {
      for (const d of delivered) {
        const surveyId = invitedSurvey(d);
        if (surveyId === null) continue;
        await m.query(
          `UPDATE satisfaction_surveys SET invited_at = ?, invited_via = ?
            WHERE public_id = ? AND client_id = ? AND (invited_via IS NULL OR (invited_via <> 'wecom' AND ? = 'wecom'))`,
          [d.at, d.channel, surveyId, d.clientId, d.channel],
        );
      }
    },
  };

  /**
   * The client's rights reach feedback too (PIPL), through ClientsService.addDataHooks: a deleted
   * account loses its free texts (comments, complaints, resolutions; the scores stay for the
   * anonymous reports), and the client's export lists their answers and complaints.
   */
  readonly clientDataHooks = {
    onAccountDeleted: async (m: EntityManager, clientId: number): Promise<void> => {
      await m.query('UPDATE satisfaction_surveys SET comment_enc = NULL WHERE client_id = ?', [clientId]);
      await m.query('UPDATE feedback_cases SET text_enc = NULL, resolution_enc = NULL WHERE client_id = ?', [clientId]);
    },
    exportSections: async (m: EntityManager, clientId: number): Promise<Record<string, unknown>> => {
      const surveys: SurveyRow[] = await m.query(`SELECT * FROM satisfaction_surveys WHERE client_id = ? AND status = 'answered' ORDER BY id`, [clientId]);
      const cases: CaseRow[] = await m.query(`SELECT * FROM feedback_cases WHERE client_id = ? AND source = 'complaint' ORDER BY id`, [clientId]);
      return {
        satisfactionSurveys: surveys.map((s) => ({
          id: s.public_id, answeredAt: s.answered_at, nps: s.nps === null ? null : Number(s.nps), indicators: scoresOf(s),
          comment: s.comment_enc ? this.deps.cipher.decrypt(s.comment_enc, feedbackAad.surveyComment(s.public_id)) : null, sharedAt: s.shared_at,
        })),
        complaints: cases.map((c) => ({
          ...clientCaseView(c), text: c.text_enc ? this.deps.cipher.decrypt(c.text_enc, feedbackAad.caseText(c.public_id)) : null,
        })),
      };
    },
  };

  // ---- internals ----

  /** A short READ COMMITTED transaction, retried on deadlock (the points account lock can meet the survey row lock). */
  private tx<T>(work: (m: EntityManager) => Promise<T>, retryIf: (err: unknown) => boolean = isDeadlock): Promise<T> {
    return runInTransaction(this.deps.db, work, { retryIf });
  }

  /** What an answer causes: an invitation for a promoter, a case for a poor answer. */
  private async afterAnswer(m: EntityManager, row: SurveyRow, nps: number, indicators: IndicatorScores | null): Promise<void> {
    if (nps >= PROMOTER_FROM) {
      const points = this.deps.config.points.reviewShared;
      // The hospital's review program: points for sharing an experience on a review platform, never for forwarding in WeChat.
      const text = points > 0
        ? `感谢您的认可！欢迎在小红书、大众点评等平台分享您的真实体验，参与医院会员评价计划可获得 ${points} 积分。`
        : '感谢您的认可！欢迎在小红书、大众点评等平台分享您的真实体验。';
      await this.deps.outbox.enqueue(m, {
        kind: 'client_message',
        dedupeKey: `review_invite:${row.public_id}`,
        clientId: row.client_id,
        payload: { text, card: { title: '分享我的体验', pagePath: `${this.deps.config.feedback.sharePage}?id=${row.public_id}` }, purpose: 'review_invite' },
      });
    }
    const grade = surveyCaseGrade(this.deps.config.feedback, nps, indicators);
    if (grade) {
      await this.openCase(m, {
        clientId: row.client_id, source: 'survey', dedupeKey: `survey:${row.id}`, grade, category: null, text: null, requestHash: null,
        orderId: row.order_id, surveyId: row.id, nps,
      });
    }
  }

  /** Inserts a case (once per dedupe key) and its staff task due at the deadline; returns the case id. */
  private async openCase(
    m: EntityManager,
    c: { clientId: number; source: CaseSource; dedupeKey: string; grade: CaseGrade; category: string | null; text: string | null; requestHash: string | null;
      orderId: number | null; surveyId: number | null; nps: number | null },
  ): Promise<number> {
    const now = this.deps.clock.now();
    const { caseDeadlineHours, caseAssigneeRole: complaintRole, supervisorRole } = this.deps.config.feedback;
    // A poor rating goes to the supervisor (主管) for a remedy (DOMAIN.md); a complaint to the case role.
    const caseAssigneeRole = c.source === 'survey' ? supervisorRole : complaintRole;
    const deadline = new Date(now.getTime() + caseDeadlineHours * 3600_000);
    const id = publicId();
    const res = await m.query(
      `INSERT INTO feedback_cases (public_id, dedupe_key, client_id, source, survey_id, order_id, category, text_enc, request_hash, grade, status, assignee_role, deadline_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)`,
      [id, c.dedupeKey, c.clientId, c.source, c.surveyId, c.orderId, c.category, c.text === null ? null : this.deps.cipher.encrypt(c.text, feedbackAad.caseText(id)),
        c.requestHash, c.grade, caseAssigneeRole, deadline, now],
    );
    // The task carries no complaint text: task details are not encrypted.
    await this.deps.worklist.create(m, {
      kind: 'feedback_case',
      dedupeKey: caseTaskKey(id),
      clientId: c.clientId,
      assigneeRole: caseAssigneeRole,
      title: `处理${GRADE_LABEL[c.grade]}级${SOURCE_LABEL[c.source]}（${caseDeadlineHours} 小时内）`,
      details: { caseId: id, source: c.source, grade: c.grade, category: c.category, nps: c.nps },
      dueAt: deadline,
    });
    this.log.info({ caseId: id, clientId: c.clientId, source: c.source, grade: c.grade }, 'feedback case opened');
    return Number(res.insertId);
  }

  private async escalate(m: EntityManager, id: number, now: Date): Promise<boolean> {
    const claimed = await m.query(
      `UPDATE feedback_cases SET escalated_at = ? WHERE id = ? AND status = 'open' AND escalated_at IS NULL AND deadline_at <= ?`,
      [now, id, now],
    );
    if (Number(claimed.affectedRows) !== 1) return false;
    const [row] = await m.query('SELECT public_id, client_id, grade, source, deadline_at FROM feedback_cases WHERE id = ?', [id]);
    // No client detail in the text: it travels through WeCom.
    const text = `【超时工单】${GRADE_LABEL[row.grade as CaseGrade]}级${SOURCE_LABEL[row.source as CaseSource]} ${row.public_id} 已超过处理时限（${shanghaiMinute(row.deadline_at)}）仍未解决，请跟进。`;
    const { created } = await this.deps.outbox.enqueue(m, {
      kind: 'staff_alert', dedupeKey: `case_overdue:${row.public_id}`, clientId: Number(row.client_id), payload: { text, staffRole: 'director' }, dueAt: now,
    });
    if (created) this.log.warn({ caseId: row.public_id, deadline: row.deadline_at }, 'feedback case overdue; director alerted');
    return created;
  }

  private async caseRow(m: EntityManager, casePublicId: string, lock = false): Promise<CaseRow> {
    if (lock) {
      const [locked] = await m.query('SELECT id FROM feedback_cases WHERE public_id = ? FOR UPDATE', [casePublicId]);
      if (!locked) throw notFound('Case');
    }
    const [row]: CaseRow[] = await m.query(`${CASE_SELECT} WHERE fc.public_id = ?`, [casePublicId]);
    if (!row) throw notFound('Case');
    return row;
  }

  private caseView(r: CaseRow, now: Date): CaseView {
    return {
      id: r.public_id,
      client: { id: r.client_public_id },
      source: r.source,
      grade: r.grade,
      category: r.category,
      status: r.status,
      assigneeRole: r.assignee_role,
      deadlineAt: r.deadline_at,
      overdue: r.status === 'open' && r.deadline_at <= now,
      escalatedAt: r.escalated_at,
      order: r.order_public_id ? { id: r.order_public_id } : null,
      survey: r.survey_public_id ? { id: r.survey_public_id, nps: r.survey_nps === null ? null : Number(r.survey_nps) } : null,
      createdAt: r.created_at,
      resolvedAt: r.resolved_at,
    };
  }

  private async caseDetail(m: EntityManager, r: CaseRow): Promise<CaseDetail> {
    let answer: CaseDetail['answer'] = null;
    if (r.survey_id !== null) {
      const [s]: SurveyRow[] = await m.query('SELECT * FROM satisfaction_surveys WHERE id = ?', [r.survey_id]);
      answer = {
        indicators: scoresOf(s),
        nps: s.nps === null ? null : Number(s.nps),
        comment: s.comment_enc ? this.deps.cipher.decrypt(s.comment_enc, feedbackAad.surveyComment(s.public_id)) : null,
      };
    }
    return {
      ...this.caseView(r, this.deps.clock.now()),
      text: r.text_enc ? this.deps.cipher.decrypt(r.text_enc, feedbackAad.caseText(r.public_id)) : null,
      answer,
      resolution: r.resolution_enc ? this.deps.cipher.decrypt(r.resolution_enc, feedbackAad.caseResolution(r.public_id)) : null,
      resolvedBy: r.resolved_by_public_id ? { id: r.resolved_by_public_id, name: r.resolved_by_name ?? '' } : null,
      compensation: r.compensation_kind ? { kind: r.compensation_kind, rule: r.compensation_rule, ref: r.compensation_ref } : null,
    };
  }

  /** Survey views with their order (date, doctor, projects) in two queries. */
  private async views(rows: SurveyRow[]): Promise<SurveyView[]> {
    if (!rows.length) return [];
    const orderIds = [...new Set(rows.map((r) => Number(r.order_id)))];
    const marks = orderIds.map(() => '?').join(',');
    const [orders, items] = await Promise.all([
      this.deps.db.query(
        `SELECT o.id, o.public_id, o.paid_at, st.display_name AS doctor_name FROM orders o LEFT JOIN staff st ON st.id = o.doctor_id WHERE o.id IN (${marks})`,
        orderIds,
      ),
      this.deps.db.query(
        `SELECT DISTINCT oi.order_id, p.id, p.public_id, p.name FROM order_items oi JOIN projects p ON p.id = oi.project_id WHERE oi.order_id IN (${marks}) ORDER BY p.id`,
        orderIds,
      ),
    ]);
    const orderById = new Map<number, { public_id: string; paid_at: Date; doctor_name: string | null }>(orders.map((o: { id: number }) => [Number(o.id), o]));
    const now = this.deps.clock.now();
    return rows.map((r) => {
      const o = orderById.get(Number(r.order_id));
      const answered = r.status === 'answered' && r.nps !== null;
      return {
        id: r.public_id,
        status: r.status === 'open' && r.expires_at <= now ? 'expired' : r.status,
        expiresAt: r.expires_at,
        order: {
          id: o?.public_id ?? '',
          paidAt: o?.paid_at as Date,
          doctor: o?.doctor_name ? { name: o.doctor_name } : null,
          projects: items
            .filter((i: { order_id: number }) => Number(i.order_id) === Number(r.order_id))
            .map((i: { public_id: string; name: string }) => ({ id: i.public_id, name: i.name })),
        },
        questions: INDICATORS.map((key) => ({ key, label: INDICATOR_LABELS[key] })),
        answer: answered
          ? {
            indicators: scoresOf(r),
            nps: Number(r.nps),
            comment: r.comment_enc ? this.deps.cipher.decrypt(r.comment_enc, feedbackAad.surveyComment(r.public_id)) : null,
            answeredAt: r.answered_at as Date,
            via: r.answered_via as AnsweredVia,
          }
          : null,
        canShare: answered && Number(r.nps) >= PROMOTER_FROM && r.shared_at === null,
        sharedAt: r.shared_at,
      };
    });
  }
}

const caseTaskKey = (casePublicId: string) => `feedback_case:${casePublicId}`;

function clientCaseView(r: Pick<CaseRow, 'public_id' | 'category' | 'status' | 'created_at' | 'resolved_at'>): ClientCaseView {
  return { id: r.public_id, category: r.category, status: r.status, createdAt: r.created_at, resolvedAt: r.resolved_at };
}

function figures(r: Record<string, unknown>): SatisfactionFigures {
  const responses = Number(r.responses ?? 0);
  const promoters = Number(r.promoters ?? 0);
  const detractors = Number(r.detractors ?? 0);
  const indicators = {} as Record<Indicator, number | null>;
  for (const i of INDICATORS) {
    const v = r[INDICATOR_COLUMNS[i]];
    indicators[i] = v === null || v === undefined ? null : Math.round(Number(v) * 100) / 100;
  }
  return { responses, promoters, passives: responses - promoters - detractors, detractors, nps: netPromoterScore(responses, promoters, detractors), indicators };
}

const MAX_REPORT_DAYS = 366;

function realDate(d: string): boolean {
  const t = Date.parse(`${d}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === d;
}

/** A report's dates: `to` defaults to today (Shanghai), `from` to 29 days before `to`; at most a year. */
function reportRange(range: { from?: string; to?: string }, now: Date): { from: string; to: string } {
  const to = range.to ?? shanghaiDate(now);
  if (!realDate(to)) throw validationError([{ field: 'query.to', message: 'to is not a calendar date', type: 'date.base' }]);
  const from = range.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * DAY_MS).toISOString().slice(0, 10);
  if (!realDate(from)) throw validationError([{ field: 'query.from', message: 'from is not a calendar date', type: 'date.base' }]);
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS;
  if (days < 0) throw validationError([{ field: 'query.to', message: 'to must not be before from', type: 'date.min' }]);
  if (days >= MAX_REPORT_DAYS) throw validationError([{ field: 'query.to', message: `a report covers at most ${MAX_REPORT_DAYS} days`, type: 'date.max' }]);
  return { from, to };
}

/** Resolved cases by what the supervisor gave (rows of kind, rule and count). */
function compensationFigures(rows: { kind: string | null; rule: string | null; n: number | string }[]): CompensationFigures {
  const out: CompensationFigures = { resolved: 0, none: 0, vouchers: [], reviewAppointments: 0 };
  for (const r of rows) {
    const n = Number(r.n);
    out.resolved += n;
    if (r.kind === 'voucher') out.vouchers.push({ rule: String(r.rule), count: n });
    else if (r.kind === 'review_appointment') out.reviewAppointments += n;
    else out.none += n;
  }
  out.vouchers.sort((a, b) => a.rule.localeCompare(b.rule));
  return out;
}
