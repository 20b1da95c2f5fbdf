import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient } from '../helpers/factories';
import { WeChatError } from '../../src/integrations/wechat/types';

const TEMPLATE = 'R8A42w9nhUj3HDenswaQcMEBAz-i211U1uRggj8U6pQ';

describe('mini-program subscription credits', () => {
  let t: TestContext;
  beforeAll(async () => { t = await createTestContext(); });
  afterAll(async () => { await t.close(); });

  async function loggedIn() {
    const client = await createClient(t);
    return { client, token: await clientToken(t, client) };
  }
  const report = (token: string, body: object) => t.http.post('/api/mp/subscriptions').set(bearer(token)).send(body);

  it('each accept adds one credit; reject changes nothing; ban drops them; GET lists the own credits', async () => {
    const { token } = await loggedIn();

    const first = await report(token, { templateId: TEMPLATE, result: 'accept' });
    const second = await report(token, { templateId: TEMPLATE, result: 'acceptWithAlert' });
    const rejected = await report(token, { templateId: TEMPLATE, result: 'reject' });
    const other = await report(token, { templateId: 'otherTemplate_123', result: 'accept' });
    const listed = await t.http.get('/api/mp/subscriptions').set(bearer(token));

    expect(first.status).toBe(200);
    expect(first.body).toEqual({ templateId: TEMPLATE, credits: 1, updatedAt: expect.any(String) });
    expect(second.body.credits).toBe(2);
    expect(rejected.body.credits).toBe(2);
    expect(other.body.credits).toBe(1);
    const items = listed.body.items.map((i: { templateId: string; credits: number }) => [i.templateId, i.credits]);
    expect(items).toHaveLength(2);
    expect(items).toEqual(expect.arrayContaining([[TEMPLATE, 2], ['otherTemplate_123', 1]]));
    const banned = await report(token, { templateId: TEMPLATE, result: 'ban' });
    expect(banned.body.credits).toBe(0);
  });

  it('a client sees only their own credits', async () => {
    const a = await loggedIn();
    const b = await loggedIn();
    await report(a.token, { templateId: TEMPLATE, result: 'accept' });

    const res = await t.http.get('/api/mp/subscriptions').set(bearer(b.token));

    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([]);
  });

  it('bad input answers 400 with the field, and writes nothing', async () => {
    const { client, token } = await loggedIn();

    const unknownKey = await report(token, { templateId: TEMPLATE, result: 'accept', credits: 99 });
    const badResult = await report(token, { templateId: TEMPLATE, result: 'yes' });
    const badTemplate = await report(token, { templateId: 'has spaces', result: 'accept' });
    const missing = await report(token, { result: 'accept' });

    expect([unknownKey, badResult, badTemplate, missing].map((r) => r.status)).toEqual([400, 400, 400, 400]);
    expect(unknownKey.body.error.details).toEqual([expect.objectContaining({ field: 'body.credits' })]);
    expect(badResult.body.error.details).toEqual([expect.objectContaining({ field: 'body.result' })]);
    expect(badTemplate.body.error.details).toEqual([expect.objectContaining({ field: 'body.templateId' })]);
    expect(missing.body.error.details).toEqual([expect.objectContaining({ field: 'body.templateId' })]);
    expect(await t.services.delivery.subscriptions(client.id)).toEqual([]);
  });

  it('needs a client session', async () => {
    expect((await t.http.get('/api/mp/subscriptions')).status).toBe(401);
    expect((await t.http.post('/api/mp/subscriptions').send({ templateId: TEMPLATE, result: 'accept' })).status).toBe(401);
  });

  it('credits are kept for a bounded number of templates', async () => {
    const { token } = await loggedIn();
    for (let i = 0; i < 30; i++) expect((await report(token, { templateId: `tpl_${i}`, result: 'accept' })).status).toBe(200);

    const over = await report(token, { templateId: 'tpl_30', result: 'accept' });
    const again = await report(token, { templateId: 'tpl_3', result: 'accept' });

    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe('SUBSCRIPTION_TEMPLATES_LIMIT');
    expect(again.body.credits).toBe(2);
  });
});

describe('subscribeMessage.send through the WeChat client and the stand-in', () => {
  let t: TestContext;
  beforeAll(async () => { t = await createTestContext(); });
  afterAll(async () => { await t.close(); });

  it('sends WeChat\'s body shape: touser, template_id, page, data as { value }, miniprogram_state, lang', async () => {
    const res = await t.services.wechat.sendSubscribeMessage({
      touser: 'oWj8h5Ltp1RlpxPRCks_UleLfMXE', templateId: TEMPLATE, page: 'pages/care/index?step=7d', data: { thing1: '术后回访', time2: '2026-03-01 10:00' },
    });

    expect(res.msgid).toMatch(/^\d+$/);
    expect(t.standIn.subscribeMessages).toEqual([{
      touser: 'oWj8h5Ltp1RlpxPRCks_UleLfMXE', templateId: TEMPLATE, page: 'pages/care/index?step=7d',
      data: { thing1: '术后回访', time2: '2026-03-01 10:00' }, miniprogramState: 'formal', at: expect.any(Date),
    }]);
  });

  it('WeChat\'s refusals become WeChatErrors: 43101 refused, 47003 a thing field over 20 characters, 40003 no openid', async () => {
    t.standIn.failNext('subscribe_send', 43101);
    const refused = await t.services.wechat.sendSubscribeMessage({ touser: 'o123', templateId: TEMPLATE, data: {} }).catch((e) => e);
    const tooLong = await t.services.wechat.sendSubscribeMessage({ touser: 'o123', templateId: TEMPLATE, data: { thing1: '这是一段超过二十个字的订阅消息内容一定会被微信拒绝的' } }).catch((e) => e);
    const noUser = await t.services.wechat.sendSubscribeMessage({ touser: '', templateId: TEMPLATE, data: {} }).catch((e) => e);

    expect(refused).toBeInstanceOf(WeChatError);
    expect([refused.errcode, tooLong.errcode, noUser.errcode]).toEqual([43101, 47003, 40003]);
    expect(refused.transient).toBe(false);
  });
});
