import request from 'supertest';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createClient } from '../helpers/factories';
import { fakeOpenid, loginClient, randomIp } from '../helpers/login';
import { Client, ClientTouch } from '../../src/modules/clients/clients.entity';
import { createApp } from '../../src/app';
import { createServices } from '../../src/services';
import { WeChatClient } from '../../src/integrations/wechat/wechat.client';
import { closedPort } from '../helpers/net';
import { eventually } from '../helpers/bot';

describe('mini-program login', () => {
  let t: TestContext;
  // Trusting the proxy lets each request come from its own address, so the per-IP limit stays out of the way.
  beforeAll(async () => { t = await createTestContext({ env: { TRUST_PROXY: 'true' } }); });
  afterAll(async () => { await t.close(); });

  const login = (body: unknown, ip = randomIp()) => t.http.post('/api/mp/auth/login').set('X-Forwarded-For', ip).send(body as object);
  const clientByOpenid = (openid: string) => t.deps.db.getRepository(Client).findOneByOrFail({ openid });
  const touchesOf = (clientId: number) => t.deps.db.getRepository(ClientTouch).find({ where: { clientId }, order: { id: 'ASC' } });

  describe('first login', () => {
    it('creates the client with its first touch and returns a working token, and nothing secret', async () => {
      const openid = fakeOpenid();
      const launch = { utmSource: 'douyin', utmMedium: 'cpc', utmCampaign: 'spring-2026', scene: 1047, wecomState: 'ws1' };

      const res = await login({ code: t.standIn.issueLoginCode({ openid }), launch });

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ token: expect.any(String), expiresIn: t.config.auth.clientSessionTtlSeconds, client: { id: expect.any(String), isNew: true } });
      expect(JSON.stringify(res.body)).not.toMatch(/openid|unionid|session_?key/i);
      expect(JSON.stringify(res.body)).not.toContain(openid);
      const row = await clientByOpenid(openid);
      expect(row).toMatchObject({
        publicId: res.body.client.id, status: 'active', stage: 'lead', sourceChannel: 'douyin', referrerId: null,
        firstTouch: { ...launch, referralCode: null, at: t.clock.now().toISOString() },
        lastLoginAt: t.clock.now(),
      });
      expect(row.referralCode).toMatch(/^[2-9A-HJKMNP-Z]{8}$/);
      expect(await t.services.sessions.resolve(res.body.token)).toMatchObject({ kind: 'client', clientId: row.id, publicId: row.publicId });
      expect(await touchesOf(row.id)).toEqual([expect.objectContaining({ kind: 'first', utmSource: 'douyin', scene: 1047, wecomState: 'ws1', createdAt: t.clock.now() })]);
    });

    it('marks a client whose referral code bound them as from "referral" and keeps the code in the touch', async () => {
      const referrer = await createClient(t);

      const { openid } = await loginClient(t, { launch: { referralCode: referrer.referralCode.toLowerCase(), utmSource: 'poster' } });

      const row = await clientByOpenid(openid);
      expect(row.sourceChannel).toBe('referral');
      expect(row.referrerId).toBe(referrer.id);
      expect(row.firstTouch).toMatchObject({ referralCode: referrer.referralCode, utmSource: 'poster' });
      expect((await touchesOf(row.id))[0]).toMatchObject({ kind: 'first', referralCode: referrer.referralCode });
    });

    it('a referral code that did not bind leaves the campaign channel (or "mini_program"); the touch still keeps the code', async () => {
      const withCampaign = await loginClient(t, { launch: { referralCode: 'abcd2345', utmSource: 'poster' } });
      const withoutCampaign = await loginClient(t, { launch: { referralCode: 'abcd2345' } });

      const [a, b] = await Promise.all([clientByOpenid(withCampaign.openid), clientByOpenid(withoutCampaign.openid)]);
      expect([a.sourceChannel, b.sourceChannel]).toEqual(['poster', 'mini_program']);
      expect([a.referrerId, b.referrerId]).toEqual([null, null]);
      expect(a.firstTouch).toMatchObject({ referralCode: 'ABCD2345', utmSource: 'poster' });
      expect((await touchesOf(a.id))[0]).toMatchObject({ kind: 'first', referralCode: 'ABCD2345' });
    });

    it('creates the client through ClientsService.createClient, inside the login transaction', async () => {
      const create = jest.spyOn(t.services.clients, 'createClient');
      try {
        const { openid } = await loginClient(t, { launch: { utmSource: 'poster' } });

        expect(create).toHaveBeenCalledTimes(1);
        expect(create).toHaveBeenCalledWith(expect.objectContaining({ openid, sourceChannel: 'poster', lastLoginAt: t.clock.now() }), expect.anything());
        expect((await clientByOpenid(openid)).lastLoginAt).toEqual(t.clock.now());
      } finally {
        create.mockRestore();
      }
    });

    it('without a launch query the channel is "mini_program" and the first touch still records when', async () => {
      const { openid } = await loginClient(t);
      const row = await clientByOpenid(openid);
      expect(row.sourceChannel).toBe('mini_program');
      expect(row.firstTouch).toEqual({ utmSource: null, utmMedium: null, utmCampaign: null, scene: null, referralCode: null, wecomState: null, at: t.clock.now().toISOString() });
      expect(await touchesOf(row.id)).toHaveLength(1);
    });
  });

  describe('later logins', () => {
    it('find the same client, record the new touch and never overwrite the first one', async () => {
      const first = await loginClient(t, { launch: { utmSource: 'wechat_ad', scene: 1001 } });
      const before = await clientByOpenid(first.openid);
      t.clock.advance(3 * 24 * 3600 * 1000);

      const res = await login({ code: t.standIn.issueLoginCode({ openid: first.openid }), launch: { utmSource: 'xiaohongshu', referralCode: 'ZZZZ9999', scene: 1007 } });

      expect(res.status).toBe(200);
      expect(res.body.client).toEqual({ id: first.publicId, isNew: false });
      expect(res.body.token).not.toBe(first.token);
      const after = await clientByOpenid(first.openid);
      expect(after.firstTouch).toEqual(before.firstTouch);
      expect(after.sourceChannel).toBe('wechat_ad');
      expect(after.lastLoginAt).toEqual(t.clock.now());
      const touches = await touchesOf(after.id);
      expect(touches.map((x) => [x.kind, x.utmSource, x.referralCode, x.scene])).toEqual([['first', 'wechat_ad', null, 1001], ['login', 'xiaohongshu', 'ZZZZ9999', 1007]]);
    });

    it('record no touch when there is no launch query', async () => {
      const first = await loginClient(t);
      await loginClient(t, { openid: first.openid, launch: { utmSource: '', scene: null } });
      const row = await clientByOpenid(first.openid);
      expect(await touchesOf(row.id)).toHaveLength(1);
    });

    it('find the client by unionid when the openid is new (same person), and keep one archive', async () => {
      const unionid = `u_${fakeOpenid()}`;
      const first = await loginClient(t, { unionid });
      const newOpenid = fakeOpenid();

      const second = await loginClient(t, { openid: newOpenid, unionid });

      expect(second.publicId).toBe(first.publicId);
      const rows = await t.deps.db.getRepository(Client).find({ where: { unionid } });
      expect(rows).toHaveLength(1);
      expect(rows[0].openid).toBe(newOpenid);
    });

    it('learn the unionid of a client who first came without one', async () => {
      const first = await loginClient(t);
      const unionid = `u_${fakeOpenid()}`;
      await loginClient(t, { openid: first.openid, unionid });
      expect((await clientByOpenid(first.openid)).unionid).toBe(unionid);
    });
  });

  it('two first logins for the same openid at once create exactly one client', async () => {
    const openid = fakeOpenid();
    // A second app on the same database and Redis plays a second API instance.
    const other = request(createApp(t.deps).app.callback());
    const codes = Array.from({ length: 6 }, () => t.standIn.issueLoginCode({ openid }));

    const results = await Promise.all(codes.map((code, i) => (i % 2 ? t.http : other).post('/api/mp/auth/login').set('X-Forwarded-For', randomIp()).send({ code })));

    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(results.filter((r) => r.body.client.isNew)).toHaveLength(1);
    expect(new Set(results.map((r) => r.body.client.id)).size).toBe(1);
    expect(await t.deps.db.getRepository(Client).countBy({ openid })).toBe(1);
  });

  describe('refusals from WeChat', () => {
    it('a reused code → 401 LOGIN_CODE_USED', async () => {
      const code = t.standIn.issueLoginCode();
      expect((await login({ code })).status).toBe(200);
      const res = await login({ code });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('LOGIN_CODE_USED');
    });

    it('an unknown code, or one older than 5 minutes → 401 LOGIN_CODE_INVALID', async () => {
      const unknown = await login({ code: 'not-a-real-code' });
      const code = t.standIn.issueLoginCode();
      t.clock.advance(6 * 60 * 1000);
      const expired = await login({ code });
      for (const res of [unknown, expired]) {
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('LOGIN_CODE_INVALID');
      }
    });

    it('WeChat busy (-1) → 503 WECHAT_UNAVAILABLE with Retry-After, and nothing is written', async () => {
      const openid = fakeOpenid();
      t.standIn.failNext('jscode2session', -1);
      const res = await login({ code: t.standIn.issueLoginCode({ openid }) });
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ code: 'WECHAT_UNAVAILABLE', details: { retryAfterSeconds: 2 } });
      expect(res.headers['retry-after']).toBe('2');
      expect(await t.deps.db.getRepository(Client).countBy({ openid })).toBe(0);
    });

    // 45011 is the minute quota of our AppID as a whole: a service-wide degradation, so 503
    // (retry in a minute), not 429 — the caller did nothing wrong.
    it('WeChat minute quota (45011) → 503 WECHAT_UNAVAILABLE, retry after 60 s', async () => {
      t.standIn.failNext('jscode2session', 45011);
      const res = await login({ code: t.standIn.issueLoginCode() });
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('60');
    });

    it('a high-risk user blocked by WeChat (40226) → 403 WECHAT_BLOCKED_USER', async () => {
      t.standIn.failNext('jscode2session', 40226);
      const res = await login({ code: t.standIn.issueLoginCode() });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('WECHAT_BLOCKED_USER');
    });

    it('WeChat unreachable → 503 WECHAT_UNAVAILABLE with Retry-After', async () => {
      const port = await closedPort();
      const wechat = new WeChatClient({ ...t.config.wechat, apiBaseUrl: `http://127.0.0.1:${port}` }, t.deps.redis, t.deps.logger);
      const app = createApp(t.deps, createServices(t.deps, { wechat }));

      const res = await request(app.app.callback()).post('/api/mp/auth/login').set('X-Forwarded-For', randomIp()).send({ code: 'anything' });

      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('WECHAT_UNAVAILABLE');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('wrong AppSecret (our misconfiguration) → 503, not 500 and not blamed on the caller', async () => {
      const wechat = new WeChatClient({ ...t.config.wechat, appSecret: 'wrong' }, t.deps.redis, t.deps.logger);
      const app = createApp(t.deps, createServices(t.deps, { wechat }));
      const res = await request(app.app.callback()).post('/api/mp/auth/login').set('X-Forwarded-For', randomIp()).send({ code: t.standIn.issueLoginCode() });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('WECHAT_UNAVAILABLE');
    });
  });

  it('a deleted client cannot log in again (403 LOGIN_ACCOUNT_DELETED) and no touch is written', async () => {
    const client = await createClient(t, { status: 'deleted', deletedAt: new Date() });
    const res = await login({ code: t.standIn.issueLoginCode({ openid: client.openid }), launch: { utmSource: 'x' } });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('LOGIN_ACCOUNT_DELETED');
    expect(await touchesOf(client.id)).toHaveLength(0);
  });

  describe('tokens', () => {
    it('logout ends the session: the token no longer resolves and cannot be used again', async () => {
      const { token } = await loginClient(t);

      const res = await t.http.post('/api/mp/auth/logout').set(bearer(token));

      expect(res.status).toBe(204);
      expect(await t.services.sessions.resolve(token)).toBeNull();
      const again = await t.http.post('/api/mp/auth/logout').set(bearer(token));
      expect(again.status).toBe(401);
      expect(again.body.error.code).toBe('TOKEN_INVALID');
    });

    it('logout ends only that session, not the client\'s other devices', async () => {
      const a = await loginClient(t);
      const b = await loginClient(t, { openid: a.openid });
      await t.http.post('/api/mp/auth/logout').set(bearer(a.token)).expect(204);
      expect(await t.services.sessions.resolve(b.token)).toMatchObject({ kind: 'client' });
    });

    it('a tampered token does not resolve and is refused with 401', async () => {
      const { token } = await loginClient(t);
      const tampered = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
      expect(await t.services.sessions.resolve(tampered)).toBeNull();
      const res = await t.http.post('/api/mp/auth/logout').set(bearer(tampered));
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('TOKEN_INVALID');
      expect((await t.http.post('/api/mp/auth/logout')).status).toBe(401);
    });

    it('an expired token is refused with 401', async () => {
      const row = await createClient(t);
      const { token } = await t.services.sessions.create({ kind: 'client', clientId: row.id, publicId: row.publicId }, 1);
      // Session expiry is Redis' own TTL (real time): wait until the store no longer knows the token.
      await eventually(async () => expect(await t.services.sessions.resolve(token)).toBeNull(), 5000);
      const res = await t.http.post('/api/mp/auth/logout').set(bearer(token));
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('TOKEN_INVALID');
    });

    it('a staff token is not a client session', async () => {
      const { token } = await t.services.sessions.create({ kind: 'staff', staffId: 1, publicId: 'x'.repeat(22), role: 'director' }, 60);
      expect((await t.http.post('/api/mp/auth/logout').set(bearer(token))).status).toBe(401);
    });
  });

  describe('bad input (400, WeChat never asked)', () => {
    const cases: Array<[string, unknown, string]> = [
      ['an unknown field (mass assignment)', { code: 'c', openid: 'o_evil' }, 'body.openid'],
      ['an unknown launch field', { code: 'c', launch: { utmSource: 'a', points: 100 } }, 'body.launch.points'],
      ['no code', { launch: { scene: 1001 } }, 'body.code'],
      ['an empty code', { code: '' }, 'body.code'],
      ['a code too long', { code: 'x'.repeat(129) }, 'body.code'],
      ['a code of the wrong type', { code: 12345 }, 'body.code'],
      ['a scene that is not an integer', { code: 'c', launch: { scene: '1047' } }, 'body.launch.scene'],
      ['a scene out of range', { code: 'c', launch: { scene: -1 } }, 'body.launch.scene'],
      ['a utm value too long', { code: 'c', launch: { utmCampaign: 'x'.repeat(129) } }, 'body.launch.utmCampaign'],
      ['a malformed referral code', { code: 'c', launch: { referralCode: "1' OR 1=1" } }, 'body.launch.referralCode'],
    ];
    it.each(cases)('%s → 400 VALIDATION_FAILED naming the field', async (_what, body, field) => {
      const calls = t.standIn.count('jscode2session');
      const res = await login(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(t.standIn.count('jscode2session')).toBe(calls);
    });

    it('malformed JSON → 400 MALFORMED_JSON', async () => {
      const res = await t.http.post('/api/mp/auth/login').set('Content-Type', 'application/json').send('{"code": "abc"');
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('MALFORMED_JSON');
    });

    it('a body that is not JSON → 415', async () => {
      const res = await t.http.post('/api/mp/auth/login').set('Content-Type', 'text/plain').send('code=abc');
      expect(res.status).toBe(415);
    });
  });

  it('the login and logout routes are in the OpenAPI document with their errors', async () => {
    const doc = (await t.http.get('/openapi.json')).body as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    expect(Object.keys(doc.paths['/api/mp/auth/login'].post.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '429', '503']));
    expect(doc.paths['/api/mp/auth/logout'].post).toBeDefined();
  });
});
