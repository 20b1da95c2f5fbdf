import request from 'supertest';
import { createWeComTestContext, WeComTestContext } from '../helpers/wecom';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import type { Staff } from '../../src/modules/staff/staff.entity';

describe('contact-me codes and a client adding a consultant', () => {
  let t: WeComTestContext;
  let consultant: Staff;
  let consultantToken: string;
  let directorToken: string;
  const relation = async (ext: string) => (await t.deps.db.query('SELECT * FROM wecom_external_contacts WHERE external_userid = ?', [ext]))[0];
  const outcomeOf = async (ext: string) => (await t.deps.db.query(
    "SELECT outcome FROM wecom_callback_events WHERE JSON_UNQUOTE(JSON_EXTRACT(fields, '$.ExternalUserID')) = ?", [ext],
  ))[0]?.outcome;

  beforeAll(async () => {
    t = await createWeComTestContext();
    consultant = await createStaff(t, 'consultant');
    consultantToken = await staffToken(t, consultant);
    directorToken = await staffToken(t, await createStaff(t, 'director'));
    const mapped = await t.http.put(`/api/staff/wecom/staff-users/${t.users.zhangsan}`).set(bearer(directorToken)).send({ staffId: consultant.publicId });
    expect(mapped.status).toBe(200);
  });
  afterAll(async () => { await t.close(); });

  it('creates a channel code at WeCom whose state the product keeps, and refuses staff without a WeCom userid', async () => {
    const other = await createStaff(t, 'consultant');

    const res = await t.http.post('/api/staff/wecom/contact-ways').set(bearer(directorToken))
      .send({ label: '小红书三月投放', channel: 'xiaohongshu', campaign: '2027-03', staffIds: [consultant.publicId] });
    const refused = await t.http.post('/api/staff/wecom/contact-ways').set(bearer(directorToken))
      .send({ label: 'x', channel: 'douyin', staffIds: [consultant.publicId, other.publicId] });

    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'channel', channel: 'xiaohongshu', userids: [t.users.zhangsan], qrCode: expect.stringMatching(/^https?:\/\//) });
    expect(res.body.state.length).toBeLessThanOrEqual(30);
    expect([...t.wecom.contactWays.values()].find((w) => w.state === res.body.state)).toMatchObject({ users: [t.users.zhangsan] });
    expect([refused.status, refused.body.error.details[0].field]).toEqual([400, 'body.staffIds.1']);
  });

  it('records the channel, sends the welcome card, links the client by unionid and counts it on the code', async () => {
    const client = await createClient(t, { unionid: `union_${Date.now()}`, consultantId: consultant.id });
    const code = (await t.http.post('/api/staff/wecom/contact-ways').set(bearer(consultantToken))
      .send({ label: '抖音直播', channel: 'douyin', staffIds: [consultant.publicId] })).body;

    const added = await t.wecom.playAddContact({ configId: [...t.wecom.contactWays.values()].find((w) => w.state === code.state)!.configId, unionid: client.unionid });
    await t.services.wecomOfficial.processEvents();

    expect(await relation(added.externalUserId)).toMatchObject({ channel: 'douyin', state: code.state, welcome: 'sent', client_id: client.id, linked_by: 'unionid', staff_id: consultant.id });
    expect(await outcomeOf(added.externalUserId)).toBe('linked');
    expect(t.wecom.welcomes.find((w) => w.externalUserId === added.externalUserId)).toMatchObject({
      text: t.config.wecom.welcomeText,
      miniprogram: { appid: t.config.wechat.appId, page: t.config.wecom.welcomeCardPage, title: t.config.wecom.welcomeCardTitle },
    });
    const list = await t.http.get('/api/staff/wecom/contact-ways').set(bearer(consultantToken));
    expect(list.body.items.find((w: { id: string }) => w.id === code.id).counts).toEqual({ adds: 1, bindings: 1, questionnaires: 0, plans: 0, paidOrders: 0 });
    const sidebar = await t.http.get(`/api/staff/wecom/contacts/${added.externalUserId}/client`).set(bearer(consultantToken));
    expect(sidebar.body).toEqual({ clientId: client.publicId });
  });

  it('hands out the code\'s QR image as WeCom made it (PNG), to staff who may manage codes only', async () => {
    const code = (await t.http.post('/api/staff/wecom/contact-ways').set(bearer(directorToken))
      .send({ label: '门店海报', channel: 'offline_event', staffIds: [consultant.publicId] })).body;
    const doctorToken = await staffToken(t, await createStaff(t, 'doctor'));

    const res = await t.http.get(`/api/staff/wecom/contact-ways/${code.id}/qr`).set(bearer(consultantToken)).buffer(true);
    const refused = await t.http.get(`/api/staff/wecom/contact-ways/${code.id}/qr`).set(bearer(doctorToken));
    const unknown = await t.http.get('/api/staff/wecom/contact-ways/AAAAAAAAAAAAAAAAAAAAAA/qr').set(bearer(consultantToken));

    expect([res.status, res.type]).toEqual([200, 'image/png']);
    expect(res.headers['content-disposition']).toMatch(/^inline; filename="contact-way-/);
    expect((res.body as Buffer).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect([refused.status, unknown.status]).toEqual([403, 404]);
  });

  it('records a state that does not exist without a channel, and still welcomes the client', async () => {
    const added = await t.wecom.playAddContact({ userid: t.users.zhangsan, state: 'ch_nosuchstate' });
    await t.services.wecomOfficial.processEvents();
    expect(await outcomeOf(added.externalUserId)).toBe('unknown_state');
    expect(await relation(added.externalUserId)).toMatchObject({ channel: null, state: 'ch_nosuchstate', welcome: 'sent', client_id: null });
  });

  it('does not try a welcome code past its 20 seconds, and takes WeCom’s refusal of a used one as expired', async () => {
    const late = await t.wecom.playAddContact({ userid: t.users.zhangsan, deliver: false });
    t.clock.advance(21_000);
    const posted = await request(t.appUrl).post(`/api/wecom/callback?${late.sealed!.query}`).set('Content-Type', 'text/xml').send(late.sealed!.body);
    await t.services.wecomOfficial.processEvents();
    t.clock.advance(-21_000);
    t.wecom.failNext('send_welcome_msg', 41096);
    const refused = await t.wecom.playAddContact({ userid: t.users.zhangsan });
    await t.services.wecomOfficial.processEvents();

    expect(posted.status).toBe(200);
    expect((await relation(late.externalUserId)).welcome).toBe('expired');
    expect((await relation(refused.externalUserId)).welcome).toBe('expired');
    expect(t.wecom.welcomes.filter((w) => [late.externalUserId, refused.externalUserId].includes(w.externalUserId))).toEqual([]);
  });

  it('gives the mini-program a one-tap code for the own consultant that links the contact and is deleted after use', async () => {
    const client = await createClient(t, { consultantId: consultant.id });
    const token = await clientToken(t, client);

    const first = await t.http.get('/api/mp/wecom/contact-way').set(bearer(token));
    const again = await t.http.get('/api/mp/wecom/contact-way').set(bearer(token));
    const added = await t.wecom.playAddContact({ configId: first.body.configId });
    await t.services.wecomOfficial.processEvents();

    expect(first.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await relation(added.externalUserId)).toMatchObject({ client_id: client.id, linked_by: 'client_code', channel: 'mini_program' });
    expect(t.wecom.contactWays.get(first.body.configId)!.deleted).toBe(true);
    const [row] = await t.deps.db.query('SELECT used_at, deleted_at FROM wecom_contact_ways WHERE config_id = ?', [first.body.configId]);
    expect(row.used_at).not.toBeNull();
    expect(row.deleted_at).not.toBeNull();
  });

  it('answers 409 when the client has no consultant on WeCom (the typed binding code stays the fallback)', async () => {
    const client = await createClient(t);
    const res = await t.http.get('/api/mp/wecom/contact-way').set(bearer(await clientToken(t, client)));
    expect([res.status, res.body.error.code]).toEqual([409, 'WECOM_NO_CONSULTANT']);
  });

  it('deletes one-tap codes left unused for a week, at WeCom too', async () => {
    const client = await createClient(t, { consultantId: consultant.id });
    const code = (await t.http.get('/api/mp/wecom/contact-way').set(bearer(await clientToken(t, client)))).body;

    const early = await t.services.wecomOfficial.contactWays.purgeUnusedClientCodes(t.clock.now());
    const purged = await t.services.wecomOfficial.contactWays.purgeUnusedClientCodes(new Date(t.clock.now().getTime() + 8 * 86400_000));

    expect(early).toBe(0);
    expect(purged).toBeGreaterThanOrEqual(1);
    expect(t.wecom.contactWays.get(code.configId)!.deleted).toBe(true);
  });

  it('unlinks the contacts and the one-tap code when the client deletes the account, and exports the link before', async () => {
    const client = await createClient(t, { consultantId: consultant.id });
    const code = (await t.http.get('/api/mp/wecom/contact-way').set(bearer(await clientToken(t, client)))).body;
    const added = await t.wecom.playAddContact({ configId: code.configId });
    await t.services.wecomOfficial.processEvents();
    const actor = { type: 'client' as const, id: client.id, role: 'client', ip: null, requestId: null };
    const exported = await t.deps.db.transaction((m) => t.services.wecomOfficial.clientDataHooks.exportSections(m, client.id));

    await t.services.clients.deleteOwnAccount(client.id, actor);

    expect(exported).toEqual({ wecomOfficial: { contacts: [expect.objectContaining({ channel: 'mini_program', status: 'active' })] } });
    expect(await relation(added.externalUserId)).toMatchObject({ client_id: null, linked_by: null });
    const [way] = await t.deps.db.query('SELECT client_id FROM wecom_contact_ways WHERE config_id = ?', [code.configId]);
    expect(way.client_id).toBeNull();
  });
});
