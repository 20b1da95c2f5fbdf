import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient } from '../helpers/factories';
import { SYSTEM_ACTOR } from '../../src/modules/audit';
import type { Client } from '../../src/modules/clients';
import { expectConsistent, hookPaid, hookRefunded, loginWithCode, paidOrder, refundEvent } from '../helpers/referrals';

const DAY = 86400_000;
const YUAN = 100;
const clientActor = (id: number) => ({ ...SYSTEM_ACTOR, type: 'client' as const, id, role: 'client' });

describe('what a client sees: summary, friends, cashback, leaderboards', () => {
  let t: TestContext;
  // A database of its own (boards count every referrer of a period; the release task releases whatever
  // is due), and Q3 2030, a period no other file uses, for the boards in the shared Redis.
  beforeAll(async () => { t = await createTestContext({ now: '2030-08-12T02:00:00Z', isolatedDatabase: true }); });
  afterAll(async () => { await t?.close(); });

  async function named(name: string): Promise<Client> {
    const c = await createClient(t);
    await t.services.clients.updateOwnProfile(c.id, { name }, clientActor(c.id));
    return c;
  }
  async function friendOf(r: Client, name?: string): Promise<Client> {
    const friend = name ? await named(name) : await createClient(t);
    await t.deps.db.transaction((m) =>
      t.services.referrals.bindAtLogin(m, { clientId: friend.id, isNew: true, code: r.referralCode, openid: friend.openid, unionid: null }),
    );
    await t.deps.db.query('UPDATE clients SET last_login_at = ? WHERE id = ?', [t.clock.now(), friend.id]);
    return friend;
  }
  async function convert(r: Client, amountFen = 1_000 * YUAN) {
    const f = await friendOf(r);
    const order = paidOrder(f.id, amountFen, t.clock.now());
    await hookPaid(t, order);
    return { friend: f, order };
  }
  const get = async (path: string, c: Client) => t.http.get(path).set(bearer(await clientToken(t, c)));

  it('the summary gives the code, the share path, the tier and the cashback; sharing itself earns nothing', async () => {
    const a = await createClient(t);
    await convert(a);

    const res = await get('/api/mp/referrals/me', a);
    await get('/api/mp/referrals/qrcode', a);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      code: a.referralCode,
      sharePath: `/pages/index/index?ref=${a.referralCode}`,
      qrCodePath: '/api/mp/referrals/qrcode',
      tier: { period: 'month', periodKey: '2030-08', converted: 1, rateBp: 500, next: { converted: 3, rateBp: 1000 } },
      friends: 1,
      cashback: { balanceFen: 0, heldFen: 50 * YUAN },
      heldPoints: t.config.points.referral * t.config.points.referralNewClientMultiplier,
      referredBy: null,
    });
    // Rewards follow the friend's real actions only: showing or sharing the code writes no ledger.
    const [{ n }] = await t.deps.db.query("SELECT COUNT(*) AS n FROM points_entries WHERE client_id = ? AND reason = 'referral'", [a.id]);
    expect(Number(n)).toBe(0);
  });

  it('friends who agreed show a masked name and a coarse status (joined, reward pending, reward earned); the others only as a count', async () => {
    const a = await createClient(t);
    const bound = await friendOf(a, '赵一');
    const visited = await friendOf(a, '钱二二');
    const converted = await friendOf(a, 'Alice');
    const rewarded = await friendOf(a);
    const refunded = await friendOf(a, '孙五');
    const silent = await friendOf(a, '周六');
    const declined = await friendOf(a, '吴七');
    const consent = async (c: Client, sharesStatus: boolean) =>
      t.http.put('/api/mp/referrals/status-consent').set(bearer(await clientToken(t, c))).send({ sharesStatus });
    for (const f of [bound, visited, converted, rewarded, refunded]) expect((await consent(f, true)).status).toBe(200);
    const no = await consent(declined, false);
    expect(no.body).toEqual({ sharesStatus: false, decidedAt: t.clock.now().toISOString() });
    t.clock.advance(60_000);
    await loginWithCode(t, null, { openid: visited.openid });
    await hookPaid(t, paidOrder(rewarded.id, 800 * YUAN, t.clock.now()));
    t.clock.advance(8 * DAY); // the refund window passes (still August: the boards below count 2030-08)
    await t.services.referrals.releaseDue();
    await hookPaid(t, paidOrder(converted.id, 2_000 * YUAN, t.clock.now()));
    await hookPaid(t, paidOrder(silent.id, 3_000 * YUAN, t.clock.now()));
    const cancelled = paidOrder(refunded.id, 900 * YUAN, t.clock.now());
    await hookPaid(t, cancelled);
    await hookRefunded(t, cancelled, refundEvent(cancelled, cancelled.amountPaidFen, cancelled.amountPaidFen, t.clock.now()));

    const res = await get('/api/mp/referrals/friends', a);

    expect(res.status).toBe(200);
    // A refunded purchase, a visit, a purchase by a friend who did not agree: none of it shows.
    expect(res.body.items.map((f: { name: string; status: string }) => [f.name, f.status])).toEqual([
      ['孙*', 'joined'], ['微信用户', 'reward_earned'], ['A****', 'reward_pending'], ['钱**', 'joined'], ['赵*', 'joined'],
    ]);
    expect(res.body).toMatchObject({ others: 2, hasMore: false });
    const text = JSON.stringify(res.body);
    expect(text).not.toMatch(/fen|amount|allerg|medic|phone|"id"|周|吴/i);
    expect((await get('/api/mp/referrals/friends?pageSize=2', a)).body).toMatchObject({ page: 1, hasMore: true, others: 2 });
    // The friend sees their own answer; a client who was not referred has nothing to answer.
    expect((await get('/api/mp/referrals/me', declined)).body.referredBy).toEqual({ sharesStatus: false, decidedAt: expect.any(String) });
    const notReferred = await consent(a, true);
    expect(notReferred.status).toBe(404);
    const bad = await t.http.put('/api/mp/referrals/status-consent').set(bearer(await clientToken(t, bound))).send({ sharesStatus: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('body.sharesStatus');
  });

  it('a friend who says nothing at binding is never listed: consent is off until given, and can be taken back', async () => {
    const a = await createClient(t);
    const f = await friendOf(a, '郑八');
    expect((await get('/api/mp/referrals/friends', a)).body).toMatchObject({ items: [], others: 1 });

    await t.http.put('/api/mp/referrals/status-consent').set(bearer(await clientToken(t, f))).send({ sharesStatus: true });
    expect((await get('/api/mp/referrals/friends', a)).body).toMatchObject({ items: [{ name: '郑*', status: 'joined' }], others: 0 });

    await t.http.put('/api/mp/referrals/status-consent').set(bearer(await clientToken(t, f))).send({ sharesStatus: false });
    expect((await get('/api/mp/referrals/friends', a)).body).toMatchObject({ items: [], others: 1 });
  });

  it('a client reads only their own referral data: no way to name another client, and the friend sees nothing of the referrer', async () => {
    const a = await createClient(t);
    const { friend } = await convert(a);
    t.clock.advance(8 * DAY);
    await t.services.referrals.releaseDue();

    const asFriend = await Promise.all(['/api/mp/referrals/me', '/api/mp/referrals/friends', '/api/mp/referrals/cashback'].map((p) => get(p, friend)));
    const naming = await Promise.all([
      get(`/api/mp/referrals/friends?clientId=${a.publicId}`, friend),
      get(`/api/mp/referrals/cashback?clientId=${a.publicId}`, friend),
      get(`/api/mp/referrals/me?code=${a.referralCode}`, friend),
    ]);
    const anonymous = await t.http.get('/api/mp/referrals/me');

    expect(asFriend.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(asFriend[0].body.code).toBe(friend.referralCode);
    expect(asFriend[0].body.cashback).toEqual({ balanceFen: 0, heldFen: 0 });
    expect(asFriend[1].body.items).toEqual([]);
    expect(asFriend[2].body).toMatchObject({ balanceFen: 0, items: [] });
    expect(naming.map((r) => [r.status, r.body.error.code])).toEqual([
      [400, 'VALIDATION_FAILED'], [400, 'VALIDATION_FAILED'], [400, 'VALIDATION_FAILED'],
    ]);
    expect(anonymous.status).toBe(401);
    const own = await get('/api/mp/referrals/cashback', a);
    // Monthly totals only: no line per reward that would date and size the friend's purchase.
    expect(own.body).toMatchObject({ balanceFen: 50 * YUAN, heldFen: 0, items: [{ month: '2030-08', earnedFen: 50 * YUAN, adjustedFen: 0 }] });
    expect(Object.keys(own.body.items[0]).sort()).toEqual(['adjustedFen', 'earnedFen', 'month']);
  });

  it('the leaderboards rank by converted referrals in the month and the quarter, ties share a rank, names are masked', async () => {
    // Earlier tests of this file converted one friend each for several referrers; these lead clearly.
    const first = await named('周杰');
    const second = await named('吴彦祖');
    const third = await named('郑爽');
    for (let i = 0; i < 6; i++) await convert(first);
    for (let i = 0; i < 4; i++) await convert(second);
    for (let i = 0; i < 4; i++) await convert(third);
    // A conversion refunded in full inside the window does not count.
    const { order } = await convert(third);
    await hookRefunded(t, order, refundEvent(order, order.amountPaidFen, order.amountPaidFen, t.clock.now()));

    const month = await get('/api/mp/referrals/leaderboard', third);
    const quarter = await get('/api/mp/referrals/leaderboard?period=quarter', second);
    const nobody = await get('/api/mp/referrals/leaderboard', await createClient(t));

    expect(month.status).toBe(200);
    expect(month.body.period).toBe('month');
    expect(month.body.periodKey).toBe('2030-08');
    expect(month.body.top.slice(0, 3)).toEqual([
      { rank: 1, name: '周*', converted: 6, isMe: false },
      { rank: 2, name: expect.stringMatching(/^(吴\*\*|郑\*)$/), converted: 4, isMe: expect.any(Boolean) },
      { rank: 2, name: expect.stringMatching(/^(吴\*\*|郑\*)$/), converted: 4, isMe: expect.any(Boolean) },
    ]);
    expect(month.body.top[3].rank).toBe(4);
    expect(month.body.me).toEqual({ rank: 2, converted: 4 });
    expect(quarter.body).toMatchObject({ period: 'quarter', periodKey: '2030-Q3', me: { rank: 2, converted: 4 } });
    expect(nobody.body.me).toEqual({ rank: null, converted: 0 });
    expect(month.body.top.length).toBeLessThanOrEqual(t.config.referrals.leaderboardSize);
  });

  it('a board Redis has lost is rebuilt from MySQL, the same for many readers at once', async () => {
    const a = await named('冯小刚');
    for (let i = 0; i < 8; i++) await convert(a);
    const before = (await get('/api/mp/referrals/leaderboard', a)).body;
    const key = 'lb:referrals:{month:2030-08}';
    expect(await t.deps.redis.exists(key)).toBe(1);

    await t.services.referrals.forgetBoard('month', '2030-08');
    const token = await clientToken(t, a);
    const reads = await Promise.all(Array.from({ length: 8 }, () => t.http.get('/api/mp/referrals/leaderboard').set(bearer(token))));

    expect(reads.map((r) => r.status)).toEqual(Array(8).fill(200));
    for (const r of reads) expect(r.body).toEqual(before);
    expect(before.me).toEqual({ rank: 1, converted: 8 });
    expect(await t.deps.redis.exists(key)).toBe(1);
    expect(await t.deps.redis.zscore(key, String(a.id))).toBe('8');
  });

  it('changes committed in MySQL reach the board: a new conversion and a cancelled one', async () => {
    const a = await named('陈凯歌');
    for (let i = 0; i < 9; i++) await convert(a);
    expect((await get('/api/mp/referrals/leaderboard', a)).body.me).toEqual({ rank: 1, converted: 9 });

    const { order } = await convert(a);
    expect((await get('/api/mp/referrals/leaderboard', a)).body.me).toEqual({ rank: 1, converted: 10 });
    await hookRefunded(t, order, refundEvent(order, order.amountPaidFen, order.amountPaidFen, t.clock.now()));

    expect((await get('/api/mp/referrals/leaderboard', a)).body.me).toEqual({ rank: 1, converted: 9 });
    const [{ n }] = await t.deps.db.query('SELECT COUNT(*) AS n FROM referral_rewards WHERE lb_pending = 1');
    expect(Number(n)).toBe(0);
    await expectConsistent(t);
  });

  it('with Redis unreachable the leaderboard is answered from MySQL', async () => {
    const a = await named('姜文');
    for (let i = 0; i < 11; i++) await convert(a);
    const { createRedis } = await import('../../src/shared/redis');
    const { ReferralsService } = await import('../../src/modules/referrals');
    const deadRedis = createRedis({ url: 'redis://127.0.0.1:1/0', keyPrefix: t.config.redis.keyPrefix }, { lazyConnect: true });
    const offline = new ReferralsService({ ...t.deps, redis: deadRedis, cipher: t.services.cipher, points: t.services.points, wechat: t.services.wechat, clients: t.services.clients, wallet: t.services.wallet });
    try {
      const board = await offline.leaderboard(a.id, 'month');
      expect(board.me).toEqual({ rank: 1, converted: 11 });
      expect(board.top[0]).toEqual({ rank: 1, name: '姜*', converted: 11, isMe: true });
    } finally {
      deadRedis.disconnect();
    }
  });
});
