import type { EntityManager } from 'typeorm';

type Reader = Pick<EntityManager, 'query'>;
// An order still worth something: not voided and not refunded in full (DOMAIN.md: revenue is net of refunds).
const valuable = (o: string) => `${o}.status <> 'voided' AND ${o}.amount_paid_fen > ${o}.amount_refunded_fen`;
const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(',');

/**
 * Revenue of orders paid in [start, end), per client: paid minus refunded as the orders stand when
 * read (a refund made later lowers the period the order was paid in); voided orders count nothing.
 */
export async function netPaidByClientBetween(db: Reader, start: Date, end: Date): Promise<{ clientId: number; netFen: number }[]> {
  const rows: { clientId: string; net: string }[] = await db.query(
    `SELECT client_id AS clientId, SUM(amount_paid_fen - amount_refunded_fen) AS net FROM orders
      WHERE paid_at >= ? AND paid_at < ? AND status <> 'voided' GROUP BY client_id`,
    [start, end],
  );
  return rows.map((r) => ({ clientId: Number(r.clientId), netFen: Number(r.net) }));
}

/** Clients whose first order still worth something was paid in [start, end): the period's first paid orders (new paying clients). */
export async function firstPaymentsBetween(db: Reader, start: Date, end: Date): Promise<number[]> {
  const rows: { clientId: string }[] = await db.query(
    `SELECT DISTINCT o.client_id AS clientId FROM orders o
      WHERE o.paid_at >= ? AND o.paid_at < ? AND ${valuable('o')}
        AND NOT EXISTS (SELECT 1 FROM orders p WHERE p.client_id = o.client_id AND p.paid_at < ? AND ${valuable('p')})`,
    [start, end, start],
  );
  return rows.map((r) => Number(r.clientId));
}

/** Of these clients, those with an order still worth something paid before `end`. */
export async function paidBefore(db: Reader, clientIds: number[], end: Date): Promise<Set<number>> {
  const out = new Set<number>();
  for (let i = 0; i < clientIds.length; i += 1000) {
    const chunk = clientIds.slice(i, i + 1000);
    const rows: { clientId: string }[] = await db.query(
      `SELECT DISTINCT o.client_id AS clientId FROM orders o WHERE o.client_id IN (${placeholders(chunk.length)}) AND o.paid_at < ? AND ${valuable('o')}`,
      [...chunk, end],
    );
    for (const r of rows) out.add(Number(r.clientId));
  }
  return out;
}

/** The doctor named on each of these orders. */
export async function doctorsOfOrders(db: Reader, orderIds: number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (let i = 0; i < orderIds.length; i += 1000) {
    const chunk = orderIds.slice(i, i + 1000);
    const rows: { id: string; doctorId: string }[] = await db.query(`SELECT id, doctor_id AS doctorId FROM orders WHERE id IN (${placeholders(chunk.length)})`, chunk);
    for (const r of rows) out.set(Number(r.id), Number(r.doctorId));
  }
  return out;
}
