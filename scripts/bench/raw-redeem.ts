import { randomUUID } from 'node:crypto';
import mysql, { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Config } from '../../src/config';
import { withTransactionRetry } from '../../src/shared/db';
import { publicId, randomCode, sha256 } from '../../src/shared/crypto';

/**
 * The baseline of the redemption bench: the statements RewardsService.redeem issues for one
 * redemption (traced with TypeORM's query runner: 14 inside a READ COMMITTED transaction, then the
 * voucher read), in the same order and with the same locks, on a bare mysql2 pool. No HTTP, no
 * session lookup, no TypeORM, no validation: what is left is the cost of the SQL itself.
 */

/** A mysql2 pool configured like createDataSource's (same size, time zone, number and date handling). */
export function createRawPool(db: Config['db']): Pool {
  return mysql.createPool({
    host: db.host, port: db.port, user: db.user, password: db.password, database: db.database,
    charset: 'utf8mb4_unicode_ci', timezone: 'Z', dateStrings: false, supportBigNumbers: true, bigNumberStrings: false,
    connectionLimit: db.poolSize, waitForConnections: true, enableKeepAlive: true,
  });
}

type Row = RowDataPacket & Record<string, unknown>;

async function rows(conn: Pool | PoolConnection, sql: string, params: unknown[]): Promise<Row[]> {
  const [r] = await conn.query<Row[]>(sql, params);
  return r;
}

async function exec(conn: Pool | PoolConnection, sql: string, params: unknown[]): Promise<ResultSetHeader> {
  const [r] = await conn.query<ResultSetHeader>(sql, params);
  return r;
}

/** One redemption of `itemPublicId` by `clientId`, as the service does it; returns the voucher id. */
export async function rawRedeem(pool: Pool, clientId: number, itemPublicId: string, voucherValidDays: number): Promise<number> {
  const key = `redeem:${randomUUID()}`;
  const voucherId = await withTransactionRetry(async () => {
    const conn = await pool.getConnection();
    try {
      await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
      await conn.query('START TRANSACTION');
      try {
        const id = await redeemInTransaction(conn, clientId, itemPublicId, key, voucherValidDays);
        await conn.query('COMMIT');
        return id;
      } catch (err) {
        await conn.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      conn.release();
    }
  });
  const [voucher] = await rows(
    pool,
    `SELECT v.*, i.public_id AS item_public_id, i.kind AS item_kind, i.title AS item_title
       FROM vouchers v JOIN reward_items i ON i.id = v.item_id WHERE v.id = ?`,
    [voucherId],
  );
  if (!voucher) throw new Error(`voucher ${voucherId} not found after commit`);
  return voucherId;
}

async function redeemInTransaction(conn: PoolConnection, clientId: number, itemPublicId: string, key: string, voucherValidDays: number): Promise<number> {
  // PointsService.lockAccount: create-or-lock the account, then the lots past due (none in the bench).
  let now = new Date();
  await exec(conn, 'INSERT INTO points_accounts (client_id, balance, version, updated_at) VALUES (?, 0, 0, ?) ON DUPLICATE KEY UPDATE client_id = client_id', [clientId, now]);
  const [account] = await rows(conn, 'SELECT balance FROM points_accounts WHERE client_id = ? FOR UPDATE', [clientId]);
  const balance = Number(account.balance);
  const due = await rows(
    conn,
    'SELECT id, remaining FROM points_entries WHERE client_id = ? AND remaining > 0 AND delta > 0 AND expires_at <= ? ORDER BY expires_at, id FOR UPDATE',
    [clientId, now],
  );
  if (due.length) throw new Error(`client ${clientId} has lots past due; the baseline does not expire lots`);

  // RewardsService.redeem: the item, the replay check, stock.
  const [item] = await rows(conn, 'SELECT id, public_id, points_price, per_client_limit, valid_to FROM reward_items WHERE public_id = ?', [itemPublicId]);
  if (!item) throw new Error(`reward ${itemPublicId} not found`);
  const existing = await rows(conn, 'SELECT id, item_id FROM vouchers WHERE client_id = ? AND idempotency_key = ?', [clientId, key]);
  if (existing.length) throw new Error(`request ${key} replayed`);
  if (item.per_client_limit !== null) {
    const [{ n }] = await rows(conn, "SELECT COUNT(*) AS n FROM vouchers WHERE client_id = ? AND item_id = ? AND status <> 'cancelled'", [clientId, item.id]);
    if (Number(n) >= Number(item.per_client_limit)) throw new Error('per-client limit reached');
  }
  const price = Number(item.points_price);
  if (balance < price) throw new Error(`client ${clientId} is out of points`);
  now = new Date();
  const taken = await exec(
    conn,
    `UPDATE reward_items SET stock = stock - 1 WHERE id = ? AND stock > 0 AND active = 1
       AND (valid_from IS NULL OR valid_from <= ?) AND (valid_to IS NULL OR valid_to > ?)`,
    [item.id, now, now],
  );
  if (taken.affectedRows !== 1) throw new Error(`reward ${itemPublicId} is out of stock`);

  // PointsService.debit under the lock already held: replay check, lots oldest first, entry, balance, lots.
  const delta = -price;
  const reference = `reward:${item.public_id}`;
  const hash = sha256(JSON.stringify([delta, 'redeem', reference]));
  const replay = await rows(conn, 'SELECT * FROM points_entries WHERE client_id = ? AND idempotency_key = ?', [clientId, key]);
  if (replay.length) throw new Error(`ledger key ${key} replayed`);
  now = new Date();
  const lots = await rows(conn, 'SELECT id, remaining, expires_at FROM points_entries WHERE client_id = ? AND remaining > 0 ORDER BY expires_at, id FOR UPDATE', [clientId]);
  const takes: { id: string; take: number }[] = [];
  let left = price;
  for (const lot of lots) {
    if (left === 0) break;
    const take = Math.min(left, Number(lot.remaining));
    takes.push({ id: String(lot.id), take });
    left -= take;
  }
  if (left > 0) throw new Error(`points lots of client ${clientId} do not cover the balance`);
  await exec(
    conn,
    `INSERT INTO points_entries (client_id, delta, reason, reference, idempotency_key, request_hash, balance_after, expires_at, remaining, actor_type, actor_id, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [clientId, delta, 'redeem', reference, key, hash, balance + delta, lots[0]?.expires_at ?? null, 0, 'client', clientId, now],
  );
  const upd = await exec(
    conn,
    'UPDATE points_accounts SET balance = balance + ?, version = version + 1, updated_at = ? WHERE client_id = ? AND balance + ? >= 0',
    [delta, now, clientId, delta],
  );
  if (upd.affectedRows !== 1) throw new Error(`client ${clientId} is out of points`);
  for (const t of takes) {
    const res = await exec(conn, 'UPDATE points_entries SET remaining = remaining - ? WHERE id = ? AND remaining >= ?', [t.take, t.id, t.take]);
    if (res.affectedRows !== 1) throw new Error(`points lot ${t.id} changed under its lock`);
  }

  // The voucher with its one-time code.
  now = new Date();
  const validDays = new Date(now.getTime() + voucherValidDays * 86400_000);
  const itemValidTo = item.valid_to as Date | null;
  const expiresAt = itemValidTo && itemValidTo < validDays ? itemValidTo : validDays;
  const res = await exec(
    conn,
    `INSERT INTO vouchers (public_id, client_id, item_id, points, code, status, idempotency_key, expires_at, created_at)
     VALUES (?, ?, ?, ?, ?, 'issued', ?, ?, ?)`,
    [publicId(), clientId, item.id, price, randomCode(10), key, expiresAt, now],
  );
  return res.insertId;
}

export interface RawLoadResult {
  rps: number;
  p99: number;
}

/**
 * `workers` concurrent loops of rawRedeem for `seconds`; `pickClient` chooses the account of each
 * redemption. Like an autocannon run, only redemptions finished inside the window count.
 */
export async function rawLoad(opts: {
  pool: Pool; itemPublicId: string; voucherValidDays: number; pickClient: () => number; workers: number; seconds: number;
}): Promise<RawLoadResult> {
  const deadline = Date.now() + opts.seconds * 1000;
  const latencies: number[] = [];
  let failed = 0;
  let first: unknown = null;
  await Promise.all(
    Array.from({ length: opts.workers }, async () => {
      // A failure is counted and the loop goes on (as autocannon does), but a broken setup stops it early.
      while (Date.now() < deadline && failed < 100) {
        const started = process.hrtime.bigint();
        try {
          await rawRedeem(opts.pool, opts.pickClient(), opts.itemPublicId, opts.voucherValidDays);
          if (Date.now() <= deadline) latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        } catch (err) {
          failed++;
          first ??= err;
        }
      }
    }),
  );
  if (failed) throw new Error(`raw baseline: ${failed} redemptions failed; first: ${first instanceof Error ? first.message : String(first)}`);
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / opts.seconds, p99: latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? 0 };
}
