import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createTestContext, TestContext } from '../helpers/context';
import { startWeChatStandIn, StandInHandle } from '../../src/integrations/wechat/standin';
import { WeChatClient } from '../../src/integrations/wechat/wechat.client';
import { WeChatError } from '../../src/integrations/wechat/types';
import { closedPort } from '../helpers/net';

describe('WeChatClient against the stand-in', () => {
  let t: TestContext;
  let standIn: StandInHandle;
  let appId: string;
  const appSecret = `secret-${randomBytes(8).toString('hex')}`;
  const logLines: string[] = [];
  const log = pino({ level: 'trace' }, new Writable({ write(chunk, _enc, done) { logLines.push(String(chunk)); done(); } }));

  // Each test gets its own AppID, so its access-token cache starts empty.
  const client = (over: Partial<TestContext['config']['wechat']> = {}) =>
    new WeChatClient({ ...t.config.wechat, appId, appSecret, apiBaseUrl: standIn.url, timeoutMs: 2000, ...over }, t.deps.redis, log);

  const rejection = async (p: Promise<unknown>): Promise<WeChatError> => {
    const err = await p.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(WeChatError);
    return err as WeChatError;
  };

  beforeAll(async () => {
    t = await createTestContext();
  });
  beforeEach(async () => {
    appId = `wx${randomBytes(8).toString('hex')}`;
    standIn = await startWeChatStandIn({ port: 0, clock: t.clock, appId, appSecret });
  });
  afterEach(async () => { await standIn.close(); });
  afterAll(async () => { await t.close(); });

  describe('code2Session', () => {
    it('exchanges a fresh code for openid, unionid and session key', async () => {
      const code = standIn.issueLoginCode({ openid: 'o_user_1', unionid: 'u_user_1' });

      const s = await client().code2Session(code);

      expect(s).toEqual({ openid: 'o_user_1', unionid: 'u_user_1', sessionKey: expect.any(String) });
      expect(standIn.count('jscode2session')).toBe(1);
    });

    it('gives a new random openid when the code was minted for nobody in particular, and no unionid', async () => {
      const s = await client().code2Session(standIn.issueLoginCode());
      expect(s.openid).toMatch(/^o.{27}$/);
      expect(s).not.toHaveProperty('unionid');
    });

    it('refuses a code used twice with 40163', async () => {
      const code = standIn.issueLoginCode();
      await client().code2Session(code);
      expect((await rejection(client().code2Session(code))).errcode).toBe(40163);
    });

    it('refuses an unknown code, and a code older than 5 minutes, with 40029', async () => {
      expect((await rejection(client().code2Session('nope'))).errcode).toBe(40029);
      const code = standIn.issueLoginCode();
      t.clock.advance(5 * 60 * 1000 + 1);
      expect((await rejection(client().code2Session(code))).errcode).toBe(40029);
    });

    it('reports wrong credentials as WeChat does: 40013 bad appid, 40125 bad secret', async () => {
      expect((await rejection(client({ appId: 'wxwrong' }).code2Session(standIn.issueLoginCode()))).errcode).toBe(40013);
      expect((await rejection(client({ appSecret: 'wrong' }).code2Session(standIn.issueLoginCode()))).errcode).toBe(40125);
    });

    it('passes injected failures through (-1 busy is transient, 40226 is not)', async () => {
      standIn.failNext('jscode2session', -1);
      standIn.failNext('jscode2session', 40226);
      const busy = await rejection(client().code2Session(standIn.issueLoginCode()));
      const blocked = await rejection(client().code2Session(standIn.issueLoginCode()));
      expect([busy.errcode, busy.transient]).toEqual([-1, true]);
      expect([blocked.errcode, blocked.transient]).toEqual([40226, false]);
    });

    it('turns an unreachable server into errcode -2', async () => {
      const port = await closedPort();
      const err = await rejection(client({ apiBaseUrl: `http://127.0.0.1:${port}` }).code2Session('x'));
      expect([err.errcode, err.transient]).toEqual([-2, true]);
    });

    it('turns a slow answer into errcode -2 after the timeout', async () => {
      standIn.delayNext('jscode2session', 1500);
      const started = Date.now();
      const err = await rejection(client({ timeoutMs: 200 }).code2Session(standIn.issueLoginCode()));
      expect(err.errcode).toBe(-2);
      expect(Date.now() - started).toBeLessThan(1200);
    });
  });

  describe('getPhoneNumber', () => {
    it('exchanges a phone code for the number', async () => {
      const code = standIn.issuePhoneCode('13800138000');
      await expect(client().getPhoneNumber(code)).resolves.toEqual({ phoneNumber: '13800138000', purePhoneNumber: '13800138000', countryCode: '86' });
      await expect(client().getPhoneNumber(code)).rejects.toMatchObject({ errcode: 40163 });
    });
  });

  describe('access token', () => {
    it('two instances asking 10 times each at once cause exactly one stable_token call', async () => {
      const a = client();
      const b = client();

      const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).getAccessToken()));

      expect(new Set(tokens).size).toBe(1);
      expect(standIn.count('stable_token')).toBe(1);
      await a.getAccessToken();
      expect(standIn.count('stable_token')).toBe(1);
    });

    it('a token WeChat has invalidated (40001) is refreshed once and the call retried', async () => {
      const c = client();
      const first = await c.getAccessToken();
      standIn.invalidateAccessTokens();

      await expect(c.getPhoneNumber(standIn.issuePhoneCode('13900139000'))).resolves.toMatchObject({ purePhoneNumber: '13900139000' });

      expect(standIn.count('getuserphonenumber')).toBe(2);
      expect(standIn.count('stable_token')).toBe(2);
      expect(await client().getAccessToken()).not.toBe(first);
    });

    it('when WeChat refuses a token it still hands out, the refresh forces a new one', async () => {
      const c = client();
      const first = await c.getAccessToken();
      standIn.failNext('getuserphonenumber', 40001);

      await expect(c.getPhoneNumber(standIn.issuePhoneCode('13900139001'))).resolves.toMatchObject({ purePhoneNumber: '13900139001' });

      // normal mode answered the same token, so a forced refresh followed
      expect(standIn.count('stable_token')).toBe(3);
      expect(await c.getAccessToken()).not.toBe(first);
    });

    it('retries only once: a second 40001 reaches the caller', async () => {
      standIn.failNext('getuserphonenumber', 40001, 2);
      await expect(client().getPhoneNumber(standIn.issuePhoneCode('13900139002'))).rejects.toMatchObject({ errcode: 40001 });
      expect(standIn.count('getuserphonenumber')).toBe(2);
    });

    it('forceRefresh replaces the cached token', async () => {
      const c = client();
      const first = await c.getAccessToken();
      const second = await c.getAccessToken(true);
      expect(second).not.toBe(first);
      expect(await c.getAccessToken()).toBe(second);
    });
  });

  it('never logs codes, session keys, phone numbers, secrets or tokens', async () => {
    logLines.length = 0;
    const c = client();
    const loginCode = standIn.issueLoginCode();
    const s = await c.code2Session(loginCode);
    standIn.failNext('getuserphonenumber', 40001);
    const phoneCode = standIn.issuePhoneCode('13700137000');
    await c.getPhoneNumber(phoneCode);
    const token = await c.getAccessToken();
    await rejection(c.code2Session(loginCode));

    const all = logLines.join('\n');
    expect(logLines.length).toBeGreaterThan(0);
    for (const secret of [loginCode, s.sessionKey, phoneCode, '13700137000', appSecret, token]) expect(all).not.toContain(secret);
  });
});
