import { randomInt } from 'node:crypto';
import request from 'supertest';
import { createTestContext, TestContext } from '../helpers/context';
import { createApp } from '../../src/app';
import { MpAuthService } from '../../src/modules/auth';
import { ReferralsService } from '../../src/modules/referrals';
import type { FieldCipher } from '../../src/shared/crypto';
import { fakeOpenid } from '../helpers/login';
import { SYSTEM_ACTOR } from '../../src/modules/audit';
import { clientRow, expectConsistent, hookPaid, loginWithCode, paidOrder, rewardOf } from '../helpers/referrals';

const clientActor = (id: number) => ({ ...SYSTEM_ACTOR, type: 'client' as const, id, role: 'client' });

describe('referral codes and binding at first login', () => {
  let t: TestContext;
  beforeAll(async () => { t = await createTestContext({ now: '2030-01-15T02:00:00Z' }); });
  afterAll(async () => { await t?.close(); });

  /** A client who registered by logging in (no code); returns its row and login answer. */
  async function registered(opts: { unionid?: string; code?: string | null } = {}) {
    const res = await loginWithCode(t, opts.code ?? null, { unionid: opts.unionid });
    expect(res.status).toBe(200);
    return { ...(await clientRow(t, res.body.client.id)), publicId: res.body.client.id as string, openid: res.openid, body: res.body };
  }
  const bindingsOf = async (refereeId: number) =>
    (await t.deps.db.query('SELECT * FROM referral_bindings WHERE referee_id = ?', [refereeId])) as Record<string, any>[];

  it('a new client who logs in with a code is bound to its owner, and the login says so', async () => {
    const a = await registered();
    expect(a.body).not.toHaveProperty('referral');
    expect(a.referral_code).toMatch(/^[2-9A-HJKMNP-Z]{8}$/);

    const b = await loginWithCode(t, a.referral_code.toLowerCase(), { unionid: `u_${fakeOpenid()}` });

    expect(b.status).toBe(200);
    expect(b.body.client.isNew).toBe(true);
    expect(b.body.referral).toEqual({ bound: true });
    const row = await clientRow(t, b.body.client.id);
    expect(row.referrer_id).toBe(a.id);
    const [binding] = await bindingsOf(row.id);
    expect(binding).toMatchObject({ referrer_id: a.id, code: a.referral_code, status: 'active', phone_bidx: null });
    // Only keyed hashes of the WeChat identity are kept, never the identifiers themselves.
    expect(binding.openid_bidx).toMatch(/^[0-9a-f]{64}$/);
    expect(binding.unionid_bidx).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(binding)).not.toContain(b.openid);
  });

  it('a code that does not exist: the client still registers, unbound, and the login says why', async () => {
    for (const code of ['ZZZZ2345', 'ABCD1OIL', 'abc123']) {
      const res = await loginWithCode(t, code);
      expect(res.status).toBe(200);
      expect(res.body.client.isNew).toBe(true);
      expect(res.body.referral).toEqual({ bound: false, reason: 'REFERRAL_CODE_UNKNOWN' });
      const row = await clientRow(t, res.body.client.id);
      expect(row.referrer_id).toBeNull();
      expect(await bindingsOf(row.id)).toEqual([]);
    }
  });

  it('a self-referral is refused: a client logging in with their own code stays unbound', async () => {
    const a = await registered();

    const again = await loginWithCode(t, a.referral_code, { openid: a.openid });

    expect(again.status).toBe(200);
    expect(again.body.client).toEqual({ id: a.publicId, isNew: false });
    expect(again.body.referral).toEqual({ bound: false, reason: 'REFERRAL_SELF' });
    expect((await clientRow(t, a.publicId)).referrer_id).toBeNull();
    expect(await bindingsOf(a.id)).toEqual([]);
  });

  it('binding an existing client is refused, and a bound client keeps their one referrer', async () => {
    const a = await registered();
    const d = await registered();
    const existing = await registered();
    const b = await registered({ code: a.referral_code });

    const late = await loginWithCode(t, d.referral_code, { openid: existing.openid });
    const switching = await loginWithCode(t, d.referral_code, { openid: b.openid });

    expect(late.body.referral).toEqual({ bound: false, reason: 'REFERRAL_NOT_NEW_CLIENT' });
    expect(switching.body.referral).toEqual({ bound: false, reason: 'REFERRAL_NOT_NEW_CLIENT' });
    expect((await clientRow(t, existing.publicId)).referrer_id).toBeNull();
    expect((await clientRow(t, b.publicId)).referrer_id).toBe(a.id);
    expect(await bindingsOf(existing.id)).toEqual([]);
    expect((await bindingsOf(b.id)).map((x) => x.referrer_id)).toEqual([a.id]);
  });

  it('a cycle is refused: nobody can be bound below their own referral chain', async () => {
    const a = await registered();
    const b = await registered({ code: a.referral_code });
    const c = await registered({ code: b.referral_code });

    // A comes back through B's or C's share: binding would close the loop A → B → (C →) A.
    const direct = await loginWithCode(t, b.referral_code, { openid: a.openid });
    const deep = await loginWithCode(t, c.referral_code, { openid: a.openid });
    // The chain walk holds even if A were new (data imported from elsewhere could carry referrer ids).
    const forced = await t.deps.db.transaction((m) =>
      t.services.referrals.bindAtLogin(m, { clientId: a.id, isNew: true, code: c.referral_code, openid: fakeOpenid(), unionid: null }),
    );

    expect(direct.body.referral).toEqual({ bound: false, reason: 'REFERRAL_CYCLE' });
    expect(deep.body.referral).toEqual({ bound: false, reason: 'REFERRAL_CYCLE' });
    expect(forced).toEqual({ bound: false, reason: 'REFERRAL_CYCLE' });
    expect((await clientRow(t, a.publicId)).referrer_id).toBeNull();
    expect(await bindingsOf(a.id)).toEqual([]);
  });

  it('the code of a deleted account binds nobody', async () => {
    const a = await registered();
    await t.services.clients.deleteOwnAccount(a.id, clientActor(a.id));

    const res = await loginWithCode(t, a.referral_code);

    expect(res.status).toBe(200);
    expect(res.body.referral).toEqual({ bound: false, reason: 'REFERRAL_OWNER_INACTIVE' });
  });

  it('the same unionid or openid cannot be bound twice, not even after deleting the account', async () => {
    const a = await registered();
    const d = await registered();
    const unionid = `u_${fakeOpenid()}`;
    const withUnionid = await registered({ code: a.referral_code, unionid });
    const openidOnly = await registered({ code: a.referral_code });
    expect([withUnionid.body.referral, openidOnly.body.referral]).toEqual([{ bound: true }, { bound: true }]);
    for (const c of [withUnionid, openidOnly]) await t.services.clients.deleteOwnAccount(c.id, clientActor(c.id));

    // The same person through another app of the company (another openid, the same unionid), and the
    // same WeChat user again (a new client row: the old openid was tombstoned), each through another code.
    const sameUnionid = await loginWithCode(t, d.referral_code, { unionid });
    const sameOpenid = await loginWithCode(t, d.referral_code, { openid: openidOnly.openid });

    for (const res of [sameUnionid, sameOpenid]) {
      expect(res.status).toBe(200);
      expect(res.body.client.isNew).toBe(true);
      expect(res.body.referral).toEqual({ bound: false, reason: 'REFERRAL_ALREADY_BOUND' });
      expect((await clientRow(t, res.body.client.id)).referrer_id).toBeNull();
    }
  });

  it('an old client who was never referred cannot come back as a new friend after deleting the account: not by openid, not by unionid', async () => {
    const a = await registered();
    const unionid = `u_${fakeOpenid()}`;
    const withUnionid = await registered({ unionid });
    const openidOnly = await registered();
    for (const c of [withUnionid, openidOnly]) await t.services.clients.deleteOwnAccount(c.id, clientActor(c.id));

    // The same person through another app of the company (new openid, same unionid), and the same
    // WeChat user again (a new client row: the old openid was tombstoned), each with a friend's code.
    const sameUnionid = await loginWithCode(t, a.referral_code, { unionid });
    const sameOpenid = await loginWithCode(t, a.referral_code, { openid: openidOnly.openid });

    for (const res of [sameUnionid, sameOpenid]) {
      expect(res.status).toBe(200);
      expect(res.body.client.isNew).toBe(true);
      expect(res.body.referral).toEqual({ bound: false, reason: 'REFERRAL_NOT_NEW_CLIENT' });
      const row = await clientRow(t, res.body.client.id);
      expect(row.referrer_id).toBeNull();
      expect(await bindingsOf(row.id)).toEqual([]);
      const [{ source_channel }] = await t.deps.db.query('SELECT source_channel FROM clients WHERE id = ?', [row.id]);
      expect(source_channel).toBe('mini_program');
    }
  });

  it('a deleted account leaves only keyed hashes of its openid, unionid and phone (fraud prevention), no readable identifier', async () => {
    const unionid = `u_${fakeOpenid()}`;
    const phone = `139${randomInt(10_000_000, 100_000_000)}`;
    const c = await registered({ unionid });
    await t.services.clients.bindPhone(c.id, t.standIn.issuePhoneCode(phone), clientActor(c.id));

    await t.services.clients.deleteOwnAccount(c.id, clientActor(c.id));

    const { cipher } = t.services;
    const expected = [cipher.blindIndex('openid', c.openid), cipher.blindIndex('unionid', unionid), cipher.blindIndex('phone', phone)];
    const rows: { bidx: string; kind: string }[] = await t.deps.db.query('SELECT bidx, kind FROM referral_ineligible WHERE bidx IN (?) ORDER BY kind', [expected]);
    expect(rows.map((r) => r.kind)).toEqual(['openid', 'unionid', 'phone']);
    const [row] = await t.deps.db.query('SELECT * FROM referral_ineligible WHERE bidx = ?', [expected[0]]);
    expect(Object.keys(row).sort()).toEqual(['bidx', 'created_at', 'kind']);
    for (const r of rows) expect(r.bidx).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(c.openid);
    expect(JSON.stringify(rows)).not.toContain(unionid);
    expect(JSON.stringify(rows)).not.toContain(phone);
  });

  it('the phone of a deleted account voids a binding made under another WeChat account when the phone appears: no reward', async () => {
    const a = await registered();
    const phone = `139${randomInt(10_000_000, 100_000_000)}`;
    const old = await registered();
    await t.services.clients.bindPhone(old.id, t.standIn.issuePhoneCode(phone), clientActor(old.id));
    await t.services.clients.deleteOwnAccount(old.id, clientActor(old.id));

    // Another WeChat account (no shared openid or unionid): bound at login, since nothing is known yet.
    const again = await registered({ code: a.referral_code });
    expect(again.body.referral).toEqual({ bound: true });
    await t.services.clients.bindPhone(again.id, t.standIn.issuePhoneCode(phone), clientActor(again.id));
    const order = paidOrder(again.id, 100000, t.clock.now());
    await hookPaid(t, order);

    expect(await rewardOf(t, order.id)).toBeUndefined();
    expect(await bindingsOf(again.id)).toEqual([expect.objectContaining({ status: 'void', void_reason: 'REFERRAL_NOT_NEW_CLIENT', phone_bidx: null })]);
    expect((await clientRow(t, again.publicId)).referrer_id).toBeNull();
    await expectConsistent(t);
  });

  it('binding never fails the login: a failure of ours answers REFERRAL_UNAVAILABLE and leaves nothing half-written', async () => {
    const a = await registered();
    // A blind index longer than its column: the binding's INSERT fails inside the login transaction.
    const cipher = { blindIndex: () => 'f'.repeat(65) } as unknown as FieldCipher;
    const referrals = new ReferralsService({ ...t.deps, cipher, points: t.services.points, wechat: t.services.wechat, clients: t.services.clients, wallet: t.services.wallet });
    const mpAuth = new MpAuthService({ ...t.deps, wechat: t.services.wechat, sessions: t.services.sessions, clients: t.services.clients, referrals });
    const app = createApp(t.deps, { ...t.services, mpAuth });

    const res = await request(app.app.callback()).post('/api/mp/auth/login').send({
      code: t.standIn.issueLoginCode({ openid: fakeOpenid() }), launch: { referralCode: a.referral_code },
    });
    await t.services.mpAuth.resetLoginLimits('::ffff:127.0.0.1');
    await t.services.mpAuth.resetLoginLimits('127.0.0.1');

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ client: { isNew: true }, referral: { bound: false, reason: 'REFERRAL_UNAVAILABLE' } });
    const row = await clientRow(t, res.body.client.id);
    expect(row.referrer_id).toBeNull();
    expect(await bindingsOf(row.id)).toEqual([]);
    const [{ n }] = await t.deps.db.query("SELECT COUNT(*) AS n FROM client_touches WHERE client_id = ? AND kind = 'first'", [row.id]);
    expect(Number(n)).toBe(1);
  });

  it('concurrent first logins of one WeChat user with a code create one client and one binding', async () => {
    const a = await registered();
    const openid = fakeOpenid();

    const results = await Promise.all(Array.from({ length: 5 }, () => loginWithCode(t, a.referral_code, { openid })));

    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(results.map((r) => r.body.client.id)).size).toBe(1);
    expect(results.filter((r) => r.body.referral.bound)).toHaveLength(1);
    const row = await clientRow(t, results[0].body.client.id);
    expect(row.referrer_id).toBe(a.id);
    expect(await bindingsOf(row.id)).toHaveLength(1);
  });

  it('a phone already bound as someone\'s friend voids a later binding when it appears: no reward', async () => {
    const a = await registered();
    const d = await registered();
    const first = await registered({ code: a.referral_code });
    await t.services.clients.bindPhone(first.id, t.standIn.issuePhoneCode('13911112222'), clientActor(first.id));
    await hookPaid(t, paidOrder(first.id, 100000, t.clock.now()));
    expect((await bindingsOf(first.id))[0].phone_bidx).toMatch(/^[0-9a-f]{64}$/);
    await t.services.clients.deleteOwnAccount(first.id, clientActor(first.id));

    // The same person with another WeChat account (no shared unionid) and the same phone.
    const second = await registered({ code: d.referral_code });
    expect(second.body.referral).toEqual({ bound: true });
    await t.services.clients.bindPhone(second.id, t.standIn.issuePhoneCode('13911112222'), clientActor(second.id));
    const order = paidOrder(second.id, 100000, t.clock.now());
    await hookPaid(t, order);

    expect(await rewardOf(t, order.id)).toBeUndefined();
    expect(await bindingsOf(second.id)).toEqual([expect.objectContaining({ status: 'void', void_reason: 'REFERRAL_PHONE_ALREADY_BOUND', phone_bidx: null })]);
    expect((await clientRow(t, second.publicId)).referrer_id).toBeNull();
    await expectConsistent(t);
  });
});
