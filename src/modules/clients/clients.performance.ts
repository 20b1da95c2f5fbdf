import type { EntityManager } from 'typeorm';

type Reader = Pick<EntityManager, 'query'>;

/**
 * Leads of a period for the staff performance report: clients created in [start, end) who have a
 * dedicated consultant (the consultant named on the archive now: no history of assignments is kept).
 */
export async function consultantLeadsBetween(db: Reader, start: Date, end: Date): Promise<{ clientId: number; consultantId: number }[]> {
  const rows: { clientId: string; consultantId: string }[] = await db.query(
    `SELECT id AS clientId, consultant_id AS consultantId FROM clients
      WHERE created_at >= ? AND created_at < ? AND consultant_id IS NOT NULL`,
    [start, end],
  );
  return rows.map((r) => ({ clientId: Number(r.clientId), consultantId: Number(r.consultantId) }));
}

/** The dedicated consultant of each of these clients that has one (read in chunks: a quarter's paying clients may be many). */
export async function consultantsOfClients(db: Reader, clientIds: Iterable<number>): Promise<Map<number, number>> {
  const ids = [...new Set(clientIds)];
  const out = new Map<number, number>();
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    const rows: { id: string; consultantId: string }[] = await db.query(
      `SELECT id, consultant_id AS consultantId FROM clients WHERE id IN (${chunk.map(() => '?').join(',')}) AND consultant_id IS NOT NULL`,
      chunk,
    );
    for (const r of rows) out.set(Number(r.id), Number(r.consultantId));
  }
  return out;
}
