import request from 'supertest';
import { createTestContext, TestContext } from '../helpers/context';
import { createWeComTestContext, WeComTestContext } from '../helpers/wecom';
import { eventually } from '../helpers/bot';
import { createStaff } from '../helpers/factories';
import { WeComCrypto } from '../../src/integrations/wecom/crypto';
import { flatXml } from '../../src/integrations/wecom/xml';

// WeCom's published example (加解密方案说明): these must verify and decrypt as published.
const PUBLISHED = {
  token: 'QDG6eK',
  aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  corpId: 'wx5823bf96d3bd56c7',
  msgSignature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
  timestamp: '1409659589',
  nonce: '263014780',
  echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
  plain: '1616140317555161061',
};

describe('WeCom callback crypto with the published example', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext({
      now: new Date(Number(PUBLISHED.timestamp) * 1000 + 30_000).toISOString(),
      env: { WECOM_STANDIN: 'false', WECOM_CORP_ID: PUBLISHED.corpId, WECOM_AGENT_ID: '1000002', WECOM_AGENT_SECRET: 'a', WECOM_CONTACT_SECRET: 'c', WECOM_CALLBACK_TOKEN: PUBLISHED.token, WECOM_CALLBACK_AES_KEY: PUBLISHED.aesKey },
    });
  });
  afterAll(async () => { await t.close(); });

  it('verifies the signature and decrypts the echostr', () => {
    const c = new WeComCrypto(PUBLISHED.token, PUBLISHED.aesKey, PUBLISHED.corpId);
    expect(c.signature(PUBLISHED.timestamp, PUBLISHED.nonce, PUBLISHED.echostr)).toBe(PUBLISHED.msgSignature);
    expect(c.verify(PUBLISHED.msgSignature, PUBLISHED.timestamp, PUBLISHED.nonce, PUBLISHED.echostr)).toBe(true);
    expect(c.decrypt(PUBLISHED.echostr)).toBe(PUBLISHED.plain);
  });

  it('refuses the published echostr for another corp (the receiver id is checked)', () => {
    expect(() => new WeComCrypto(PUBLISHED.token, PUBLISHED.aesKey, 'wwother').decrypt(PUBLISHED.echostr)).toThrow(/another receiver/);
  });

  it('answers the URL verification (GET) with the decrypted echostr', async () => {
    const res = await t.http.get('/api/wecom/callback').query({
      msg_signature: PUBLISHED.msgSignature, timestamp: PUBLISHED.timestamp, nonce: PUBLISHED.nonce, echostr: PUBLISHED.echostr,
    });
    expect(res.status).toBe(200);
    expect(res.text).toBe(PUBLISHED.plain);
  });

  it('refuses the verification with a signature changed by one digit (401) and when it is a replay (400)', async () => {
    const q = { msg_signature: PUBLISHED.msgSignature.replace(/.$/, '0'), timestamp: PUBLISHED.timestamp, nonce: PUBLISHED.nonce, echostr: PUBLISHED.echostr };
    const bad = await t.http.get('/api/wecom/callback').query(q);
    t.clock.advance(3600_000);
    const stale = await t.http.get('/api/wecom/callback').query({ ...q, msg_signature: PUBLISHED.msgSignature });
    t.clock.advance(-3600_000);
    expect([bad.status, bad.body.error.code]).toEqual([401, 'WECOM_CALLBACK_SIGNATURE_INVALID']);
    expect([stale.status, stale.body.error.code]).toEqual([400, 'WECOM_CALLBACK_STALE']);
  });
});

describe('WeCom callback events', () => {
  let t: WeComTestContext;
  const rowsOf = async (ext: string) => t.deps.db.query(
    "SELECT id, status, outcome, change_type FROM wecom_callback_events WHERE JSON_UNQUOTE(JSON_EXTRACT(fields, '$.ExternalUserID')) = ? ORDER BY id", [ext],
  ) as Promise<{ id: string; status: string; outcome: string | null; change_type: string }[]>;
  const relation = async (ext: string) => (await t.deps.db.query('SELECT * FROM wecom_external_contacts WHERE external_userid = ?', [ext]))[0];
  const total = async () => Number((await t.deps.db.query('SELECT COUNT(*) AS n FROM wecom_callback_events'))[0].n);
  const post = (sealed: { query: string; body: string }, body = sealed.body) =>
    request(t.appUrl).post(`/api/wecom/callback?${sealed.query}`).set('Content-Type', 'text/xml').send(body);

  beforeAll(async () => { t = await createWeComTestContext(); });
  afterAll(async () => { await t.close(); });

  it('records a client adding a consultant once, answers at once, and processes it from the table', async () => {
    const consultant = await createStaff(t, 'consultant');
    await t.services.wecomOfficial.linkStaffUser(t.users.zhangsan, consultant.id);

    const added = await t.wecom.playAddContact({ userid: t.users.zhangsan, state: 'ad_xhs_01' });

    expect(added.callbackStatus).toBe(200);
    await t.services.wecomOfficial.processEvents();
    // The state names no contact-me code of the product: recorded as it came, without a channel.
    expect(await rowsOf(added.externalUserId)).toEqual([expect.objectContaining({ status: 'done', outcome: 'unknown_state', change_type: 'add_external_contact' })]);
    expect(await relation(added.externalUserId)).toMatchObject({ userid: t.users.zhangsan, staff_id: consultant.id, state: 'ad_xhs_01', status: 'active' });
  });

  it('processes in the background without waiting for the scheduler', async () => {
    const added = await t.wecom.playAddContact({ userid: t.users.lisi });
    await eventually(async () => expect((await rowsOf(added.externalUserId))[0]?.status).toBe('done'));
  });

  it('takes the same callback delivered three times (also re-sealed, as WeCom retries) as one event', async () => {
    const fields = { Event: 'change_external_contact', ChangeType: 'edit_external_contact', UserID: t.users.zhangsan, ExternalUserID: 'wmTripleDelivery', CreateTime: Math.floor(t.clock.now().getTime() / 1000) };
    const sealed = t.wecom.sealEvent(fields);

    const answers = [await post(sealed), await post(sealed), await post(t.wecom.sealEvent(fields))];

    expect(answers.map((a) => [a.status, a.text])).toEqual([[200, 'success'], [200, 'success'], [200, 'success']]);
    expect(await rowsOf('wmTripleDelivery')).toHaveLength(1);
  });

  it('refuses a bad signature, a replay and malformed bodies, and writes nothing', async () => {
    const before = await total();
    const sealed = t.wecom.sealEvent({ Event: 'change_external_contact', ChangeType: 'del_follow_user', UserID: t.users.zhangsan, ExternalUserID: 'wmRefused' });
    const forged = sealed.query.replace(/msg_signature=[0-9a-f]{40}/, `msg_signature=${'a'.repeat(40)}`);
    const crypto = new WeComCrypto('testToken42', 'dGVzdC1vbmx5LXdlY29tLWNhbGxiYWNrLWtleS0zMmI', 'wwsomeoneelse');
    const otherCorp = crypto.encrypt(flatXml({ MsgType: 'event', Event: 'change_external_contact', CreateTime: 1 }));
    const ts = String(Math.floor(t.clock.now().getTime() / 1000));
    const otherCorpQuery = `msg_signature=${crypto.signature(ts, '1', otherCorp)}&timestamp=${ts}&nonce=1`;

    const badSig = await post({ query: forged, body: sealed.body });
    t.clock.advance(10 * 60_000);
    const replay = await post(sealed);
    t.clock.advance(-10 * 60_000);
    const notXml = await post(sealed, 'not xml at all');
    const noEncrypt = await post(sealed, '<xml><ToUserName>x</ToUserName></xml>');
    const foreign = await post({ query: otherCorpQuery, body: flatXml({ Encrypt: otherCorp }) });
    const noQuery = await request(t.appUrl).post('/api/wecom/callback').set('Content-Type', 'text/xml').send(sealed.body);
    const json = await request(t.appUrl).post(`/api/wecom/callback?${sealed.query}`).set('Content-Type', 'application/json').send('{}');

    expect([badSig.status, badSig.body.error.code]).toEqual([401, 'WECOM_CALLBACK_SIGNATURE_INVALID']);
    expect([replay.status, replay.body.error.code]).toEqual([400, 'WECOM_CALLBACK_STALE']);
    expect([notXml.status, notXml.body.error.code]).toEqual([400, 'WECOM_CALLBACK_MALFORMED']);
    expect([noEncrypt.status, noEncrypt.body.error.code]).toEqual([400, 'WECOM_CALLBACK_MALFORMED']);
    expect([foreign.status, foreign.body.error.code]).toEqual([400, 'WECOM_CALLBACK_MALFORMED']);
    expect([noQuery.status, noQuery.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect([json.status, json.body.error.code]).toEqual([400, 'WECOM_CALLBACK_MALFORMED']);
    expect(await total()).toBe(before);
  });

  it('ends in the newest state when a delete arrives before its add', async () => {
    const now = Math.floor(t.clock.now().getTime() / 1000);
    const base = { Event: 'change_external_contact', UserID: t.users.zhangsan, ExternalUserID: 'wmOutOfOrder' };

    await post(t.wecom.sealEvent({ ...base, ChangeType: 'del_external_contact', CreateTime: now }));
    await t.services.wecomOfficial.processEvents();
    await post(t.wecom.sealEvent({ ...base, ChangeType: 'add_external_contact', State: 'late', CreateTime: now - 60 }));
    await t.services.wecomOfficial.processEvents();

    expect(await relation('wmOutOfOrder')).toMatchObject({ status: 'deleted_by_staff', state: null });
    expect((await rowsOf('wmOutOfOrder')).map((r) => [r.change_type, r.outcome])).toEqual([['del_external_contact', 'deleted_by_staff'], ['add_external_contact', 'stale']]);
  });

  it('records a contact of an unknown staff member, and attributes it once the userid is mapped', async () => {
    t.wecom.addUser(t.users.newcomer);
    const added = await t.wecom.playAddContact({ userid: t.users.newcomer });
    await t.services.wecomOfficial.processEvents();
    expect((await rowsOf(added.externalUserId))[0].outcome).toBe('unknown_staff');
    expect(await relation(added.externalUserId)).toMatchObject({ staff_id: null, status: 'active' });

    const staff = await createStaff(t, 'consultant');
    await t.services.wecomOfficial.linkStaffUser(t.users.newcomer, staff.id);
    expect((await relation(added.externalUserId)).staff_id).toBe(staff.id);
  });

  it('notes tag-library and group events, and skips events it does not know', async () => {
    const tag = await post(t.wecom.sealEvent({ Event: 'change_external_tag', ChangeType: 'create', Id: 'etTag1', TagType: 'tag', ExternalUserID: 'wmTagEvent' }));
    const unknown = await post(t.wecom.sealEvent({ Event: 'something_new', ExternalUserID: 'wmUnknownEvent' }));
    await t.services.wecomOfficial.processEvents();
    expect([tag.status, unknown.status]).toEqual([200, 200]);
    expect((await rowsOf('wmTagEvent'))[0]).toMatchObject({ status: 'done', outcome: 'noted' });
    expect((await rowsOf('wmUnknownEvent'))[0]).toMatchObject({ status: 'skipped', outcome: 'unsupported_event' });
  });
});
