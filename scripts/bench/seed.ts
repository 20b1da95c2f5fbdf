import type { DataSource } from 'typeorm';
import type { Deps, Services } from '../../src/services';
import { SYSTEM_ACTOR } from '../../src/modules/audit';
import { publicId, randomCode, sha256 } from '../../src/shared/crypto';

/** A client with every profile field filled (so the profile read decrypts for real) and a live session. */
export async function seedProfileClient(deps: Deps, services: Services): Promise<string> {
  const client = await services.clients.createClient({
    openid: `bench-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    name: '林晓雯', gender: 'female', birthDate: '1994-05-12', address: '上海市静安区南京西路 1266 号',
  });
  await services.clients.grantConsent(client.id, { purpose: 'privacy', policyVersion: deps.config.policy.privacyVersion }, SYSTEM_ACTOR);
  const session = await services.sessions.create({ kind: 'client', clientId: client.id, publicId: client.publicId }, 3600);
  return session.token;
}

/** A seeded client of the redemption bench: internal id, public id and (when asked) a live session token. */
export interface SeededClient {
  id: number;
  publicId: string;
  token: string | null;
}

const SEED_ROWS_PER_INSERT = 500;

/**
 * `count` clients, each with a points account of `points` held in one lot that expires in a year,
 * written with bulk INSERTs (a few seconds for thousands). Sessions are created only when asked.
 */
export async function seedPointsClients(
  deps: Deps, services: Services, opts: { tag: string; count: number; points: number; sessions: boolean },
): Promise<SeededClient[]> {
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + 365 * 86400_000);
  const openidPrefix = `bench-${opts.tag}-${now.getTime()}-`;
  for (let from = 0; from < opts.count; from += SEED_ROWS_PER_INSERT) {
    const n = Math.min(SEED_ROWS_PER_INSERT, opts.count - from);
    const rows = Array.from({ length: n }, (_, i) => [publicId(), `${openidPrefix}${from + i}`, randomCode(8)]);
    await deps.db.query(`INSERT INTO clients (public_id, openid, referral_code) VALUES ${rows.map(() => '(?, ?, ?)').join(', ')}`, rows.flat());
  }
  const created: { id: number; public_id: string }[] = await deps.db.query(
    'SELECT id, public_id FROM clients WHERE openid LIKE ? ORDER BY id', [`${openidPrefix}%`],
  );
  if (created.length !== opts.count) throw new Error(`seeded ${created.length} clients, wanted ${opts.count}`);

  // The same row shapes PointsService writes: the balance equals its one open lot and its entry.
  const hash = sha256(JSON.stringify([opts.points, 'manual_adjust', 'bench seed']));
  for (let from = 0; from < created.length; from += SEED_ROWS_PER_INSERT) {
    const batch = created.slice(from, from + SEED_ROWS_PER_INSERT);
    await deps.db.query(
      `INSERT INTO points_accounts (client_id, balance, version, updated_at) VALUES ${batch.map(() => '(?, ?, 1, ?)').join(', ')}`,
      batch.flatMap((c) => [c.id, opts.points, now]),
    );
    await deps.db.query(
      `INSERT INTO points_entries (client_id, delta, reason, reference, idempotency_key, request_hash, balance_after, expires_at, remaining, actor_type, actor_id, created_at)
       VALUES ${batch.map(() => "(?, ?, 'manual_adjust', 'bench seed', 'bench-seed', ?, ?, ?, ?, 'system', NULL, ?)").join(', ')}`,
      batch.flatMap((c) => [c.id, opts.points, hash, opts.points, expiresAt, opts.points, now]),
    );
  }

  const clients: SeededClient[] = created.map((c) => ({ id: Number(c.id), publicId: c.public_id, token: null }));
  if (opts.sessions) {
    for (let from = 0; from < clients.length; from += SEED_ROWS_PER_INSERT) {
      await Promise.all(
        clients.slice(from, from + SEED_ROWS_PER_INSERT).map(async (c) => {
          c.token = (await services.sessions.create({ kind: 'client', clientId: c.id, publicId: c.publicId }, 3600)).token;
        }),
      );
    }
  }
  return clients;
}

/** A reward item with no per-client limit and no dates, so only points and stock can refuse a redemption. */
export async function seedRewardItem(deps: Deps, opts: { title: string; pointsPrice: number; stock: number }): Promise<{ id: number; publicId: string }> {
  const now = deps.clock.now();
  const id = publicId();
  const res = await deps.db.query(
    `INSERT INTO reward_items (public_id, kind, title, description, points_price, stock, per_client_limit, valid_from, valid_to, active, created_at, updated_at)
     VALUES (?, 'care_product', ?, '', ?, ?, NULL, NULL, NULL, 1, ?, ?)`,
    [id, opts.title, opts.pointsPrice, opts.stock, now, now],
  );
  return { id: Number(res.insertId), publicId: id };
}

/** A public id made by MySQL: 16 random bytes as base64url, 22 characters, like publicId(). */
export const SQL_PUBLIC_ID = "REPLACE(REPLACE(LEFT(TO_BASE64(RANDOM_BYTES(16)), 22), '+', '-'), '/', '_')";

const REFERRAL_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
const BULK_ROWS = 100_000;

/** MySQL for an 8-character referral code spelling `n` in base 31 (the referral alphabet): distinct n, distinct codes. */
function sqlReferralCode(n: string): string {
  const digits = Array.from({ length: 8 }, (_, i) => `SUBSTRING('${REFERRAL_ALPHABET}', ((${n}) DIV ${31 ** (7 - i)}) MOD 31 + 1, 1)`);
  return `CONCAT(${digits.join(', ')})`;
}

/**
 * `count` clients written by INSERT … SELECT over MariaDB's sequence engine (seq_1_to_N), 100,000
 * per statement: random public ids, openids `<openidPrefix><n>`, distinct referral codes, and any
 * `columns` given as SQL over the row number `s.seq` (e.g. gender, status). With `consents`, each
 * client also gets those consents of the given version. Returns the id range: ids are consecutive,
 * the n-th client's id is firstId + n - 1 (nothing else may write clients meanwhile).
 */
export async function seedBulkClients(
  db: DataSource,
  opts: {
    openidPrefix: string; count: number; at: Date; columns?: Record<string, string>;
    consents?: { purpose: 'privacy' | 'health'; policyVersion: string }[]; onProgress?: (done: number) => void;
  },
): Promise<{ firstId: number; lastId: number }> {
  const extra = Object.entries(opts.columns ?? {});
  // Explicit ids: a bulk insert's auto-increment leaves gaps between statements, and callers want one range.
  const [{ base }] = await db.query('SELECT COALESCE(MAX(id), 0) AS base FROM clients');
  // A random start in the code space keeps two seeds apart; 31^8 codes leave room for any bench.
  const codeBase = Math.floor(Math.random() * (31 ** 8 - opts.count - 1));
  for (let from = 1; from <= opts.count; from += BULK_ROWS) {
    const to = Math.min(opts.count, from + BULK_ROWS - 1);
    await db.query(
      `INSERT INTO clients (id, public_id, openid, referral_code, created_at, updated_at${extra.map(([c]) => `, ${c}`).join('')})
       SELECT ${Number(base)} + s.seq, ${SQL_PUBLIC_ID}, CONCAT(?, s.seq), ${sqlReferralCode(`s.seq + ${codeBase}`)}, ?, ?${extra.map(([, sql]) => `, ${sql}`).join('')}
         FROM seq_${from}_to_${to} s ORDER BY s.seq`,
      [opts.openidPrefix, opts.at, opts.at],
    );
    opts.onProgress?.(to);
  }
  const [range] = await db.query(
    'SELECT MIN(id) AS firstId, MAX(id) AS lastId, COUNT(*) AS n FROM clients WHERE openid LIKE ?', [`${opts.openidPrefix.replace(/[%_\\]/g, '\\$&')}%`],
  );
  const firstId = Number(range.firstId);
  const lastId = Number(range.lastId);
  if (Number(range.n) !== opts.count || lastId - firstId + 1 !== opts.count) {
    throw new Error(`seeded ${range.n} clients with ids ${firstId}..${lastId}, wanted ${opts.count} consecutive ids`);
  }
  for (const c of opts.consents ?? []) {
    await db.query(
      `INSERT INTO consents (public_id, client_id, purpose, policy_version, granted_at) SELECT ${SQL_PUBLIC_ID}, id, ?, ?, ? FROM clients WHERE id BETWEEN ? AND ?`,
      [c.purpose, c.policyVersion, opts.at, firstId, lastId],
    );
  }
  return { firstId, lastId };
}

/** Staff for the seeded orders and follow-ups (doctors, consultants); they cannot log in. Returns the ids by role. */
export async function seedBulkStaff(db: DataSource, counts: Partial<Record<'doctor' | 'consultant' | 'customer_service', number>>): Promise<Record<string, number[]>> {
  const ids: Record<string, number[]> = {};
  for (const [role, n] of Object.entries(counts)) {
    ids[role] = [];
    for (let i = 1; i <= n; i++) {
      const res = await db.query(
        "INSERT INTO staff (public_id, username, display_name, role, password_hash) VALUES (?, ?, ?, ?, '!bench')",
        [publicId(), `bench-${role}-${i}-${publicId().slice(0, 6)}`, `${role === 'doctor' ? '李' : role === 'consultant' ? '周' : '陈'}${i}`, role],
      );
      ids[role].push(Number(res.insertId));
    }
  }
  return ids;
}
