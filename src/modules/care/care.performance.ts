import type { EntityManager } from 'typeorm';

/** Treatments (施术 sessions) performed in [start, end), per doctor of the treatment record. */
export async function treatmentsByDoctorBetween(db: Pick<EntityManager, 'query'>, start: Date, end: Date): Promise<Map<number, number>> {
  const rows: { doctorId: string; n: string }[] = await db.query(
    'SELECT doctor_id AS doctorId, COUNT(*) AS n FROM treatments WHERE performed_at >= ? AND performed_at < ? GROUP BY doctor_id',
    [start, end],
  );
  return new Map(rows.map((r) => [Number(r.doctorId), Number(r.n)]));
}
