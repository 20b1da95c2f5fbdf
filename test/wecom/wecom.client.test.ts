import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createTestContext, TestContext } from '../helpers/context';
import { startWeComStandIn, WeComStandInHandle } from '../../src/integrations/wecom/standin';
import { WeComClient } from '../../src/integrations/wecom/wecom.client';
import { WeComError } from '../../src/integrations/wecom/types';

describe('WeComClient against the WeCom stand-in', () => {
  let t: TestContext;
  let standIn: WeComStandInHandle;
  let corpId: string;
  const agentSecret = `agent-${randomBytes(8).toString('hex')}`;
  const contactSecret = `contact-${randomBytes(8).toString('hex')}`;
  const logLines: string[] = [];
  const log = pino({ level: 'trace' }, new Writable({ write(chunk, _enc, done) { logLines.push(String(chunk)); done(); } }));

  // Each test gets its own corp, so its token cache starts empty; two clients are two processes.
  const client = (over: Partial<TestContext['config']['wecom']> = {}) =>
    new WeComClient({
      ...t.config.wecom, corpId, agentId: '1000002', agentSecret, contactSecret, apiBaseUrl: standIn.url, timeoutMs: 1000, maxRetries: 3, backoffBaseMs: 5, ...over,
    }, t.deps.redis, log);

  const rejection = async (p: Promise<unknown>): Promise<WeComError> => {
    const err = await p.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(WeComError);
    return err as WeComError;
  };

  beforeAll(async () => { t = await createTestContext(); });
  beforeEach(async () => {
    corpId = `ww${randomBytes(8).toString('hex')}`;
    standIn = await startWeComStandIn({ port: 0, clock: t.clock, corpId, agentId: '1000002', agentSecret, contactSecret, users: ['zhangsan', 'lisi'] });
  });
  afterEach(async () => { await standIn.close(); });
  afterAll(async () => { await t.close(); });

  describe('access tokens', () => {
    it('keeps one token per secret in Redis: many calls from two processes make one gettoken per secret', async () => {
      const [a, b] = [client(), client()];

      const tokens = await Promise.all([...Array(8)].flatMap(() => [a.getAccessToken('contact'), b.getAccessToken('contact'), a.getAccessToken('agent'), b.getAccessToken('agent')]));

      expect(standIn.count('gettoken')).toBe(2);
      expect(new Set(tokens).size).toBe(2);
      expect(await b.getAccessToken('contact')).toBe(await a.getAccessToken('contact'));
    });

    it('refreshes once when WeCom says the token is invalid mid-batch (40014), across processes', async () => {
      const [a, b] = [client(), client()];
      await a.getAccessToken('contact');
      standIn.invalidateAccessTokens();

      const ways = await Promise.all([...Array(6)].map((_, i) => (i % 2 ? a : b).addContactWay({ users: ['zhangsan'], state: `s${i}` })));

      expect(ways).toHaveLength(6);
      expect(standIn.count('gettoken')).toBe(2);
      expect([...standIn.contactWays.values()].filter((w) => !w.deleted)).toHaveLength(6);
    });

    it('refreshes when WeCom says the token expired (42001), once', async () => {
      const c = client();
      await c.getAccessToken('contact');
      t.clock.advance(7200 * 1000 + 1);

      await c.addContactWay({ users: ['lisi'], state: 'expired' });

      expect(standIn.count('gettoken')).toBe(2);
      t.clock.advance(-(7200 * 1000 + 1));
    });

    it('reports a wrong secret and a wrong corp id with WeCom\'s codes (40001, 40013)', async () => {
      expect((await rejection(client({ contactSecret: 'wrong' }).getAccessToken('contact'))).errcode).toBe(40001);
      expect((await rejection(client({ corpId: 'wwnope' }).getAccessToken('agent'))).errcode).toBe(40013);
    });
  });

  describe('rate limits, timeouts and clear errors', () => {
    it('backs off on 45009 and 45033 and does the work once', async () => {
      standIn.failNext('add_contact_way', 45009);
      standIn.failNext('add_contact_way', 45033);

      const way = await client().addContactWay({ users: ['zhangsan'], state: 'backoff' });

      expect(way.configId).toMatch(/^[0-9a-f]{32}$/);
      expect(standIn.count('add_contact_way')).toBe(3);
      expect(standIn.contactWays.size).toBe(1);
    });

    it('gives up after the configured retries with a transient 45009', async () => {
      standIn.failNext('add_contact_way', 45009, 10);
      const err = await rejection(client({ maxRetries: 2 }).addContactWay({ users: ['zhangsan'], state: 'x' }));
      expect([err.errcode, err.transient]).toEqual([45009, true]);
      expect(standIn.count('add_contact_way')).toBe(3);
      expect(standIn.contactWays.size).toBe(0);
    });

    it('retries a read that timed out, but never a send (it may have gone through)', async () => {
      const way = await client().addContactWay({ users: ['zhangsan'], state: 'timeout' });
      const added = await standIn.playAddContact({ configId: way.configId });
      standIn.delayNext('externalcontact_get', 1500);
      standIn.delayNext('message_send', 1500);

      const contact = await client().getExternalContact(added.externalUserId);
      const err = await rejection(client().sendTextCard({ touser: ['zhangsan'], title: '新任务', description: 'd', url: 'http://x/console/' }));

      expect(contact.followUsers[0]).toMatchObject({ userid: 'zhangsan', state: 'timeout' });
      expect(standIn.count('externalcontact_get')).toBe(2);
      expect([err.errcode, err.transient]).toEqual([-2, true]);
      expect(standIn.count('message_send')).toBe(1);
    });

    it.each([
      [60011, /visible range/],
      [60020, /trusted IP/],
      [84061, /no relationship/],
    ])('turns %i into a clear error', async (code, hint) => {
      standIn.failNext('externalcontact_get', code);
      const err = await rejection(client().getExternalContact('wmunknown'));
      expect(err.errcode).toBe(code);
      expect(err.transient).toBe(false);
      expect(err.message).toMatch(hint);
    });

    it('never logs secrets or tokens', async () => {
      logLines.length = 0;
      standIn.failNext('add_contact_way', 45009);
      const token = await client().getAccessToken('contact');
      await client().addContactWay({ users: ['zhangsan'], state: 'log' });
      const all = logLines.join('\n');
      expect(all).not.toContain(contactSecret);
      expect(all).not.toContain(token);
    });
  });

  describe('the stand-in answers as WeCom documents', () => {
    it('refuses a state over 30 characters (40058) and an unknown userid (60111)', async () => {
      expect((await rejection(client().addContactWay({ users: ['zhangsan'], state: 'x'.repeat(31) }))).errcode).toBe(40058);
      expect((await rejection(client().addContactWay({ users: ['nobody'], state: 's' }))).errcode).toBe(60111);
    });

    it('takes a welcome code once and only within 20 seconds (41096)', async () => {
      const c = client();
      const first = await standIn.playAddContact({ userid: 'zhangsan' });
      const second = await standIn.playAddContact({ userid: 'lisi' });
      const card = { title: '填写问卷', picMediaId: 'MEDIA', appid: 'wxapp', page: 'pages/index/index' };

      await c.sendWelcomeMsg({ welcomeCode: first.welcomeCode, text: '您好', miniprogram: card });
      const again = await rejection(c.sendWelcomeMsg({ welcomeCode: first.welcomeCode, text: '您好' }));
      t.clock.advance(20_001);
      const late = await rejection(c.sendWelcomeMsg({ welcomeCode: second.welcomeCode, text: '您好' }));
      t.clock.advance(-20_001);

      expect([again.errcode, late.errcode]).toEqual([41096, 41096]);
      expect(standIn.welcomes).toHaveLength(1);
      expect(standIn.welcomes[0]).toMatchObject({ externalUserId: first.externalUserId, userid: 'zhangsan', text: '您好', miniprogram: { appid: 'wxapp', page: 'pages/index/index' } });
    });

    it('sends a text card to known staff and names the unknown ones (invaliduser); all unknown is 81013', async () => {
      const sent = await client().sendTextCard({ touser: ['zhangsan', 'ghost'], title: '新任务', description: '回访', url: 'http://localhost/console/' });
      const none = await rejection(client().sendTextCard({ touser: ['ghost'], title: 't', description: 'd', url: 'http://x/' }));
      expect(sent.invalidUsers).toEqual(['ghost']);
      expect(standIn.appMessages).toEqual([expect.objectContaining({ touser: ['zhangsan'], title: '新任务' })]);
      expect(none.errcode).toBe(81013);
    });

    it('refuses a wrong agent id (40056) and customer-contact APIs with the app\'s token (48002)', async () => {
      expect((await rejection(client({ agentId: '999' }).sendTextCard({ touser: ['zhangsan'], title: 't', description: 'd', url: 'http://x/' }))).errcode).toBe(40056);
      expect((await rejection(client({ contactSecret: agentSecret }).addContactWay({ users: ['zhangsan'], state: 's' }))).errcode).toBe(48002);
    });

    it('caches the corp and the agent jsapi tickets apart, one fetch each', async () => {
      const c = client();
      const [corp1, agent1, corp2, agent2] = await Promise.all([c.getJsapiTicket('corp'), c.getJsapiTicket('agent'), client().getJsapiTicket('corp'), client().getJsapiTicket('agent')]);
      expect(corp1).toBe(corp2);
      expect(agent1).toBe(agent2);
      expect(corp1).not.toBe(agent1);
      expect([standIn.count('get_jsapi_ticket'), standIn.count('ticket_get')]).toEqual([1, 1]);
    });
  });
});
