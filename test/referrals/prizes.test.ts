import { randomInt, randomUUID } from 'node:crypto';
import { createTestContext, TestContext } from '../helpers/context';
import { createClient } from '../helpers/factories';
import { startScheduler } from '../../src/scheduler';
import type { Client } from '../../src/modules/clients/clients.entity';

/**
 * 冲榜 prizes (DOMAIN.md: monthly and quarterly referral leaderboards; a promise is a real benefit):
 * the top N of a closed period get its voucher once, after the refund window, even with two schedulers.
 */
describe('referral leaderboard prizes', () => {
  let t1: TestContext;
  let t2: TestContext;
  let a: Client, b: Client, c: Client, d: Client;

  beforeAll(async () => {
    // Two instances on a database of their own (the ranking counts every referrer in it).
    const env = { REFERRAL_HOLD_DAYS: '7', REFERRAL_PRIZE_TOP_N: '2' };
    t1 = await createTestContext({ env, now: '2031-01-20T02:00:00Z', isolatedDatabase: true });
    t2 = await createTestContext({ env, now: '2031-01-20T02:00:00Z', shareDatabaseOf: t1 });
    [a, b, c, d] = await Promise.all([1, 2, 3, 4].map(() => createClient(t1)));
    // January 2031: a converts 3 friends, b and c 2 each (tied second), d 1 plus one refunded in full.
    for (const [client, n] of [[a, 3], [b, 2], [c, 2], [d, 1]] as const) for (let i = 0; i < n; i++) await conversion(client, 'held');
    await conversion(d, 'cancelled');
    await conversion(d, 'cancelled');
  }, 120_000);
  afterAll(async () => {
    await t2?.close();
    await t1?.close();
  });
  const setNow = (iso: string) => { t1.clock.set(iso); t2.clock.set(iso); };

  /** A converted referral of January 2031 as the referral hooks record it. */
  async function conversion(referrer: Client, status: 'held' | 'cancelled'): Promise<void> {
    const at = new Date('2031-01-15T04:00:00Z');
    await t1.deps.db.query(
      `INSERT INTO referral_rewards (referrer_id, referee_id, binding_id, order_id, order_no, amount_paid_fen, rate_bp, cashback_fen, conversion, status,
                                     period_month, period_quarter, paid_at, hold_until, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 100000, 500, 5000, 1, ?, '2031-01', '2031-Q1', ?, ?, ?, ?)`,
      [referrer.id, randomInt(1e9), randomInt(1e9), randomInt(4e9), `R${randomUUID()}`, status, at, at, at, at],
    );
  }
  const prizesOf = async (client: Client) =>
    (await t1.deps.db.query("SELECT rule, period, kind FROM vouchers WHERE client_id = ? AND rule LIKE 'leaderboard_%' ORDER BY rule", [client.id]));

  it('waits for the refund window after the month closes: one millisecond before, January is not awarded', async () => {
    // 2031-02-07 23:59:59.999 Shanghai minus 7 days is still 31 January.
    setNow('2031-02-07T15:59:59.999Z');
    const awards = await t1.services.referrals.awardPrizes(t1.clock.now());
    expect(awards.find((x) => x.period === 'month')!.periodKey).toBe('2030-12');
    expect(await prizesOf(a)).toEqual([]);
  });

  it('two schedulers at once: the top 2 (a tie at second place shares it) get January\'s voucher exactly once, with a message', async () => {
    setNow('2031-02-07T16:00:00.000Z');
    const [s1, s2] = await Promise.all([startScheduler(t1.deps, t1.services, { cron: false }), startScheduler(t2.deps, t2.services, { cron: false })]);
    try {
      // Different ticks: each scheduler runs the task; only MySQL's award row keeps the prize to once.
      const runs = await Promise.all([s1.runOnce('referral-prizes', `a-${randomUUID()}`), s2.runOnce('referral-prizes', `b-${randomUUID()}`)]);
      const rerun = await s1.runOnce('referral-prizes', `c-${randomUUID()}`);

      expect(runs.map((r) => r.ran)).toEqual([true, true]);
      expect(runs.map((r) => r.items).sort()).toEqual([0, 3]);
      expect(rerun.items).toBe(0);
    } finally {
      await Promise.all([s1.stop(), s2.stop()]);
    }
    for (const winner of [a, b, c]) expect(await prizesOf(winner)).toEqual([{ rule: 'leaderboard_month', period: '2031-01', kind: 'amount_off' }]);
    expect(await prizesOf(d)).toEqual([]);
    const [run] = await t1.deps.db.query("SELECT top_n, winners FROM referral_prize_runs WHERE period = 'month' AND period_key = '2031-01'");
    expect(run).toEqual({ top_n: 2, winners: 3 });
    const [msg] = (await t1.services.outbox.listForClient(b.id, 'client_message')).filter((o) => o.dedupeKey.startsWith('leaderboard_prize:'));
    expect(msg.payload.text).toContain('2031年1月推荐冲榜中位列第 2 名');
    expect(msg.payload.text).toContain('「月度推荐榜奖励券」¥500 代金券，有效期至');
  });

  it('awards the quarter once it has closed and its refund window passed', async () => {
    setNow('2031-04-07T16:00:00.000Z');
    const awards = await Promise.all([t1.services.referrals.awardPrizes(t1.clock.now()), t2.services.referrals.awardPrizes(t2.clock.now())]);
    expect(awards.flat().filter((x) => x.period === 'quarter').map((x) => [x.periodKey, x.winners]).sort()).toEqual([['2031-Q1', 0], ['2031-Q1', 3]]);
    expect((await prizesOf(a)).map((v: any) => [v.rule, v.period, v.kind])).toEqual([['leaderboard_month', '2031-01', 'amount_off'], ['leaderboard_quarter', '2031-Q1', 'gift']]);
  });
});
