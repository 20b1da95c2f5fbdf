import type { EntityManager } from 'typeorm';
import { AppError, notFound } from '../../shared/errors';
import { publicId } from '../../shared/crypto';
import type { AnsweredVia, InvitedVia } from './feedback.entity';
import { FeedbackErrors } from './feedback.errors';
import { INDICATOR_LABELS, INDICATORS, PROMOTER_FROM } from './feedback.rules';
import { DAY_MS, FeedbackSupport, SurveyRow, feedbackAad, scoresOf } from './feedback.shared';
import type { DeliveredMessage, SurveyView } from './feedback.types';

const INVITE_CHANNELS: readonly InvitedVia[] = ['wecom', 'subscribe', 'staff_task'];

/** The survey a delivered message invited to: the follow-up plan's survey step names it in the payload. */
function invitedSurvey(d: DeliveredMessage): string | null {
  if (d.kind !== 'client_message' || d.payload.purpose !== 'survey' || d.clientId === null || !INVITE_CHANNELS.includes(d.channel as InvitedVia)) return null;
  if (typeof d.payload.surveyId === 'string') return d.payload.surveyId;
  // Rows queued before the payload named it: the survey page's id parameter.
  const page = (d.payload.card as { pagePath?: unknown } | undefined)?.pagePath;
  return typeof page === 'string' ? /[?&]id=([^&]+)/.exec(page)?.[1] ?? null : null;
}

/**
 * The satisfaction survey of a paid order: opened once per order, its invitation recorded when the
 * delivery engine delivered it, and read by the client with the order it is about.
 */
export class FeedbackSurveys {
  constructor(private readonly s: FeedbackSupport) {}

  /**
   * Opens the satisfaction survey of a paid order (the follow-up plan sends its link around day 7);
   * once per order: opening it again returns the same public id. 409 SURVEY_ORDER_INVALID when the
   * order is not the client's or was voided.
   */
  async openSurvey(m: EntityManager | null, input: { clientId: number; orderId: number }): Promise<string> {
    if (!m) return this.s.tx((tx) => this.openSurvey(tx, input));
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
    const now = this.s.now();
    const expires = new Date(now.getTime() + this.s.deps.config.feedback.surveyValidDays * DAY_MS);
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
    const rows: SurveyRow[] = await this.s.db.query(
      `SELECT * FROM satisfaction_surveys WHERE client_id = ? AND status = 'open' AND expires_at > ? ORDER BY id DESC LIMIT 50`,
      [clientId, this.s.now()],
    );
    return this.views(rows);
  }

  /** One of the client's own surveys; another client's survey is simply not found. */
  async getForClient(clientId: number, surveyPublicId: string): Promise<SurveyView> {
    const rows: SurveyRow[] = await this.s.db.query('SELECT * FROM satisfaction_surveys WHERE public_id = ? AND client_id = ?', [surveyPublicId, clientId]);
    if (!rows.length) throw notFound('Survey');
    return (await this.views(rows))[0];
  }

  /**
   * Whether a digit the client replies in WeCom would answer a survey: one is open, unexpired and
   * was asked in that chat (see SurveyAnswers.recordNpsReply).
   */
  async hasSurveyAskedInChat(clientId: number): Promise<boolean> {
    const rows = await this.s.db.query(
      `SELECT 1 FROM satisfaction_surveys WHERE client_id = ? AND status = 'open' AND expires_at > ? AND invited_via = 'wecom' LIMIT 1`,
      [clientId, this.s.now()],
    );
    return rows.length > 0;
  }

  /**
   * In the transaction that records the messages as sent: a survey invitation that reached the
   * client records when and through which channel. The first one counts, except that a WeCom one
   * replaces another channel's (it is what lets the chat answer).
   */
  async recordInvitations(m: EntityManager, delivered: DeliveredMessage[]): Promise<void> {
    for (const d of delivered) {
      const surveyId = invitedSurvey(d);
      if (surveyId === null) continue;
      await m.query(
        `UPDATE satisfaction_surveys SET invited_at = ?, invited_via = ?
          WHERE public_id = ? AND client_id = ? AND (invited_via IS NULL OR (invited_via <> 'wecom' AND ? = 'wecom'))`,
        [d.at, d.channel, surveyId, d.clientId, d.channel],
      );
    }
  }

  /** Survey views with their order (date, doctor, projects) in two queries. */
  private async views(rows: SurveyRow[]): Promise<SurveyView[]> {
    if (!rows.length) return [];
    const orderIds = [...new Set(rows.map((r) => Number(r.order_id)))];
    const marks = orderIds.map(() => '?').join(',');
    const [orders, items] = await Promise.all([
      this.s.db.query(
        `SELECT o.id, o.public_id, o.paid_at, st.display_name AS doctor_name FROM orders o LEFT JOIN staff st ON st.id = o.doctor_id WHERE o.id IN (${marks})`,
        orderIds,
      ),
      this.s.db.query(
        `SELECT DISTINCT oi.order_id, p.id, p.public_id, p.name FROM order_items oi JOIN projects p ON p.id = oi.project_id WHERE oi.order_id IN (${marks}) ORDER BY p.id`,
        orderIds,
      ),
    ]);
    const orderById = new Map<number, { public_id: string; paid_at: Date; doctor_name: string | null }>(orders.map((o: { id: number }) => [Number(o.id), o]));
    const now = this.s.now();
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
            comment: this.s.reveal(r.comment_enc, feedbackAad.surveyComment(r.public_id)),
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
