import { createHash } from 'node:crypto';
import { createWeComTestContext, WeComTestContext } from '../helpers/wecom';
import { bearer, createClient, createStaff, staffToken } from '../helpers/factories';
import { jsapiSignature } from '../../src/integrations/wecom/crypto';

describe('the WeCom sidebar: JS-SDK signatures and the contact’s client', () => {
  let t: WeComTestContext;
  beforeAll(async () => { t = await createWeComTestContext(); });
  afterAll(async () => { await t.close(); });

  it('signs the published example as WeCom documents it', () => {
    expect(jsapiSignature(
      'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg', 'Wm3WZYTPz0wzccnW', 1414587457, 'http://mp.weixin.qq.com?params=value',
    )).toBe('0f9de62fce790f9a083d5c99e95740ceb90c27ed');
  });

  it('gives ww.register the corp and the agent signatures over their own tickets, the URL without its fragment', async () => {
    const token = await staffToken(t, await createStaff(t, 'consultant'));
    const page = 'https://crm.example.com/console/sidebar/?entry=single_chat_tools';

    const res = await t.http.get('/api/staff/wecom/jssdk-config').query({ url: `${page}#/client` }).set(bearer(token));

    expect(res.status).toBe(200);
    const [corpTicket, agentTicket] = [await t.services.wecom.getJsapiTicket('corp'), await t.services.wecom.getJsapiTicket('agent')];
    const expected = (ticket: string, s: { nonceStr: string; timestamp: number }) =>
      createHash('sha1').update(`jsapi_ticket=${ticket}&noncestr=${s.nonceStr}&timestamp=${s.timestamp}&url=${page}`).digest('hex');
    expect(res.body).toMatchObject({ corpId: t.config.wecom.corpId, agentId: '1000002' });
    expect(res.body.config.timestamp).toBe(Math.floor(t.clock.now().getTime() / 1000));
    expect(res.body.config.signature).toBe(expected(corpTicket, res.body.config));
    expect(res.body.agentConfig.signature).toBe(expected(agentTicket, res.body.agentConfig));
  });

  it('fetches each ticket once for many pages and staff (WeCom allows few an hour)', async () => {
    const token = await staffToken(t, await createStaff(t, 'doctor'));
    for (let i = 0; i < 3; i++) {
      expect((await t.http.get('/api/staff/wecom/jssdk-config').query({ url: `https://crm.example.com/p${i}` }).set(bearer(token))).status).toBe(200);
    }
    expect([t.wecom.count('get_jsapi_ticket'), t.wecom.count('ticket_get')]).toEqual([1, 1]);
  });

  it('needs a staff session and a page URL', async () => {
    const token = await staffToken(t, await createStaff(t, 'consultant'));
    const anonymous = await t.http.get('/api/staff/wecom/jssdk-config').query({ url: 'https://crm.example.com/' });
    const noUrl = await t.http.get('/api/staff/wecom/jssdk-config').set(bearer(token));
    const badUrl = await t.http.get('/api/staff/wecom/jssdk-config').query({ url: 'javascript:alert(1)' }).set(bearer(token));
    expect(anonymous.status).toBe(401);
    expect([noUrl.status, noUrl.body.error.details[0].field]).toEqual([400, 'query.url']);
    expect([badUrl.status, badUrl.body.error.details[0].field]).toEqual([400, 'query.url']);
  });

  describe('the client behind an external contact', () => {
    it('answers the client to their consultant, 404 to another consultant (audited) and for an unknown contact', async () => {
      const mine = await createStaff(t, 'consultant');
      const other = await createStaff(t, 'consultant');
      const client = await createClient(t, { consultantId: mine.id });
      const added = await t.wecom.playAddContact({ userid: t.users.zhangsan });
      await t.services.wecomOfficial.processEvents();
      await t.deps.db.query('UPDATE wecom_external_contacts SET client_id = ? WHERE external_userid = ?', [client.id, added.externalUserId]);

      const seen = await t.http.get(`/api/staff/wecom/contacts/${added.externalUserId}/client`).set(bearer(await staffToken(t, mine)));
      const refused = await t.http.get(`/api/staff/wecom/contacts/${added.externalUserId}/client`).set(bearer(await staffToken(t, other)));
      const unknown = await t.http.get('/api/staff/wecom/contacts/wmNobodyAtAll/client').set(bearer(await staffToken(t, mine)));

      expect([seen.status, seen.body]).toEqual([200, { clientId: client.publicId }]);
      expect([refused.status, refused.body.error.code]).toEqual([404, 'NOT_FOUND']);
      expect(unknown.status).toBe(404);
      const audit = await t.deps.db.query("SELECT allowed FROM audit_log WHERE action = 'client.wecom_sidebar' AND actor_id = ? AND client_id = ?", [other.id, client.id]);
      expect(audit.map((r: { allowed: number }) => Number(r.allowed))).toEqual([0]);
    });

    it('finds a client linked through the bot when the contact id is the external userid', async () => {
      const director = await createStaff(t, 'director');
      const client = await createClient(t);
      await t.deps.db.query("INSERT INTO wecom_contacts (contact_id, account_id, client_id, bound_by, last_seen_at) VALUES ('wmViaTheBot', 'bot', ?, 'staff', NOW(3))", [client.id]);

      const res = await t.http.get('/api/staff/wecom/contacts/wmViaTheBot/client').set(bearer(await staffToken(t, director)));

      expect([res.status, res.body]).toEqual([200, { clientId: client.publicId }]);
    });
  });
});
