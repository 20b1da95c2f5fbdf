import { publicId } from '../../src/shared/crypto';
import type { Client } from '../../src/modules/clients/clients.entity';
import type { Staff } from '../../src/modules/staff/staff.entity';
import type { TestContext } from './context';

let seq = 0;
const unique = () => `${Date.now().toString(36)}${(seq++).toString(36)}${Math.random().toString(36).slice(2, 5)}`;

/** Inserts a project of its own (so reports on it see only this test's orders). */
export async function createProject(t: TestContext, name = '测试项目'): Promise<{ id: number; publicId: string; code: string; name: string }> {
  const id = publicId();
  const code = `t_${unique()}`.slice(0, 32);
  const res = await t.deps.db.query(
    `INSERT INTO projects (public_id, code, name, category, list_price_fen, body_area, active) VALUES (?, ?, ?, 'light', 100000, 'face', 1)`,
    [id, code, name],
  );
  return { id: Number(res.insertId), publicId: id, code, name };
}

/**
 * Inserts a paid order with its items as the orders module records them (a bare row: no points,
 * no hooks), paid at the context's clock unless said.
 */
export async function createPaidOrder(
  t: TestContext,
  o: { client: Client; doctor: Staff; projectIds: number[]; amountFen?: number; paidAt?: Date },
): Promise<{ id: number; publicId: string }> {
  const id = publicId();
  const amount = o.amountFen ?? 100000;
  const paidAt = o.paidAt ?? t.clock.now();
  const res = await t.deps.db.query(
    `INSERT INTO orders (public_id, order_no, request_hash, client_id, doctor_id, paid_at, amount_paid_fen, status, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'paid', ?, ?)`,
    [id, `T-${unique()}`, '0'.repeat(64), o.client.id, o.doctor.id, paidAt, amount * o.projectIds.length, paidAt, paidAt],
  );
  const orderId = Number(res.insertId);
  for (const projectId of o.projectIds) {
    await t.deps.db.query(`INSERT INTO order_items (order_id, project_id, category, amount_fen) VALUES (?, ?, 'light', ?)`, [orderId, projectId, amount]);
  }
  return { id: orderId, publicId: id };
}

/** Ten indicator scores, all `score` unless overridden. */
export function scores(score: number, overrides: Record<string, number> = {}): Record<string, number> {
  const keys = ['attitude', 'professionalism', 'environment', 'communication', 'waiting', 'explanation', 'painManagement', 'aftercare', 'value', 'privacy'];
  return { ...Object.fromEntries(keys.map((k) => [k, score])), ...overrides };
}

/** Links a client to a WeCom contact, as the bot's binding would. */
export async function bindContact(t: TestContext, client: Client): Promise<string> {
  const contactId = `wm_test_${unique()}`;
  const now = t.clock.now();
  await t.deps.db.query(
    `INSERT INTO wecom_contacts (contact_id, account_id, client_id, bound_by, bound_at, last_seen_at) VALUES (?, 'test-account', ?, 'staff', ?, ?)`,
    [contactId, client.id, now, now],
  );
  return contactId;
}
