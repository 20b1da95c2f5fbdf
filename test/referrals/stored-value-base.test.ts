import { randomUUID } from 'node:crypto';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createClient, createStaff, staffToken } from '../helpers/factories';
import { createProject, externalNo, staffActor } from '../helpers/orders';
import { expectConsistent } from '../helpers/referrals';
import { SYSTEM_ACTOR } from '../../src/modules/audit';
import { cashBaseFen, cashbackFen } from '../../src/modules/referrals';
import type { Client } from '../../src/modules/clients';
import type { Staff } from '../../src/modules/staff';
import { ReferralStoredValueBase1795810000000 } from '../../migrations/1795810000000-ReferralStoredValueBase';

const DAY = 24 * 3600_000;

describe('referral cashback base: stored value is not new spend', () => {
  let t1: TestContext;
  let t2: TestContext;
  let director: Staff;
  let doctor: Staff;
  let token1: string;
  let token2: string;
  let projectId: string;

  beforeAll(async () => {
    // A database of its own (the release run releases every due reward in it); a second instance on it
    // for the two desks paying at once (DESIGN.md: every concurrency test runs at least two).
    const env = { DB_POOL_SIZE: '10', POINTS_REFERRAL: '200', POINTS_REFERRAL_NEW_CLIENT_MULTIPLIER: '2', REFERRAL_REFEREE_POINTS: '100', REFERRAL_HOLD_DAYS: '7' };
    t1 = await createTestContext({ env, now: '2030-06-10T02:00:00Z', isolatedDatabase: true });
    t2 = await createTestContext({ env, now: '2030-06-10T02:00:00Z', shareDatabaseOf: t1 });
    director = await createStaff(t1, 'director');
    doctor = await createStaff(t1, 'doctor');
    token1 = await staffToken(t1, director);
    token2 = await staffToken(t2, director);
    projectId = (await createProject(t1, { category: 'light', listPriceFen: 100_000 })).id;
  });
  afterAll(async () => {
    await t2?.close();
    await t1?.close();
  });
  const setNow = (iso: string) => { t1.clock.set(iso); t2.clock.set(iso); };
  const advance = (ms: number) => { t1.clock.advance(ms); t2.clock.advance(ms); };
  beforeEach(() => setNow('2030-06-10T02:00:00Z'));

  async function friendOf(referrer: Client): Promise<Client> {
    const friend = await createClient(t1);
    const outcome = await t1.deps.db.transaction((m) =>
      t1.services.referrals.bindAtLogin(m, { clientId: friend.id, isNew: true, code: referrer.referralCode, openid: friend.openid, unionid: null }),
    );
    expect(outcome).toEqual({ bound: true });
    return friend;
  }
  /** Stored value put in directly (as a release would), so the friend can pay from an exact balance. */
  const fund = (c: Client, amountFen: number) =>
    t1.services.wallet.credit(null, { clientId: c.id, amountFen, reason: 'referral_cashback', reference: 'test', idempotencyKey: `test:${randomUUID()}`, actor: SYSTEM_ACTOR });
  const order = (c: Client, amountFen: number) => t1.services.orders.recordOrder(staffActor(director), {
    orderNo: externalNo(), clientId: c.publicId, doctorId: doctor.publicId, paidAt: t1.clock.now(), items: [{ projectId, amountFen }],
  });
  const pay = (t: TestContext, token: string, orderId: string, amountFen: number, requestId = randomUUID()) =>
    t.http.post(`/api/staff/orders/${orderId}/stored-value`).set(bearer(token)).send({ amountFen, requestId });
  const refund = (t: TestContext, token: string, orderId: string, amountFen: number) =>
    t.http.post(`/api/staff/orders/${orderId}/refunds`).set(bearer(token)).send({ refundNo: externalNo('R'), amountFen, reason: '客户要求退款' });
  const rewardOf = async (orderNo: string): Promise<Record<string, number | string>> => {
    const [r] = await t1.deps.db.query(
      'SELECT status, cashback_fen, stored_value_fen, clawed_fen, cashback_shortfall_fen, refunded_fen, conversion, referrer_points, referee_points, lb_pending FROM referral_rewards WHERE order_no = ?', [orderNo],
    );
    return r && Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'status' ? v : Number(v)])) as Record<string, number | string>;
  };
  const walletOf = (c: Client) => t1.services.wallet.balance(c.id);
  /** A referrer, a friend bound to them with `fundFen` of stored value, and the friend's order of `orderFen` paid now. */
  async function friendsOrder(fundFen: number, orderFen: number) {
    const a = await createClient(t1);
    const b = await friendOf(a);
    await fund(b, fundFen);
    return { a, b, o: await order(b, orderFen) };
  }
  /** Past the refund window: the release run releases every due reward. */
  async function releaseAfterHold(): Promise<void> {
    advance(7 * DAY + 60_000);
    await t1.services.referrals.releaseDue();
  }

  describe('the rule', () => {
    it('the base is the cash: paid − stored value − the cash part of refunds (the refund\'s stored-value share is not taken twice)', () => {
      expect(cashBaseFen(10_000, 0, 0, false)).toBe(10_000);
      expect(cashBaseFen(10_000, 4_000, 0, false)).toBe(6_000);
      expect(cashBaseFen(10_000, 10_000, 0, false)).toBe(0);
      // Half refunded: stored value gets back 2,000 of the 5,000, the cash part of the refund is 3,000.
      expect(cashBaseFen(10_000, 4_000, 5_000, false)).toBe(3_000);
      // The fen a fraction leaves goes back with the cash part: 333 × 3 / 1000 → 0 back to stored value, 3 off the cash.
      expect(cashBaseFen(1_000, 333, 3, false)).toBe(664);
      expect(cashBaseFen(1_000, 333, 4, false)).toBe(664);
      expect(cashBaseFen(1_000, 333, 999, false)).toBe(0);
      expect(cashBaseFen(10_000, 4_000, 10_000, false)).toBe(0);
      expect(cashBaseFen(10_000, 4_000, 1, true)).toBe(0);
      // One fen of cash: any refund takes it (the share rounds down), so no cash is left before the order is refunded in full.
      expect(cashBaseFen(10, 9, 0, false)).toBe(1);
      expect(cashBaseFen(10, 9, 1, false)).toBe(0);
      expect(cashBaseFen(10, 9, 9, false)).toBe(0);
    });
  });

  describe('stored value paid on a friend\'s order while its reward is held', () => {
    it('no stored value: the whole order is the base', async () => {
      const a = await createClient(t1);
      const b = await friendOf(a);

      const o = await order(b, 10_000);

      expect(await rewardOf(o.orderNo)).toMatchObject({ status: 'held', cashback_fen: 500, stored_value_fen: 0, conversion: 1 });
    });

    it('one fen of stored value lowers the floored cashback by one fen; twenty fen by the same; twenty-one by two', async () => {
      const a = await createClient(t1);
      const b = await friendOf(a);
      await fund(b, 10_000);
      const orders = [await order(b, 10_000), await order(b, 10_000), await order(b, 10_000)];

      for (const [o, sv] of [[orders[0], 1], [orders[1], 20], [orders[2], 21]] as const) expect((await pay(t1, token1, o.id, sv)).status).toBe(201);

      // 5 % of 9,999 = 499.95 → 499; of 9,980 = 499; of 9,979 = 498.95 → 498.
      expect((await rewardOf(orders[0].orderNo)).cashback_fen).toBe(499);
      expect((await rewardOf(orders[1].orderNo)).cashback_fen).toBe(499);
      expect(await rewardOf(orders[2].orderNo)).toMatchObject({ cashback_fen: 498, stored_value_fen: 21, status: 'held' });
      expect([499, 499, 498]).toEqual([9_999, 9_980, 9_979].map((base) => cashbackFen(base, 500)));
    });

    it('a part paid from stored value leaves the conversion and both sides\' points; the release credits the cash part\'s cashback only', async () => {
      const { a, o } = await friendsOrder(4_000_00, 10_000_00);

      expect((await pay(t1, token1, o.id, 4_000_00)).status).toBe(201);
      expect(await rewardOf(o.orderNo)).toMatchObject({ status: 'held', cashback_fen: 300_00, stored_value_fen: 4_000_00, conversion: 1, referrer_points: 400, referee_points: 100 });
      await releaseAfterHold();

      expect(await rewardOf(o.orderNo)).toMatchObject({ status: 'released', cashback_fen: 300_00 });
      expect(await walletOf(a)).toBe(300_00);
      await expectConsistent(t1);
    });

    it('an order paid wholly from stored value earns nothing and does not convert; the friend\'s next order paid in cash converts', async () => {
      const { a, b, o: first } = await friendsOrder(1_000_00, 1_000_00);

      expect((await pay(t1, token1, first.id, 600_00)).status).toBe(201);
      expect((await pay(t1, token1, first.id, 400_00)).status).toBe(201);

      expect(await rewardOf(first.orderNo)).toMatchObject({ status: 'cancelled', stored_value_fen: 1_000_00, lb_pending: 1 });
      const me = await t1.services.referrals.summary(a.id);
      expect(me.cashback).toEqual({ balanceFen: 0, heldFen: 0 });
      const next = await order(b, 2_000_00);
      expect(await rewardOf(next.orderNo)).toMatchObject({ status: 'held', cashback_fen: 100_00, conversion: 1, referrer_points: 400, referee_points: 100 });

      await releaseAfterHold();
      expect(await walletOf(a)).toBe(100_00);
      expect(await rewardOf(first.orderNo)).toMatchObject({ status: 'cancelled' });
      await expectConsistent(t1);
    });

    it('a payment the balance does not cover is refused and leaves the held reward as it was (one transaction)', async () => {
      const { o } = await friendsOrder(100_00, 1_000_00);

      const refused = await pay(t1, token1, o.id, 100_01);

      expect(refused.body.error).toMatchObject({ code: 'WALLET_INSUFFICIENT', details: { field: 'body.amountFen' } });
      expect(await rewardOf(o.orderNo)).toMatchObject({ status: 'held', cashback_fen: 50_00, stored_value_fen: 0 });
    });

    it('a partial refund that takes the last fen of cash cancels the held reward: converting needs real money', async () => {
      const { b, o } = await friendsOrder(999_99, 1_000_00);
      await pay(t1, token1, o.id, 999_99);
      expect(await rewardOf(o.orderNo)).toMatchObject({ status: 'held', cashback_fen: 0, conversion: 1 });

      expect((await refund(t1, token1, o.id, 1)).status).toBe(201);

      expect(await rewardOf(o.orderNo)).toMatchObject({ status: 'cancelled', lb_pending: 1 });
      expect(await walletOf(b)).toBe(0); // 999.99 × 0.01 / 1000 rounds to nothing: the fen was cash
    });

    it('stored value, then a partial refund, then the rest: the refund\'s stored-value share is not taken from the base twice; the last refund cancels', async () => {
      const { a, b, o } = await friendsOrder(400_00, 1_000_00);
      await pay(t1, token1, o.id, 400_00);
      expect((await rewardOf(o.orderNo)).cashback_fen).toBe(30_00); // 5 % of the ¥600 cash

      expect((await refund(t1, token1, o.id, 500_00)).status).toBe(201);
      // ¥200 goes back to stored value, ¥300 in cash: ¥300 cash left, 5 % = ¥15.
      expect(await walletOf(b)).toBe(200_00);
      expect(await rewardOf(o.orderNo)).toMatchObject({ status: 'held', cashback_fen: 15_00, conversion: 1 });

      expect((await refund(t1, token1, o.id, 500_00)).status).toBe(201);
      expect(await walletOf(b)).toBe(400_00);
      expect(await rewardOf(o.orderNo)).toMatchObject({ status: 'cancelled', cashback_fen: 15_00 });
      await releaseAfterHold();
      expect(await walletOf(a)).toBe(0);
      await expectConsistent(t1);
    });

    it('after the release, a partial refund claws back only the cashback of the cash refunded; the full refund the rest and the points', async () => {
      const { a, o } = await friendsOrder(400_00, 1_000_00);
      await pay(t1, token1, o.id, 400_00);
      await releaseAfterHold();
      expect(await walletOf(a)).toBe(30_00);

      await refund(t1, token1, o.id, 500_00);
      expect(await rewardOf(o.orderNo)).toMatchObject({ status: 'released', clawed_fen: 15_00 });
      expect(await walletOf(a)).toBe(15_00);
      await refund(t1, token1, o.id, 500_00);

      expect(await rewardOf(o.orderNo)).toMatchObject({ status: 'clawed_back', clawed_fen: 30_00 });
      expect(await walletOf(a)).toBe(0);
      await expectConsistent(t1);
    });
  });

  describe('stored value paid after the reward was released (REFERRAL_HOLD_DAYS may be 0, the desk may record it late)', () => {
    /** The referral ledger's and the stored value's clawback entries of one referrer. */
    const clawbacksOf = async (c: Client) => {
      const [[ledger], [wallet]] = await Promise.all([
        t1.deps.db.query("SELECT COUNT(*) AS n, COALESCE(SUM(delta_fen), 0) AS fen FROM cashback_entries WHERE client_id = ? AND reason = 'clawback'", [c.id]),
        t1.deps.db.query("SELECT COUNT(*) AS n, COALESCE(SUM(delta_fen), 0) AS fen FROM wallet_entries WHERE client_id = ? AND reason = 'cashback_clawback'", [c.id]),
      ]);
      return { ledger: [Number(ledger.n), Number(ledger.fen)], wallet: [Number(wallet.n), Number(wallet.fen)] };
    };

    it('claws back the cashback beyond the cash part\'s and keeps the stored value paid; a later refund computes from that base', async () => {
      const { a, b, o } = await friendsOrder(400_00, 1_000_00);
      await releaseAfterHold();
      expect(await walletOf(a)).toBe(50_00);

      expect((await pay(t1, token1, o.id, 400_00)).status).toBe(201);

      // 5 % of the ¥600 cash is ¥30: ¥20 of the ¥50 released comes back.
      expect(await rewardOf(o.orderNo)).toMatchObject({ status: 'released', cashback_fen: 50_00, stored_value_fen: 400_00, clawed_fen: 20_00, cashback_shortfall_fen: 0, conversion: 1 });
      expect(await walletOf(a)).toBe(30_00);
      expect(await clawbacksOf(a)).toEqual({ ledger: [1, -20_00], wallet: [1, -20_00] });
      await expectConsistent(t1);

      // Half refunded: ¥200 back to stored value, ¥300 in cash; ¥300 cash left → keep ¥15, claw ¥15 more (not ¥25 off the whole ¥500 paid).
      expect((await refund(t1, token1, o.id, 500_00)).status).toBe(201);
      expect(await walletOf(b)).toBe(200_00);
      expect(await rewardOf(o.orderNo)).toMatchObject({ status: 'released', clawed_fen: 35_00, refunded_fen: 500_00, stored_value_fen: 400_00 });
      expect(await walletOf(a)).toBe(15_00);
      expect((await refund(t1, token1, o.id, 500_00)).status).toBe(201);
      expect(await rewardOf(o.orderNo)).toMatchObject({ status: 'clawed_back', clawed_fen: 50_00 });
      expect(await walletOf(a)).toBe(0);
      await expectConsistent(t1);
    });

    it('one fen of stored value that leaves the floored cashback as it was claws nothing; the next fen that lowers it claws one', async () => {
      const { a, o } = await friendsOrder(20, 1_000_19);
      await releaseAfterHold();
      expect(await walletOf(a)).toBe(50_00); // 5 % of 100,019 = 5,000.95 → 5,000

      await pay(t1, token1, o.id, 19); // 5 % of 100,000 = 5,000: as released
      expect(await rewardOf(o.orderNo)).toMatchObject({ status: 'released', stored_value_fen: 19, clawed_fen: 0 });
      await pay(t1, token1, o.id, 1); // 5 % of 99,999 = 4,999.95 → 4,999
      expect(await rewardOf(o.orderNo)).toMatchObject({ status: 'released', stored_value_fen: 20, clawed_fen: 1 });
      expect(await walletOf(a)).toBe(50_00 - 1);
      expect(await clawbacksOf(a)).toEqual({ ledger: [1, -1], wallet: [1, -1] });
      await expectConsistent(t1);
    });

    it('a clawback larger than the referrer\'s stored value takes what is left and records the rest as the shortfall', async () => {
      const { a, o } = await friendsOrder(600_00, 1_000_00);
      await releaseAfterHold();
      // The referrer spends ¥40 of the ¥50 on an order of their own.
      const own = await order(a, 100_00);
      expect((await pay(t1, token1, own.id, 40_00)).status).toBe(201);

      expect((await pay(t1, token1, o.id, 600_00)).status).toBe(201);

      // Keep 5 % of ¥400 = ¥20, claw ¥30: ¥10 is there, ¥20 is short.
      expect(await rewardOf(o.orderNo)).toMatchObject({ status: 'released', clawed_fen: 30_00, cashback_shortfall_fen: 20_00, stored_value_fen: 600_00 });
      expect(await walletOf(a)).toBe(0);
      expect(await clawbacksOf(a)).toEqual({ ledger: [1, -30_00], wallet: [1, -10_00] });
      await expectConsistent(t1);
    });

    it('the same payment retried (two desks at once, same request id) claws back once', async () => {
      const { a, b, o } = await friendsOrder(1_000_00, 1_000_00);
      await releaseAfterHold();
      const requestId = randomUUID();

      const results = await Promise.all([pay(t1, token1, o.id, 500_00, requestId), pay(t2, token2, o.id, 500_00, requestId)]);
      const again = await pay(t1, token1, o.id, 500_00, requestId);

      expect([...results, again].map((r) => r.body.replayed).sort()).toEqual([false, true, true]);
      expect(await walletOf(b)).toBe(500_00);
      expect(await rewardOf(o.orderNo)).toMatchObject({ status: 'released', stored_value_fen: 500_00, clawed_fen: 25_00 });
      expect(await clawbacksOf(a)).toEqual({ ledger: [1, -25_00], wallet: [1, -25_00] });
      expect(await walletOf(a)).toBe(25_00);
      await expectConsistent(t1);
    });

    it('an order then paid wholly from stored value is clawed back in full, with both sides\' points, as a full refund is', async () => {
      const { a, b, o } = await friendsOrder(1_000_00, 1_000_00);
      await releaseAfterHold();
      const friendsPoints = await t1.services.points.balance(b.id); // the welcome 100 and the friend's own order's points
      expect(await t1.services.points.balance(a.id)).toBe(400);

      expect((await pay(t1, token1, o.id, 1_000_00)).status).toBe(201);

      expect([await t1.services.points.balance(a.id), await t1.services.points.balance(b.id)]).toEqual([0, friendsPoints - 100]);
      expect(await rewardOf(o.orderNo)).toMatchObject({ status: 'clawed_back', cashback_fen: 50_00, clawed_fen: 50_00, stored_value_fen: 1_000_00, lb_pending: 1 });
      expect(await walletOf(a)).toBe(0);
      await expectConsistent(t1);
    });
  });

  describe('two desks at once (two app instances)', () => {
    it('two stored-value payments on one order: both count, the held reward is on the cash left', async () => {
      const { b, o } = await friendsOrder(1_000_00, 1_000_00);

      const results = await Promise.all([pay(t1, token1, o.id, 300_00), pay(t2, token2, o.id, 200_01)]);

      expect(results.map((r) => r.status)).toEqual([201, 201]);
      expect(await rewardOf(o.orderNo)).toMatchObject({ status: 'held', stored_value_fen: 500_01, cashback_fen: cashbackFen(499_99, 500) });
      expect(await walletOf(b)).toBe(499_99);
    });

    it('two payments that together pay the whole order: the reward ends cancelled, whichever desk is second', async () => {
      const { b, o } = await friendsOrder(1_000_00, 1_000_00);

      const results = await Promise.all([pay(t1, token1, o.id, 500_00), pay(t2, token2, o.id, 500_00)]);

      expect(results.map((r) => r.status)).toEqual([201, 201]);
      expect(await rewardOf(o.orderNo)).toMatchObject({ status: 'cancelled', stored_value_fen: 1_000_00 });
      expect(await walletOf(b)).toBe(0);
      await expectConsistent(t1);
    });

    it('a stored-value payment on one order and a refund of another order of the same friend at once both go through', async () => {
      const a = await createClient(t1);
      const b = await friendOf(a);
      await fund(b, 1_000_00);
      const [o1, o2] = [await order(b, 1_000_00), await order(b, 1_000_00)];
      await pay(t1, token1, o1.id, 500_00);

      const [refunded, paid] = await Promise.all([refund(t1, token1, o1.id, 1_000_00), pay(t2, token2, o2.id, 300_00)]);

      expect([refunded.status, paid.status]).toEqual([201, 201]);
      expect(await rewardOf(o1.orderNo)).toMatchObject({ status: 'cancelled' });
      expect(await rewardOf(o2.orderNo)).toMatchObject({ status: 'held', stored_value_fen: 300_00, cashback_fen: 35_00 });
      expect(await walletOf(b)).toBe(1_000_00 - 500_00 + 500_00 - 300_00);
      await expectConsistent(t1);
    });
  });

  it('the migration takes stored value already paid out of held rewards: lowered, or cancelled when no cash is left; released ones stay', async () => {
    const a = await createClient(t1);
    const b = await friendOf(a);
    await fund(b, 1_400_00);
    const [part, whole, refunded] = [await order(b, 1_000_00), await order(b, 1_000_00), await order(b, 1_000_00)];
    await pay(t1, token1, part.id, 400_00);
    await pay(t1, token1, whole.id, 1_000_00);
    await fund(b, 400_00);
    await pay(t1, token1, refunded.id, 400_00);
    await refund(t1, token1, refunded.id, 500_00);
    // As the rows were before the rule: stored value counted in the base.
    await t1.deps.db.query(
      "UPDATE referral_rewards SET status = 'held', cancelled_at = NULL, cashback_fen = FLOOR((amount_paid_fen - refunded_fen) * rate_bp / 10000) WHERE referee_id = ?", [b.id],
    );
    const migration = new ReferralStoredValueBase1795810000000();
    const runner = t1.deps.db.createQueryRunner();
    try {
      await migration.down(runner);
      await migration.up(runner);
    } finally {
      await runner.release();
    }

    expect(await rewardOf(part.orderNo)).toMatchObject({ status: 'held', stored_value_fen: 400_00, cashback_fen: 30_00 });
    expect(await rewardOf(whole.orderNo)).toMatchObject({ status: 'cancelled', stored_value_fen: 1_000_00 });
    expect(await rewardOf(refunded.orderNo)).toMatchObject({ status: 'held', stored_value_fen: 400_00, cashback_fen: 15_00 });
  });
});
