import type { EntityManager } from 'typeorm';

/**
 * Plans first proposed to the client in [start, end) (drafts never shown do not count), per client
 * and doctor, and how many of them the client had accepted before `end`: the acceptance of a period
 * follows the plans proposed in it, so a later period's acceptances never change it afterwards.
 */
export async function plansProposedBetween(
  db: Pick<EntityManager, 'query'>, start: Date, end: Date,
): Promise<{ clientId: number; doctorId: number; proposed: number; accepted: number }[]> {
  const rows: { clientId: string; doctorId: string; proposed: string; accepted: string }[] = await db.query(
    `SELECT client_id AS clientId, doctor_id AS doctorId, COUNT(*) AS proposed, COALESCE(SUM(accepted_at IS NOT NULL AND accepted_at < ?), 0) AS accepted
       FROM plans WHERE proposed_at >= ? AND proposed_at < ? GROUP BY client_id, doctor_id`,
    [end, start, end],
  );
  return rows.map((r) => ({ clientId: Number(r.clientId), doctorId: Number(r.doctorId), proposed: Number(r.proposed), accepted: Number(r.accepted) }));
}
