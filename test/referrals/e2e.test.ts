import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createStaff, staffToken } from '../helpers/factories';
import { loginClient } from '../helpers/login';
import { externalNo } from '../helpers/orders';
import { startScheduler } from '../../src/scheduler';
import { expectConsistent, loginWithCode } from '../helpers/referrals';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const YUAN = 100;

/**
 * Referrals end to end (binding, cashback, leaderboards), through the real routes only: login with the stand-in's codes, the
 * staff orders API, the scheduler's release task, and the mini-program's referral routes.
 */
describe('referral end to end: bind, order, hold, release, clawback, leaderboard', () => {
  let t: TestContext;
  let desk: string;
  let doctorId: string;
  // A database of its own (the release task releases whatever is due; the board counts every referrer),
  // and February 2031, a period no other file uses, for the boards in the shared Redis.
  beforeAll(async () => {
    t = await createTestContext({ now: '2031-02-03T02:00:00Z', isolatedDatabase: true, env: { POINTS_REFERRAL: '200', POINTS_REFERRAL_NEW_CLIENT_MULTIPLIER: '2', REFERRAL_REFEREE_POINTS: '100' } });
    desk = await staffToken(t, await createStaff(t, 'customer_service'));
    doctorId = (await createStaff(t, 'doctor')).publicId;
  });
  afterAll(async () => { await t?.close(); });

  const as = (token: string) => ({
    get: (path: string) => t.http.get(path).set(bearer(token)),
    put: (path: string) => t.http.put(path).set(bearer(token)),
  });
  async function pay(clientPublicId: string, amountFen: number): Promise<{ id: string; orderNo: string }> {
    const res = await t.http.post('/api/staff/orders').set(bearer(desk)).send({
      // Paid now: spend paid before the friend was bound earns the referrer nothing.
      orderNo: externalNo('E2E'), clientId: clientPublicId, doctorId, paidAt: t.clock.now().toISOString(),
      items: [{ projectCode: 'hyaluronic_filler', amountFen }],
    });
    expect(res.status).toBe(201);
    return { id: res.body.id, orderNo: res.body.orderNo };
  }
  async function release(): Promise<number> {
    const scheduler = await startScheduler(t.deps, t.services, { cron: false });
    try {
      const run = await scheduler.runOnce('referral-release', `e2e-${t.clock.now().toISOString()}`);
      expect(run.ran).toBe(true);
      return run.items;
    } finally {
      await scheduler.stop();
    }
  }
  const pointsOf = async (token: string) => (await as(token).get('/api/mp/points')).body.balance as number;

  it('A refers B; B\'s paid orders earn A held, then released cashback and both sides points; a refund after release is clawed back', async () => {
    // A registers; B logs in for the first time with A's code (as the share card or the QR code would bring them).
    const a = await loginClient(t);
    const aMe = (await as(a.token).get('/api/mp/referrals/me')).body;
    expect(aMe.sharePath).toBe(`/pages/index/index?ref=${aMe.code}`);
    const bLogin = await loginWithCode(t, aMe.code);
    expect(bLogin.status).toBe(200);
    expect(bLogin.body.referral).toEqual({ bound: true });
    const b = { token: bLogin.body.token as string, publicId: bLogin.body.client.id as string };
    // Until B agrees, A sees B only in the count; B agrees right after binding (the home page asks).
    expect((await as(a.token).get('/api/mp/referrals/friends')).body).toMatchObject({ items: [], others: 1 });
    expect((await as(b.token).put('/api/mp/referrals/status-consent').send({ sharesStatus: true })).status).toBe(200);
    expect((await as(a.token).get('/api/mp/referrals/friends')).body.items).toEqual([
      { name: '微信用户', boundAt: t.clock.now().toISOString(), status: 'joined' },
    ]);

    // B's first order is paid (10,000 yuan): A's cashback (5%) and both sides' points are held.
    const aPointsBefore = await pointsOf(a.token);
    await pay(b.publicId, 10_000 * YUAN);
    const bSpendPoints = await pointsOf(b.token); // B's own spend points, from the orders module
    expect((await as(a.token).get('/api/mp/referrals/me')).body).toMatchObject({
      cashback: { balanceFen: 0, heldFen: 500 * YUAN }, heldPoints: 400, tier: { converted: 1, rateBp: 500 }, friends: 1,
    });
    expect((await as(b.token).get('/api/mp/referrals/me')).body.heldPoints).toBe(100);
    expect(await pointsOf(a.token)).toBe(aPointsBefore);
    expect((await as(a.token).get('/api/mp/referrals/friends')).body.items[0].status).toBe('reward_pending');

    // Six days on nothing is released; after the 7-day refund window the scheduler's task releases it.
    t.clock.advance(6 * DAY);
    expect(await release()).toBe(0);
    t.clock.advance(DAY + HOUR);
    expect(await release()).toBe(1);

    expect((await as(a.token).get('/api/mp/referrals/me')).body).toMatchObject({ cashback: { balanceFen: 500 * YUAN, heldFen: 0 }, heldPoints: 0 });
    expect(await pointsOf(a.token)).toBe(aPointsBefore + 400);
    expect(await pointsOf(b.token)).toBe(bSpendPoints + 100);
    expect((await as(a.token).get('/api/mp/referrals/friends')).body.items[0].status).toBe('reward_earned');

    // B's second order (2,000 yuan): cashback only (the referral converted already), released after its window…
    const second = await pay(b.publicId, 2_000 * YUAN);
    expect((await as(a.token).get('/api/mp/referrals/me')).body.cashback).toEqual({ balanceFen: 500 * YUAN, heldFen: 100 * YUAN });
    t.clock.advance(7 * DAY + HOUR);
    expect(await release()).toBe(1);
    expect((await as(a.token).get('/api/mp/referrals/me')).body.cashback).toEqual({ balanceFen: 600 * YUAN, heldFen: 0 });

    // …then refunded in full: the released cashback is clawed back with a compensating entry.
    const refund = await t.http.post(`/api/staff/orders/${second.id}/refunds`).set(bearer(desk)).send({
      refundNo: externalNo('RF'), amountFen: 2_000 * YUAN, reason: '客户取消疗程',
    });
    expect(refund.status).toBe(201);

    const cashback = (await as(a.token).get('/api/mp/referrals/cashback')).body;
    expect(cashback).toMatchObject({ balanceFen: 500 * YUAN, heldFen: 0 });
    // One line per Shanghai month (rewards and the clawback of this test fall in one): the totals, not each purchase.
    expect(cashback.items).toEqual([{ month: '2031-02', earnedFen: 600 * YUAN, adjustedFen: -100 * YUAN }]);
    expect(await pointsOf(a.token)).toBe(aPointsBefore + 400);

    // The board: C converted two friends this month, A one (B's second order is no new conversion).
    const c = await loginClient(t);
    const cCode = (await as(c.token).get('/api/mp/referrals/me')).body.code;
    for (let i = 0; i < 2; i++) {
      const friend = await loginWithCode(t, cCode);
      expect(friend.body.referral).toEqual({ bound: true });
      await pay(friend.body.client.id, 500 * YUAN);
    }
    const board = (await as(a.token).get('/api/mp/referrals/leaderboard')).body;
    expect(board).toMatchObject({ period: 'month', periodKey: '2031-02', me: { rank: 2, converted: 1 } });
    expect(board.top).toEqual([
      { rank: 1, name: '微信用户', converted: 2, isMe: false },
      { rank: 2, name: '微信用户', converted: 1, isMe: true },
    ]);
    expect((await as(a.token).get('/api/mp/referrals/leaderboard?period=quarter')).body.me).toEqual({ rank: 2, converted: 1 });

    await expectConsistent(t);
  });
});
