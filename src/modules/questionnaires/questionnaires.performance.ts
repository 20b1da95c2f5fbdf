import type { EntityManager } from 'typeorm';

/** Questionnaire responses submitted in [start, end), per client (the staff performance report counts them per consultant). */
export async function responsesByClientBetween(db: Pick<EntityManager, 'query'>, start: Date, end: Date): Promise<{ clientId: number; responses: number }[]> {
  const rows: { clientId: string; n: string }[] = await db.query(
    'SELECT client_id AS clientId, COUNT(*) AS n FROM questionnaire_responses WHERE submitted_at >= ? AND submitted_at < ? GROUP BY client_id',
    [start, end],
  );
  return rows.map((r) => ({ clientId: Number(r.clientId), responses: Number(r.n) }));
}
