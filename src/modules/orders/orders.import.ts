import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { publicId as newPublicId } from '../../shared/crypto';
import type { SpendCategory } from '../points';

/** A paid order from another system's records: one project line, paid when the other system says. */
export interface ImportedOrder {
  /** The other system's order number, kept as ours (unique). */
  orderNo: string;
  clientId: number;
  doctorId: number;
  consultantId: number | null;
  projectId: number;
  category: SpendCategory;
  amountFen: number;
  paidAt: Date;
}

/** A project as an import matches it: by code or by name. */
export interface ProjectRef {
  id: number;
  code: string;
  name: string;
  category: SpendCategory;
}

/**
 * Bulk writes of imported orders (called inside the import's batch transaction). They are history:
 * RFM, dormancy and the consumption figures read them by their real payment date, but recording
 * them earns no spend points and runs no order hooks — no referral reward, no follow-up plan
 * (those count from treatments, and follow the procedure, not the payment).
 */
export class OrderImports {
  async projects(m: EntityManager): Promise<ProjectRef[]> {
    const rows: { id: number; code: string; name: string; category: SpendCategory }[] = await m.query('SELECT id, code, name, category FROM projects');
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  /** Order numbers already taken among these. */
  async takenOrderNos(m: EntityManager, orderNos: string[]): Promise<Set<string>> {
    if (!orderNos.length) return new Set();
    const rows: { orderNo: string }[] = await m.query('SELECT order_no AS orderNo FROM orders WHERE order_no IN (?)', [orderNos]);
    return new Set(rows.map((r) => r.orderNo));
  }

  /** Inserts the orders and their lines; their ids in input order. */
  async insertMany(m: EntityManager, orders: ImportedOrder[], recordedBy: number | null, now: Date): Promise<number[]> {
    if (!orders.length) return [];
    const pids = orders.map(() => newPublicId());
    await m.query(
      `INSERT INTO orders (public_id, order_no, request_hash, client_id, doctor_id, consultant_id, paid_at, amount_paid_fen, points_earned, status, recorded_by, created_at, updated_at)
       VALUES ${orders.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, 0, 'paid', ?, ?, ?)").join(', ')}`,
      orders.flatMap((o, i) => [
        pids[i], o.orderNo, createHash('sha256').update(`import:${o.orderNo}`).digest('hex'), o.clientId, o.doctorId, o.consultantId, o.paidAt, o.amountFen, recordedBy, now, now,
      ]),
    );
    const rows: { id: number; publicId: string }[] = await m.query('SELECT id, public_id AS publicId FROM orders WHERE public_id IN (?)', [pids]);
    const byPid = new Map(rows.map((r) => [r.publicId, Number(r.id)]));
    const ids = pids.map((p) => byPid.get(p)!);
    await m.query(
      `INSERT INTO order_items (order_id, project_id, category, amount_fen) VALUES ${orders.map(() => '(?, ?, ?, ?)').join(', ')}`,
      orders.flatMap((o, i) => [ids[i], o.projectId, o.category, o.amountFen]),
    );
    return ids;
  }
}
