import { randomBytes, randomInt } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import type { PaidOrder, OrderRefundEvent } from '../../src/modules/orders';
import { runInTransaction } from '../../src/shared/db';
import type { TestContext } from './context';
import { fakeOpenid } from './login';

/** Logs in through the real route with a launch query and returns the whole answer (token, client, referral). */
export async function loginWithCode(
  t: TestContext, code: string | null, opts: { openid?: string; unionid?: string } = {},
): Promise<{ status: number; body: any; openid: string }> {
  const openid = opts.openid ?? fakeOpenid();
  const res = await t.http.post('/api/mp/auth/login').send({
    code: t.standIn.issueLoginCode({ openid, unionid: opts.unionid }),
    ...(code !== null ? { launch: { referralCode: code } } : {}),
  });
  // Every supertest request comes from 127.0.0.1: clear its login counter so test files don't throttle one another.
  await Promise.all(['127.0.0.1', '::ffff:127.0.0.1', '::1'].map((ip) => t.services.mpAuth.resetLoginLimits(ip)));
  return { status: res.status, body: res.body, openid };
}

export async function clientRow(t: TestContext, publicId: string): Promise<{ id: number; referral_code: string; referrer_id: number | null }> {
  const [row] = await t.deps.db.query('SELECT id, referral_code, referrer_id FROM clients WHERE public_id = ?', [publicId]);
  return { id: Number(row.id), referral_code: row.referral_code, referrer_id: row.referrer_id === null ? null : Number(row.referrer_id) };
}

/**
 * A paid order as OrdersService hands it to its hooks. Ids come from a range real orders never reach
 * in a test run, so they cannot collide with orders recorded through the API.
 */
export function paidOrder(clientId: number, amountPaidFen: number, paidAt: Date): PaidOrder {
  return {
    id: 3_000_000_000 + randomInt(1_000_000_000), publicId: randomBytes(16).toString('base64url'), orderNo: `R${randomBytes(10).toString('hex')}`,
    clientId, doctorId: 1, consultantId: null, amountPaidFen, paidAt,
    items: [{ projectId: 1, projectCode: 'hyaluronic_filler', category: 'light', amountFen: amountPaidFen, effectDurationDays: 180, followupPlan: null }],
  };
}

let refundSeq = 0;
/** A refund event as OrdersService hands it to its hooks. */
export function refundEvent(order: PaidOrder, amountFen: number, refundedTotalFen: number, at: Date): OrderRefundEvent {
  return {
    refundId: 3_000_000_000 + ++refundSeq, refundNo: `RF${randomBytes(8).toString('hex')}`, amountFen, refundedTotalFen,
    full: refundedTotalFen >= order.amountPaidFen, at,
  };
}

/** Runs the referral hooks in their own transaction, as OrdersService would (READ COMMITTED, retried on deadlock). */
export function hookPaid(t: TestContext, order: PaidOrder): Promise<void> {
  return runInTransaction(t.deps.db, (m) => t.services.referrals.orderHooks.onPaid!(m, order));
}
export function hookRefunded(t: TestContext, order: PaidOrder, refund: OrderRefundEvent): Promise<void> {
  return runInTransaction(t.deps.db, (m) => t.services.referrals.orderHooks.onRefunded!(m, order, refund));
}

export interface RewardRowView {
  id: number;
  status: string;
  rate_bp: number;
  cashback_fen: number;
  clawed_fen: number;
  conversion: number;
  referrer_points: number;
  referee_points: number;
  referrer_points_shortfall: number;
  referee_points_shortfall: number;
}
export async function rewardOf(t: TestContext, orderId: number): Promise<RewardRowView | undefined> {
  const [row] = await t.deps.db.query('SELECT * FROM referral_rewards WHERE order_id = ?', [orderId]);
  if (!row) return undefined;
  const n = (k: string) => Number(row[k]);
  return {
    id: n('id'), status: row.status, rate_bp: n('rate_bp'), cashback_fen: n('cashback_fen'), clawed_fen: n('clawed_fen'), conversion: n('conversion'),
    referrer_points: n('referrer_points'), referee_points: n('referee_points'),
    referrer_points_shortfall: n('referrer_points_shortfall'), referee_points_shortfall: n('referee_points_shortfall'),
  };
}

export async function cashbackEntries(t: TestContext, clientId: number): Promise<{ delta_fen: number; reason: string; balance_after_fen: number }[]> {
  const rows = await t.deps.db.query('SELECT delta_fen, reason, balance_after_fen FROM cashback_entries WHERE client_id = ? ORDER BY id', [clientId]);
  return rows.map((r: Record<string, unknown>) => ({ delta_fen: Number(r.delta_fen), reason: String(r.reason), balance_after_fen: Number(r.balance_after_fen) }));
}

export async function referralPointEntries(t: TestContext, clientId: number): Promise<number[]> {
  const rows = await t.deps.db.query("SELECT delta FROM points_entries WHERE client_id = ? AND reason = 'referral' ORDER BY id", [clientId]);
  return rows.map((r: { delta: number }) => Number(r.delta));
}

/** Both ledgers are whole: points (balances = entries = lots) and cashback (balances = entries, rewards = their entries). */
export async function expectConsistent(t: TestContext): Promise<void> {
  const points = await t.services.points.checkConsistency();
  const cashback = await t.services.referrals.checkConsistency();
  if (points.drift.length || cashback.drift.length || cashback.rewards.length) {
    throw new Error(`ledgers drift: ${JSON.stringify({ points: points.drift, cashback })}`);
  }
}

export interface PngInfo {
  width: number;
  height: number;
  text: Record<string, string>;
  pixels: Buffer;
}

/** Reads a PNG strictly enough to prove it is one: signature, every chunk's CRC, IHDR, tEXt, and IDAT that inflates to the image size. */
export function readPng(buf: Buffer): PngInfo {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!buf.subarray(0, 8).equals(signature)) throw new Error('not a PNG signature');
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  let off = 8;
  let width = 0;
  let height = 0;
  const text: Record<string, string> = {};
  const idat: Buffer[] = [];
  let ended = false;
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.subarray(off + 4, off + 8).toString('latin1');
    const data = buf.subarray(off + 8, off + 8 + len);
    if (crc(buf.subarray(off + 4, off + 8 + len)) !== buf.readUInt32BE(off + 8 + len)) throw new Error(`bad CRC in ${type}`);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[9] !== 0) throw new Error('expected 8-bit greyscale');
    } else if (type === 'tEXt') {
      const nul = data.indexOf(0);
      text[data.subarray(0, nul).toString('latin1')] = data.subarray(nul + 1).toString('latin1');
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') ended = true;
    off += 12 + len;
  }
  if (!ended) throw new Error('no IEND');
  const pixels = inflateSync(Buffer.concat(idat));
  if (pixels.length !== (width + 1) * height) throw new Error('IDAT does not match the image size');
  return { width, height, text, pixels };
}
