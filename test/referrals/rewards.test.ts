import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient } from '../helpers/factories';
import { startScheduler } from '../../src/scheduler';
import { allTasks } from '../../src/scheduler/tasks';
import { SYSTEM_ACTOR } from '../../src/modules/audit';
import { ReferralsService } from '../../src/modules/referrals';
import type { ReleaseReport } from '../../src/modules/referrals';
import { isDeadlock } from '../../src/shared/db';
import { holdTransaction, waitUntilBlockedBy } from '../helpers/locks';
import type { Client } from '../../src/modules/clients';
import type { PaidOrder } from '../../src/modules/orders';
import {
  cashbackEntries, expectConsistent, hookPaid, hookRefunded, paidOrder, referralPointEntries, refundEvent, rewardOf,
} from '../helpers/referrals';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const YUAN = 100;

describe('referral rewards: tiers, hold, release, cancel and clawback', () => {
  let t1: TestContext;
  let t2: TestContext;

  beforeAll(async () => {
    // Two instances on one database of their own (the release task releases whatever is due, so other
    // files' rewards must not be in it): every race splits its work between them (DESIGN.md).
    const env = { DB_POOL_SIZE: '10', POINTS_REFERRAL: '200', POINTS_REFERRAL_NEW_CLIENT_MULTIPLIER: '2', REFERRAL_REFEREE_POINTS: '100', REFERRAL_HOLD_DAYS: '7' };
    t1 = await createTestContext({ env, now: '2030-04-10T02:00:00Z', isolatedDatabase: true });
    t2 = await createTestContext({ env, now: '2030-04-10T02:00:00Z', shareDatabaseOf: t1 });
  });
  afterAll(async () => {
    await t2?.close();
    await t1?.close(); // drops the database
  });
  // Both instances see the same time.
  const advance = (ms: number) => { t1.clock.advance(ms); t2.clock.advance(ms); };
  const setNow = (iso: string) => { t1.clock.set(iso); t2.clock.set(iso); };
  beforeEach(() => setNow('2030-04-10T02:00:00Z'));

  async function referrer(): Promise<Client> {
    return createClient(t1);
  }
  /** A friend bound to the referrer, as a first login with the referrer's code would bind them. */
  async function friendOf(r: Client): Promise<Client> {
    const friend = await createClient(t1);
    const outcome = await t1.deps.db.transaction((m) =>
      t1.services.referrals.bindAtLogin(m, { clientId: friend.id, isNew: true, code: r.referralCode, openid: friend.openid, unionid: null }),
    );
    expect(outcome).toEqual({ bound: true });
    return friend;
  }
  const now = () => t1.clock.now();

  it('a friend\'s paid order holds cashback at the tier rate and both sides\' points; no ledger is written before the release', async () => {
    const a = await referrer();
    const b = await friendOf(a);
    const order = paidOrder(b.id, 10_000 * YUAN, now());

    await hookPaid(t1, order);

    expect(await rewardOf(t1, order.id)).toMatchObject({
      status: 'held', rate_bp: 500, cashback_fen: 500 * YUAN, conversion: 1, referrer_points: 400, referee_points: 100,
    });
    expect(await cashbackEntries(t1, a.id)).toEqual([]);
    expect(await referralPointEntries(t1, a.id)).toEqual([]);
    expect(await referralPointEntries(t1, b.id)).toEqual([]);
    const me = await t1.http.get('/api/mp/referrals/me').set(bearer(await clientToken(t1, a)));
    expect(me.body.cashback).toEqual({ balanceFen: 0, heldFen: 500 * YUAN });
    await expectConsistent(t1);
  });

  it('the release task releases rewards whose refund window has passed, once, even with two schedulers at once', async () => {
    const a = await referrer();
    const b = await friendOf(a);
    const order = paidOrder(b.id, 10_000 * YUAN, now());
    await hookPaid(t1, order);
    const [s1, s2] = await Promise.all([startScheduler(t1.deps, t1.services, { cron: false }), startScheduler(t2.deps, t2.services, { cron: false })]);
    try {
      advance(7 * DAY - 60_000);
      await s1.runOnce('referral-release', `early-${randomUUID()}`);
      expect((await rewardOf(t1, order.id))!.status).toBe('held');

      advance(60_000);
      const tick = `tick-${randomUUID()}`;
      const runs = await Promise.all([s1.runOnce('referral-release', tick), s2.runOnce('referral-release', tick)]);
      // Past the tick's claim too: two releases at once write each entry once (keys in MySQL).
      await Promise.all([t1.services.referrals.releaseDue(), t2.services.referrals.releaseDue()]);

      expect(runs.filter((r) => r.ran)).toHaveLength(1);
      expect(await rewardOf(t1, order.id)).toMatchObject({ status: 'released', referrer_points: 400, referee_points: 100 });
      expect(await cashbackEntries(t1, a.id)).toEqual([{ delta_fen: 500 * YUAN, reason: 'referral', balance_after_fen: 500 * YUAN }]);
      expect(await referralPointEntries(t1, a.id)).toEqual([400]);
      expect(await referralPointEntries(t1, b.id)).toEqual([100]);
      await expectConsistent(t1);
    } finally {
      await Promise.all([s1.stop(), s2.stop()]);
    }
  });

  it('the release task is one of the product\'s scheduled tasks', () => {
    expect(allTasks().map((x) => x.id)).toContain('referral-release');
  });

  it('the rate rises with converted referrals in the period (5% → 10% → 15%) and starts again next month; later orders carry no points', async () => {
    const a = await referrer();
    const friends = [];
    for (let i = 0; i < 7; i++) friends.push(await friendOf(a));
    const rates: number[] = [];
    for (const f of friends) {
      const order = paidOrder(f.id, 1_000 * YUAN, now());
      await hookPaid(t1, order);
      rates.push((await rewardOf(t1, order.id))!.rate_bp);
    }
    const repeat = paidOrder(friends[0].id, 2_000 * YUAN, now());
    await hookPaid(t1, repeat);
    setNow('2030-05-01T00:00:00+08:00');
    const nextMonth = paidOrder(friends[1].id, 2_000 * YUAN, now());
    await hookPaid(t1, nextMonth);

    expect(rates).toEqual([500, 500, 500, 1000, 1000, 1000, 1500]);
    expect(await rewardOf(t1, repeat.id)).toMatchObject({ rate_bp: 1500, cashback_fen: 300 * YUAN, conversion: 0, referrer_points: 0, referee_points: 0 });
    expect(await rewardOf(t1, nextMonth.id)).toMatchObject({ rate_bp: 500, conversion: 0 });
  });

  it('concurrent first orders of eight friends of one referrer: the tiers count exactly', async () => {
    const a = await referrer();
    const friends = await Promise.all(Array.from({ length: 8 }, () => friendOf(a)));
    const orders = friends.map((f) => paidOrder(f.id, 1_000 * YUAN, now()));

    await Promise.all(orders.map((o, i) => hookPaid(i % 2 ? t2 : t1, o)));

    const rows = await Promise.all(orders.map((o) => rewardOf(t1, o.id)));
    expect(rows.map((r) => r!.rate_bp).sort((x, y) => x - y)).toEqual([500, 500, 500, 1000, 1000, 1000, 1500, 1500]);
    expect(rows.every((r) => r!.conversion === 1)).toBe(true);
    await expectConsistent(t1);
  });

  it('the same order reported many times at once holds one reward (exactly once per order)', async () => {
    const a = await referrer();
    const b = await friendOf(a);
    const order = paidOrder(b.id, 5_000 * YUAN, now());

    await Promise.all(Array.from({ length: 10 }, (_, i) => hookPaid(i % 2 ? t2 : t1, order)));

    const [{ n }] = await t1.deps.db.query('SELECT COUNT(*) AS n FROM referral_rewards WHERE order_id = ?', [order.id]);
    expect(Number(n)).toBe(1);
  });

  it('a full refund inside the window cancels the reward and touches no ledger; the friend\'s next order converts instead', async () => {
    const a = await referrer();
    const b = await friendOf(a);
    const order = paidOrder(b.id, 10_000 * YUAN, now());
    await hookPaid(t1, order);
    advance(3 * DAY);

    await hookRefunded(t1, order, refundEvent(order, order.amountPaidFen, order.amountPaidFen, now()));
    const next = paidOrder(b.id, 4_000 * YUAN, now());
    await hookPaid(t1, next);
    advance(8 * DAY);
    await t1.services.referrals.releaseDue();

    expect((await rewardOf(t1, order.id))!.status).toBe('cancelled');
    expect(await rewardOf(t1, next.id)).toMatchObject({ status: 'released', conversion: 1, rate_bp: 500, cashback_fen: 200 * YUAN });
    expect(await cashbackEntries(t1, a.id)).toEqual([{ delta_fen: 200 * YUAN, reason: 'referral', balance_after_fen: 200 * YUAN }]);
    expect(await referralPointEntries(t1, a.id)).toEqual([400]);
    expect(await referralPointEntries(t1, b.id)).toEqual([100]);
    await expectConsistent(t1);
  });

  it('a partial refund inside the window lowers the held cashback to what is still paid', async () => {
    const a = await referrer();
    const b = await friendOf(a);
    const order = paidOrder(b.id, 10_000 * YUAN, now());
    await hookPaid(t1, order);

    await hookRefunded(t1, order, refundEvent(order, 2_500 * YUAN, 2_500 * YUAN, now()));

    expect(await rewardOf(t1, order.id)).toMatchObject({ status: 'held', cashback_fen: 375 * YUAN, referrer_points: 400 });
    expect(await cashbackEntries(t1, a.id)).toEqual([]);
  });

  it('a refund after the release claws back with compensating entries; points only as far as the balance goes, the rest recorded', async () => {
    const a = await referrer();
    const b = await friendOf(a);
    const order = paidOrder(b.id, 10_000 * YUAN, now());
    await hookPaid(t1, order);
    advance(7 * DAY);
    await t1.services.referrals.releaseDue();
    // The referrer spent most of the referral points meanwhile.
    await t1.services.points.debit(null, { clientId: a.id, points: 350, reason: 'redeem', reference: 'test', idempotencyKey: `spent:${randomUUID()}`, actor: SYSTEM_ACTOR });

    const partial = refundEvent(order, 3_000 * YUAN, 3_000 * YUAN, now());
    await hookRefunded(t1, order, partial);
    await hookRefunded(t2, order, partial); // the same refund reported again changes nothing
    expect(await rewardOf(t1, order.id)).toMatchObject({ status: 'released', cashback_fen: 500 * YUAN, clawed_fen: 150 * YUAN });
    await hookRefunded(t1, order, refundEvent(order, 7_000 * YUAN, 10_000 * YUAN, now()));

    expect(await rewardOf(t1, order.id)).toMatchObject({
      status: 'clawed_back', clawed_fen: 500 * YUAN, referrer_points_shortfall: 350, referee_points_shortfall: 0,
    });
    expect(await cashbackEntries(t1, a.id)).toEqual([
      { delta_fen: 500 * YUAN, reason: 'referral', balance_after_fen: 500 * YUAN },
      { delta_fen: -150 * YUAN, reason: 'clawback', balance_after_fen: 350 * YUAN },
      { delta_fen: -350 * YUAN, reason: 'clawback', balance_after_fen: 0 },
    ]);
    expect(await referralPointEntries(t1, a.id)).toEqual([400, -50]);
    expect(await referralPointEntries(t1, b.id)).toEqual([100, -100]);
    expect(await t1.services.points.balance(a.id)).toBe(0);
    await expectConsistent(t1);
  });

  it('refunds racing the release: each reward ends cancelled (no entries) or clawed back (net zero), never both or neither', async () => {
    const a = await referrer();
    const orders: PaidOrder[] = [];
    for (let i = 0; i < 10; i++) {
      const f = await friendOf(a);
      const o = paidOrder(f.id, 1_000 * YUAN, now());
      await hookPaid(t1, o);
      orders.push(o);
    }
    advance(7 * DAY);

    await Promise.all([
      t1.services.referrals.releaseDue(),
      ...orders.map((o, i) => hookRefunded(i % 2 ? t2 : t1, o, refundEvent(o, o.amountPaidFen, o.amountPaidFen, now()))),
      t2.services.referrals.releaseDue(),
    ]);

    for (const o of orders) {
      const r = (await rewardOf(t1, o.id))!;
      expect(['cancelled', 'clawed_back']).toContain(r.status);
      const [{ net, n }] = await t1.deps.db.query('SELECT COALESCE(SUM(delta_fen), 0) AS net, COUNT(*) AS n FROM cashback_entries WHERE reward_id = ?', [r.id]);
      expect([Number(net), Number(n)]).toEqual(r.status === 'cancelled' ? [0, 0] : [0, 2]);
    }
    await expectConsistent(t1);
  });

  it('a referrer who deleted their account before the release gets nothing; the reward is cancelled', async () => {
    const a = await referrer();
    const b = await friendOf(a);
    const order = paidOrder(b.id, 1_000 * YUAN, now());
    await hookPaid(t1, order);
    await t1.services.clients.deleteOwnAccount(a.id, { ...SYSTEM_ACTOR, type: 'client', id: a.id, role: 'client' });
    advance(8 * DAY);

    await t1.services.referrals.releaseDue();

    expect((await rewardOf(t1, order.id))!.status).toBe('cancelled');
    expect(await cashbackEntries(t1, a.id)).toEqual([]);
    expect(await referralPointEntries(t1, b.id)).toEqual([]);
  });

  it('spend paid before the friend was bound earns the referrer nothing; the first order paid after it converts', async () => {
    const a = await referrer();
    const b = await friendOf(a);
    const before = paidOrder(b.id, 5_000 * YUAN, new Date(now().getTime() - HOUR));
    const after = paidOrder(b.id, 1_000 * YUAN, now());

    await hookPaid(t1, before);
    await hookPaid(t1, after);

    expect(await rewardOf(t1, before.id)).toBeUndefined();
    expect(await rewardOf(t1, after.id)).toMatchObject({ status: 'held', conversion: 1, cashback_fen: 50 * YUAN });
  });

  it('an order recorded days after its payment is held the full refund window from when it was recorded', async () => {
    const a = await referrer();
    const b = await friendOf(a);
    advance(6 * DAY);
    // Recorded today for a payment made (after the binding) six days ago.
    const late = paidOrder(b.id, 1_000 * YUAN, new Date(now().getTime() - 6 * DAY));
    await hookPaid(t1, late);

    advance(7 * DAY - 60_000);
    await t1.services.referrals.releaseDue();
    expect((await rewardOf(t1, late.id))!.status).toBe('held');
    advance(60_000);
    await t1.services.referrals.releaseDue();
    expect((await rewardOf(t1, late.id))!.status).toBe('released');
  });

  it('a release running while a new friend\'s order pays: both take the cashback account before reward rows, so neither deadlocks', async () => {
    const a = await referrer();
    const b = await friendOf(a);
    const first = paidOrder(b.id, 1_000 * YUAN, now());
    await hookPaid(t1, first);
    advance(7 * DAY);
    const c = await friendOf(a);
    const second = paidOrder(c.id, 2_000 * YUAN, now());
    // The release runs on the second instance, its transactions watched: a deadlock it retried would not show in its report.
    const deadlocks: unknown[] = [];
    const watched = new Proxy(t2.deps.db, {
      get(target, prop) {
        if (prop === 'transaction') {
          return (...args: unknown[]) => (target.transaction as (...a: unknown[]) => Promise<unknown>).apply(target, args).catch((err: unknown) => {
            if (isDeadlock(err)) deadlocks.push(err);
            throw err;
          });
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const releaser = new ReferralsService({ ...t2.deps, db: watched, cipher: t2.services.cipher, points: t2.services.points, wechat: t2.services.wechat, clients: t2.services.clients, wallet: t2.services.wallet });

    const paying = await holdTransaction(t1);
    let releasing: Promise<ReleaseReport> = Promise.resolve({ released: 0, failed: 0 });
    try {
      // The new friend's order is being recorded: its hook has the referrer's cashback account…
      await paying.manager.query('SELECT balance_fen FROM cashback_accounts WHERE client_id = ? FOR UPDATE', [a.id]);
      releasing = releaser.releaseDue();
      await waitUntilBlockedBy(t1, paying);
      // …and goes on (the tier count share-locks the referrer's rewards) while the release waits.
      await t1.services.referrals.orderHooks.onPaid!(paying.manager, second);
      await paying.commit();
      expect((await releasing).failed).toBe(0);
    } finally {
      await paying.release();
      await releasing.catch(() => undefined);
    }

    expect(deadlocks).toEqual([]);
    expect(await rewardOf(t1, first.id)).toMatchObject({ status: 'released', conversion: 1 });
    expect(await rewardOf(t1, second.id)).toMatchObject({ status: 'held', conversion: 1, rate_bp: 500 });
    await expectConsistent(t1);
  });

  it('an order of a client nobody referred earns no referral reward', async () => {
    const loner = await createClient(t1);
    const order = paidOrder(loner.id, 1_000 * YUAN, now());

    await hookPaid(t1, order);

    expect(await rewardOf(t1, order.id)).toBeUndefined();
  });

  it('referrals reach other modules only through their index', () => {
    const dir = join(__dirname, '../../src/modules/referrals');
    for (const file of readdirSync(dir)) {
      const source = readFileSync(join(dir, file), 'utf8');
      expect([file, source.match(/from '\.\.\/[^'./]+\/[^']+'/g) ?? []]).toEqual([file, []]);
    }
  });

  it('the cashback consistency check (endpoint) reports zero drift and finds a tampered balance', async () => {
    await expectConsistent(t1);
    const a = await referrer();
    const b = await friendOf(a);
    const order = paidOrder(b.id, 1_000 * YUAN, now());
    await hookPaid(t1, order);
    advance(8 * DAY);
    await t1.services.referrals.releaseDue();
    const { createStaff, staffToken } = await import('../helpers/factories');
    const director = await staffToken(t1, await createStaff(t1, 'director'));
    const desk = await staffToken(t1, await createStaff(t1, 'customer_service'));

    const ok = await t1.http.get('/api/staff/referrals/consistency').set(bearer(director));
    const denied = await t1.http.get('/api/staff/referrals/consistency').set(bearer(desk));
    await t1.deps.db.query('UPDATE cashback_accounts SET balance_fen = balance_fen + 1 WHERE client_id = ?', [a.id]);
    try {
      const report = await t1.services.referrals.checkConsistency();
      expect(report.drift).toEqual([{ clientId: a.id, balanceFen: 50 * YUAN + 1, sumFen: 50 * YUAN }]);
    } finally {
      await t1.deps.db.query('UPDATE cashback_accounts SET balance_fen = balance_fen - 1 WHERE client_id = ?', [a.id]);
    }

    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ drift: [], rewards: [] });
    expect(ok.body.accounts).toBeGreaterThan(0);
    expect(denied.status).toBe(403);
  });
});
