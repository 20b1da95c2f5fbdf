import { createWeComTestContext, WeComTestContext } from '../helpers/wecom';
import { bearer, createClient, createStaff, staffToken } from '../helpers/factories';
import { runInTransaction } from '../../src/shared/db';
import type { Staff } from '../../src/modules/staff/staff.entity';

// 11:00 in Shanghai on a Wednesday: outside quiet hours.
const START = '2027-03-10T03:00:00.000Z';

/**
 * Issue 14's "done when", end to end through the WeCom stand-in over HTTP: a client adds a
 * consultant through a channel code, shows up through the staff API with its channel, got the
 * welcome card, is tagged through mark_tag, and a follow-up reaches them as a send task the
 * consultant confirms (its result read back → delivered).
 */
describe('WeCom official API, done when', () => {
  let t: WeComTestContext;
  let consultant: Staff;
  let consultantToken: string;
  let directorToken: string;

  beforeAll(async () => {
    // A database of its own: the delivery drain takes every due message.
    t = await createWeComTestContext({ now: START, isolatedDatabase: true, env: { WECOM_MODE: 'official', QUIET_HOURS: 'off', WECOM_SEND_TASK_CHECK_MINUTES: '10' } });
    consultant = await createStaff(t, 'consultant');
    consultantToken = await staffToken(t, consultant);
    directorToken = await staffToken(t, await createStaff(t, 'director'));
  });
  afterAll(async () => { await t.close(); });

  it('a client added through a channel code is seen with its channel, welcomed, tagged, and reached by a confirmed follow-up', async () => {
    // The director maps the consultant's WeCom userid and makes a channel code for them.
    const mapped = await t.http.put(`/api/staff/wecom/staff-users/${t.users.zhangsan}`).set(bearer(directorToken)).send({ staffId: consultant.publicId });
    expect(mapped.status).toBe(200);
    const code = await t.http.post('/api/staff/wecom/contact-ways').set(bearer(directorToken))
      .send({ label: '小红书三月投放', channel: 'xiaohongshu', campaign: '2027-03', staffIds: [consultant.publicId] });
    expect(code.status).toBe(201);

    // The client scans it: the stand-in plays the add and posts the encrypted callback to the app.
    const client = await createClient(t, { unionid: `union_done_${Date.now()}`, consultantId: consultant.id });
    const configId = [...t.wecom.contactWays.values()].find((w) => w.state === code.body.state)!.configId;
    const added = await t.wecom.playAddContact({ configId, unionid: client.unionid });
    expect(added.callbackStatus).toBe(200);
    await t.services.wecomOfficial.processEvents();

    // Through the staff API: the code counts the add and the binding; the sidebar finds the client.
    const codes = await t.http.get('/api/staff/wecom/contact-ways').set(bearer(consultantToken));
    expect(codes.body.items.find((w: { id: string }) => w.id === code.body.id)).toMatchObject({
      channel: 'xiaohongshu', campaign: '2027-03', counts: expect.objectContaining({ adds: 1, bindings: 1 }),
    });
    const sidebar = await t.http.get(`/api/staff/wecom/contacts/${added.externalUserId}/client`).set(bearer(consultantToken));
    expect([sidebar.status, sidebar.body]).toEqual([200, { clientId: client.publicId }]);
    const [relation] = await t.deps.db.query('SELECT channel, welcome FROM wecom_external_contacts WHERE external_userid = ?', [added.externalUserId]);
    expect(relation).toEqual({ channel: 'xiaohongshu', welcome: 'sent' });

    // The welcome card with the questionnaire reached them.
    expect(t.wecom.welcomes.filter((w) => w.externalUserId === added.externalUserId)).toEqual([expect.objectContaining({
      miniprogram: expect.objectContaining({ appid: t.config.wechat.appId, page: t.config.wecom.welcomeCardPage }),
    })]);

    // Tagged through mark_tag.
    const marks = t.wecom.count('mark_tag');
    await runInTransaction(t.deps.db, (m) => t.services.tags.setDimensions(m, client.id, { project: ['鼻部'], stage: ['意向'] }, 'test'));
    await t.services.delivery.drain(null);
    expect(t.wecom.count('mark_tag')).toBeGreaterThan(marks);
    expect(t.wecom.tagsOf(added.externalUserId, t.users.zhangsan).sort()).toEqual(['意向', '鼻部'].sort());

    // A follow-up goes out as a send task; the consultant confirms it in WeCom; its result is read back.
    const key = `done-when:${Date.now()}`;
    await runInTransaction(t.deps.db, (m) => t.services.outbox.enqueue(m, { kind: 'client_message', dedupeKey: key, clientId: client.id, payload: { text: '术后7天回访：恢复得怎么样？', purpose: 'followup' } }));
    await t.services.delivery.drain(null);
    const [task] = [...t.wecom.sendTasks.values()].filter((s) => s.recipients.has(added.externalUserId));
    expect(task).toMatchObject({ sender: t.users.zhangsan, text: '术后7天回访：恢复得怎么样？' });
    const [item] = await t.deps.db.query('SELECT i.status FROM wecom_send_task_items i JOIN outbox_messages o ON o.id = i.outbox_id WHERE o.dedupe_key = ?', [key]);
    expect(item.status).not.toBe('sent');

    t.wecom.confirmSendTasks({ msgid: task.msgid });
    t.clock.advance(11 * 60_000);
    await t.services.wecomOfficial.sendTasks.check();

    expect(task.recipients.get(added.externalUserId)!.status).toBe(1);
    const [delivered] = await t.deps.db.query(
      'SELECT o.status, o.channel, i.status AS item FROM outbox_messages o JOIN wecom_send_task_items i ON i.outbox_id = o.id WHERE o.dedupe_key = ?', [key],
    );
    expect(delivered).toEqual({ status: 'sent', channel: 'wecom_task', item: 'sent' });
  });
});
