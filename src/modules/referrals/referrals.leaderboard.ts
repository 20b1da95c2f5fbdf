import { randomUUID } from 'node:crypto';
import type { RewardStatus } from './referrals.entity';
import { competitionRanks, maskName, periodKeys, type ReferralPeriod } from './referrals.rules';
import type { ReferralsSupport } from './referrals.shared';
import type { LeaderboardView } from './referrals.types';

const LB_LOCK = 'lb:referrals:lock';
const LB_LOCK_MS = 10_000;
const LB_READ_WAIT_MS = 2_000;
// An empty board still exists in Redis through this member, so "missing" means "lost", never "empty".
const LB_SENTINEL = '~';
const LB_TTL_SECONDS = 400 * 86400;
const RELEASE_IF_OURS = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

type Scored = { clientId: number; score: number };

/**
 * The referral leaderboards 冲榜 (monthly and quarterly): sorted sets in Redis, fed from the reward
 * rows flagged lb_pending and rebuilt from MySQL (the source of truth) whenever Redis has lost one.
 */
export class ReferralLeaderboard {
  constructor(private readonly s: ReferralsSupport) {}

  /**
   * 冲榜: the period's ranking by converted referrals (a friend's first order paid and not refunded
   * in full), top N with masked names and the client's own rank (ties share a rank). Pending changes
   * are pushed first; a board Redis has lost is rebuilt from MySQL; Redis down → answered from MySQL.
   */
  async leaderboard(clientId: number, period: ReferralPeriod): Promise<LeaderboardView> {
    const { redis } = this.s.deps;
    const periodKey = periodKeys(this.s.now())[period];
    const size = this.s.cfg.leaderboardSize;
    let ranked: Scored[];
    let mine: { rank: number | null; converted: number };
    try {
      // Waits a moment for another instance's sync or rebuild, so a reader sees what has committed.
      await this.sync(LB_READ_WAIT_MS);
      const key = await this.ensureBoard(period, periodKey);
      if (key) {
        // A few more than N: deleted accounts are skipped below.
        const flat = await redis.zrevrangebyscore(key, '+inf', 1, 'WITHSCORES', 'LIMIT', 0, size + 10);
        ranked = [];
        for (let i = 0; i < flat.length; i += 2) ranked.push({ clientId: Number(flat[i]), score: Number(flat[i + 1]) });
        const score = Number((await redis.zscore(key, String(clientId))) ?? 0);
        mine = { converted: score, rank: score >= 1 ? (await redis.zcount(key, `(${score}`, '+inf')) + 1 : null };
      } else {
        ({ ranked, mine } = await this.boardFromMysql(period, periodKey, clientId, size + 10));
      }
    } catch (err) {
      this.s.log.warn({ err }, 'leaderboard not available from Redis; answered from MySQL');
      ({ ranked, mine } = await this.boardFromMysql(period, periodKey, clientId, size + 10));
    }
    const top = await this.renderTop(ranked, clientId, size);
    return { period, periodKey, top, me: mine };
  }

  /**
   * Pushes the leaderboard changes that committed in MySQL (rows flagged lb_pending) to Redis: the
   * changed referrers' counts are recomputed from MySQL and set (never incremented), so running it
   * twice is harmless. A flag is cleared only if the row's status is still the one the count saw.
   * `waitMs`: how long to wait for the leaderboard lock (0: leave it to the instance holding it).
   */
  async sync(waitMs = 0): Promise<number> {
    const { db, redis } = this.s.deps;
    const pending: { id: number; referrer_id: number; period_month: string; period_quarter: string; status: RewardStatus }[] = await db.query(
      'SELECT id, referrer_id, period_month, period_quarter, status FROM referral_rewards WHERE lb_pending = 1 ORDER BY id LIMIT 500',
    );
    if (!pending.length) return 0;
    let synced = 0;
    await this.withLock(waitMs, async () => {
      const boards = new Map<string, { period: ReferralPeriod; periodKey: string; referrerId: number }>();
      for (const p of pending) {
        for (const period of ['month', 'quarter'] as const) {
          const periodKey = period === 'month' ? p.period_month : p.period_quarter;
          boards.set(`${period}:${periodKey}:${p.referrer_id}`, { period, periodKey, referrerId: Number(p.referrer_id) });
        }
      }
      for (const b of boards.values()) {
        const key = this.boardKey(b.period, b.periodKey);
        // A board Redis does not have is rebuilt whole from MySQL when next read.
        if (!(await redis.exists(key))) continue;
        const [count] = await this.s.convertedCounts(db, b.period, b.periodKey, b.referrerId);
        if (count) await redis.zadd(key, count.score, String(b.referrerId));
        else await redis.zrem(key, String(b.referrerId));
      }
      for (const p of pending) {
        const res = await db.query('UPDATE referral_rewards SET lb_pending = 0 WHERE id = ? AND status = ? AND lb_pending = 1', [p.id, p.status]);
        synced += Number(res.affectedRows ?? 0);
      }
    });
    return synced;
  }

  /** Drops a board from Redis (as a Redis restart would); the next read rebuilds it. For operations and tests. */
  async forget(period: ReferralPeriod, periodKey: string): Promise<void> {
    await this.s.deps.redis.del(this.boardKey(period, periodKey));
  }

  private boardKey(period: ReferralPeriod, periodKey: string): string {
    // One hash tag per board, so the rebuild's temporary key and RENAME stay in one Redis Cluster slot.
    return `lb:referrals:{${period}:${periodKey}}`;
  }

  private async boardFromMysql(period: ReferralPeriod, periodKey: string, clientId: number, limit: number) {
    const all = await this.s.convertedCounts(this.s.deps.db, period, periodKey);
    const score = all.find((x) => x.clientId === clientId)?.score ?? 0;
    const mine = { converted: score, rank: score >= 1 ? all.filter((x) => x.score > score).length + 1 : null };
    return { ranked: all.slice(0, limit), mine };
  }

  /** Competition ranking (1, 2, 2, 4) over the entries shown; names masked; deleted accounts skipped. */
  private async renderTop(ranked: Scored[], me: number, size: number): Promise<LeaderboardView['top']> {
    if (!ranked.length) return [];
    const rows: { id: number; public_id: string; name_enc: Buffer | null; status: string }[] = await this.s.deps.db.query(
      `SELECT id, public_id, name_enc, status FROM clients WHERE id IN (${ranked.map(() => '?').join(',')})`, ranked.map((r) => r.clientId),
    );
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    const shown = competitionRanks(ranked.filter((r) => byId.get(r.clientId)?.status === 'active')).slice(0, size);
    return shown.map((r) => {
      const c = byId.get(r.clientId)!;
      return { rank: r.rank, name: maskName(this.s.nameOf(c.public_id, c.name_enc)), converted: r.score, isMe: r.clientId === me };
    });
  }

  /**
   * The board's key once it exists in Redis, rebuilding it from MySQL when Redis has lost it (under
   * the leaderboard lock, into a temporary key renamed over the board); null when another instance
   * holds the lock for too long (the caller answers from MySQL).
   */
  private async ensureBoard(period: ReferralPeriod, periodKey: string): Promise<string | null> {
    const { redis } = this.s.deps;
    const key = this.boardKey(period, periodKey);
    for (let attempt = 0; attempt < 20; attempt++) {
      if (await redis.exists(key)) return key;
      const built = await this.withLock(0, async () => {
        if (await redis.exists(key)) return;
        const tmp = `${key}:tmp:${randomUUID()}`;
        const counts = await this.s.convertedCounts(this.s.deps.db, period, periodKey);
        const args: (string | number)[] = [0, LB_SENTINEL];
        for (const c of counts) args.push(c.score, String(c.clientId));
        await redis.zadd(tmp, ...args);
        await redis.multi().rename(tmp, key).expire(key, LB_TTL_SECONDS).exec();
        this.s.log.info({ key, members: counts.length }, 'leaderboard rebuilt from MySQL');
      });
      if (built) return key;
      await new Promise((r) => setTimeout(r, 50));
    }
    return null;
  }

  /**
   * Runs `work` under the one leaderboard lock (rebuilds and syncs never interleave), waiting up to
   * `waitMs` for it; false when another instance still holds it.
   */
  private async withLock(waitMs: number, work: () => Promise<void>): Promise<boolean> {
    const { redis } = this.s.deps;
    const token = randomUUID();
    // Counted in attempts, not read from a clock: the business clock may be a test's stopped one.
    for (let waited = 0; (await redis.set(LB_LOCK, token, 'PX', LB_LOCK_MS, 'NX')) !== 'OK'; waited += 25) {
      if (waited >= waitMs) return false;
      await new Promise((r) => setTimeout(r, 25));
    }
    try {
      await work();
      return true;
    } finally {
      await redis.eval(RELEASE_IF_OURS, 1, LB_LOCK, token).catch(() => undefined);
    }
  }
}
