import type { EntityManager } from 'typeorm';
import { AppError, CommonErrors, notFound, validationError } from '../../shared/errors';
import { isDeadlock, isDuplicateKey } from '../../shared/db';
import { publicId, sha256 } from '../../shared/crypto';
import type { Actor } from '../audit';
import type { StaffRole } from '../staff';
import type { CaseGrade, CaseSource } from './feedback.entity';
import { FeedbackErrors } from './feedback.errors';
import { complaintGrade } from './feedback.rules';
import {
  CASE_SELECT, CaseRow, FeedbackSupport, GRADE_LABEL, SOURCE_LABEL, SurveyRow, caseTaskKey, clientCaseView, feedbackAad, scoresOf,
} from './feedback.shared';
import type { CaseCompensation } from './feedback.winback';
import type { CaseDetail, CaseListQuery, CaseView, ClientCaseView, Compensation, ComplaintInput } from './feedback.types';

/** What opens a case: a poor survey answer or a client's complaint. */
export interface NewCase {
  clientId: number;
  source: CaseSource;
  /** `survey:<surveyId>` or `complaint:<clientId>:<requestId>`: one case per cause. */
  dedupeKey: string;
  grade: CaseGrade;
  category: string | null;
  text: string | null;
  requestHash: string | null;
  orderId: number | null;
  surveyId: number | null;
  nps: number | null;
}

/** A case as staff lists show it; `now` decides whether an open one is overdue. */
export function caseView(r: CaseRow, now: Date): CaseView {
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

/**
 * Cases 投诉 / 差评: a client's complaint or a poor answer opens a graded case with its staff task due
 * at the deadline; staff read cases under the client-access rule (audited) and resolve them,
 * the supervisor with a compensation.
 */
export class FeedbackCases {
  constructor(private readonly s: FeedbackSupport, private readonly compensation: CaseCompensation) {}

  /** Inserts a case (once per dedupe key) and its staff task due at the deadline; returns the case id. */
  async openCase(m: EntityManager, c: NewCase): Promise<number> {
    const now = this.s.now();
    const { caseDeadlineHours, caseAssigneeRole: complaintRole, supervisorRole } = this.s.deps.config.feedback;
    // A poor rating goes to the supervisor (主管) for a remedy (DOMAIN.md); a complaint to the case role.
    const caseAssigneeRole = c.source === 'survey' ? supervisorRole : complaintRole;
    const deadline = new Date(now.getTime() + caseDeadlineHours * 3600_000);
    const id = publicId();
    const res = await m.query(
      `INSERT INTO feedback_cases (public_id, dedupe_key, client_id, source, survey_id, order_id, category, text_enc, request_hash, grade, status, assignee_role, deadline_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)`,
      [id, c.dedupeKey, c.clientId, c.source, c.surveyId, c.orderId, c.category, c.text === null ? null : this.s.seal(c.text, feedbackAad.caseText(id)),
        c.requestHash, c.grade, caseAssigneeRole, deadline, now],
    );
    // The task carries no complaint text: task details are not encrypted.
    await this.s.deps.worklist.create(m, {
      kind: 'feedback_case',
      dedupeKey: caseTaskKey(id),
      clientId: c.clientId,
      assigneeRole: caseAssigneeRole,
      title: `处理${GRADE_LABEL[c.grade]}级${SOURCE_LABEL[c.source]}（${caseDeadlineHours} 小时内）`,
      details: { caseId: id, source: c.source, grade: c.grade, category: c.category, nps: c.nps },
      dueAt: deadline,
    });
    this.s.log.info({ caseId: id, clientId: c.clientId, source: c.source, grade: c.grade }, 'feedback case opened');
    return Number(res.insertId);
  }

  /** A client's own complaint: a graded case for a supervisor with its staff task. Retry-safe by requestId. */
  async complain(clientId: number, input: ComplaintInput): Promise<{ complaint: ClientCaseView; replayed: boolean }> {
    const text = input.text.trim();
    const dedupeKey = `complaint:${clientId}:${input.requestId}`;
    const hash = sha256(JSON.stringify([input.category, text, input.orderId ?? null]));
    // The same request sent twice at once: the loser's insert meets the unique key, and its retry replays.
    const result = await this.s.tx(async (m) => {
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
    const [row]: CaseRow[] = await this.s.db.query(`${CASE_SELECT} WHERE fc.id = ?`, [result.id]);
    return { complaint: clientCaseView(row), replayed: result.replayed };
  }

  /** The client's own complaints, newest first. */
  async listComplaints(clientId: number): Promise<ClientCaseView[]> {
    const rows: CaseRow[] = await this.s.db.query(
      `SELECT public_id, category, status, created_at, resolved_at FROM feedback_cases WHERE client_id = ? AND source = 'complaint' ORDER BY id DESC LIMIT 50`,
      [clientId],
    );
    return rows.map(clientCaseView);
  }

  /** Cases for staff, most urgent first (audited: they name clients). */
  async listCases(actor: Actor, q: CaseListQuery): Promise<{ items: CaseView[]; page: number; hasMore: boolean }> {
    const now = this.s.now();
    const conds: string[] = [];
    const params: unknown[] = [];
    if (q.status) (conds.push('fc.status = ?'), params.push(q.status));
    if (q.overdue === true) (conds.push("fc.status = 'open' AND fc.deadline_at <= ?"), params.push(now));
    if (q.overdue === false) (conds.push("(fc.status <> 'open' OR fc.deadline_at > ?)"), params.push(now));
    // Cases name clients: the client-access rule decides which (a consultant assignee sees their own clients' cases).
    this.s.access.requireScope(actor, 'archive');
    const scope = this.s.access.filter(actor, 'archive');
    conds.push(scope.sql);
    params.push(...scope.params);
    const rows: CaseRow[] = await this.s.db.query(
      `${CASE_SELECT} ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}
        ORDER BY fc.status = 'resolved', fc.deadline_at, fc.id LIMIT ? OFFSET ?`,
      [...params, q.pageSize + 1, (q.page - 1) * q.pageSize],
    );
    const items = rows.slice(0, q.pageSize).map((r) => caseView(r, now));
    await this.s.deps.audit.record(actor, 'feedback.cases.list', { details: { status: q.status ?? null, overdue: q.overdue ?? null, count: items.length } });
    return { items, page: q.page, hasMore: rows.length > q.pageSize };
  }

  /** One case with the complaint text and the survey answer (audited). */
  async getCase(actor: Actor, casePublicId: string): Promise<CaseDetail> {
    const row = await this.caseRow(this.s.db.manager, casePublicId);
    await this.s.access.check(actor, { id: Number(row.client_id) }, 'archive', { action: 'feedback.case.view', notFound: notFound('Case'), includeDeleted: true });
    await this.s.deps.audit.record(actor, 'feedback.case.view', { clientId: row.client_id, details: { case: row.public_id } });
    return this.caseDetail(this.s.db.manager, row);
  }

  /**
   * Closes an open case with what was done; 409 CASE_ALREADY_RESOLVED for a closed one. A supervisor
   * (or the director) may give a compensation: a win-back voucher, or a free review appointment; it
   * is written in the same transaction and the client is told. The audit row commits with it.
   */
  async resolveCase(actor: Actor, casePublicId: string, resolution: string, compensation?: Compensation): Promise<CaseDetail> {
    if (compensation && !this.s.compensatorRoles.includes(actor.role as StaffRole)) {
      throw new AppError(CommonErrors.FORBIDDEN, 'Only the supervisor (主管) may give a compensation', { roles: this.s.compensatorRoles });
    }
    const id = await this.s.tx(async (m) => {
      const row = await this.caseRow(m, casePublicId, true);
      await this.s.access.check(actor, { id: Number(row.client_id) }, 'archive', { m, action: 'feedback.case.resolve', notFound: notFound('Case'), includeDeleted: true });
      if (row.status !== 'open') throw new AppError(FeedbackErrors.CASE_ALREADY_RESOLVED, 'This case is already resolved');
      const given = compensation ? await this.compensation.give(m, row, compensation, actor) : null;
      await m.query(
        `UPDATE feedback_cases SET status = 'resolved', resolution_enc = ?, resolved_at = ?, resolved_by = ?, compensation_kind = ?, compensation_rule = ?, compensation_ref = ?
          WHERE id = ? AND status = 'open'`,
        [this.s.seal(resolution.trim(), feedbackAad.caseResolution(row.public_id)), this.s.now(), actor.id,
          given?.kind ?? null, given?.rule ?? null, given?.ref ?? null, row.id],
      );
      await this.s.deps.audit.record(actor, 'feedback.case.resolve', { clientId: row.client_id, details: { case: row.public_id, grade: row.grade, compensation: given } }, m);
      // The case's task goes with it (a task completed on the worklist alone leaves the case open).
      await this.s.deps.worklist.cancel(m, caseTaskKey(row.public_id));
      return row.public_id;
    });
    return this.caseDetail(this.s.db.manager, await this.caseRow(this.s.db.manager, id));
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

  private async caseDetail(m: EntityManager, r: CaseRow): Promise<CaseDetail> {
    let answer: CaseDetail['answer'] = null;
    if (r.survey_id !== null) {
      const [s]: SurveyRow[] = await m.query('SELECT * FROM satisfaction_surveys WHERE id = ?', [r.survey_id]);
      answer = {
        indicators: scoresOf(s),
        nps: s.nps === null ? null : Number(s.nps),
        comment: this.s.reveal(s.comment_enc, feedbackAad.surveyComment(s.public_id)),
      };
    }
    return {
      ...caseView(r, this.s.now()),
      text: this.s.reveal(r.text_enc, feedbackAad.caseText(r.public_id)),
      answer,
      resolution: this.s.reveal(r.resolution_enc, feedbackAad.caseResolution(r.public_id)),
      resolvedBy: r.resolved_by_public_id ? { id: r.resolved_by_public_id, name: r.resolved_by_name ?? '' } : null,
      compensation: r.compensation_kind ? { kind: r.compensation_kind, rule: r.compensation_rule, ref: r.compensation_ref } : null,
    };
  }
}
