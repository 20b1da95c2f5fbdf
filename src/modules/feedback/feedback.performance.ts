import type { EntityManager } from 'typeorm';
import { INDICATOR_COLUMNS, INDICATORS } from './feedback.rules';

/** One answered satisfaction survey, reduced to what the staff performance report adds up. */
export interface AnsweredSurvey {
  clientId: number;
  orderId: number;
  /** 0–10; null when the client rated the indicators only. */
  nps: number | null;
  /** Sum and count of the indicator scores (1–5) the client gave (a WeCom digit reply gives none). */
  scoreSum: number;
  scoreCount: number;
}

/** Satisfaction surveys answered in [start, end) (the same answers the satisfaction report counts). */
export async function surveysAnsweredBetween(db: Pick<EntityManager, 'query'>, start: Date, end: Date): Promise<AnsweredSurvey[]> {
  const cols = INDICATORS.map((i) => INDICATOR_COLUMNS[i]);
  const rows: { clientId: string; orderId: string; nps: number | null; scoreSum: string | null; scoreCount: string }[] = await db.query(
    `SELECT client_id AS clientId, order_id AS orderId, nps,
            ${cols.map((c) => `COALESCE(${c}, 0)`).join(' + ')} AS scoreSum, ${cols.map((c) => `(${c} IS NOT NULL)`).join(' + ')} AS scoreCount
       FROM satisfaction_surveys WHERE status = 'answered' AND answered_at >= ? AND answered_at < ?`,
    [start, end],
  );
  return rows.map((r) => ({
    clientId: Number(r.clientId), orderId: Number(r.orderId), nps: r.nps === null ? null : Number(r.nps), scoreSum: Number(r.scoreSum ?? 0), scoreCount: Number(r.scoreCount),
  }));
}
