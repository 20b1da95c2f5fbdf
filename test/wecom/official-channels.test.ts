import { createWeComTestContext, WeComTestContext } from '../helpers/wecom';
import { createClient, createStaff } from '../helpers/factories';
import { runInTransaction } from '../../src/shared/db';
import type { Staff } from '../../src/modules/staff/staff.entity';
import type { Client } from '../../src/modules/clients/clients.entity';

// 11:00 in Shanghai on a Wednesday; quiet hours off so the month-end cases can run at midnight.
const START = '2027-03-10T03:00:00.000Z';

describe('the official API as a delivery channel: corporate tags and send tasks', () => {
  let t: WeComTestContext;
  let consultant: Staff;
  let seq = 0;

  beforeAll(async () => {
    // A database of its own: its drains take every due message, other files' included.
    t = await createWeComTestContext({ now: START, isolatedDatabase: true, env: { WECOM_MODE: 'official', QUIET_HOURS: 'off', WECOM_SEND_TASK_HOURS: '24', WECOM_SEND_TASK_CHECK_MINUTES: '10' } });
    consultant = await createStaff(t, 'consultant');
    await t.services.wecomOfficial.linkStaffUser(t.users.zhangsan, consultant.id);
  });
  afterAll(async () => { await t.close(); });

  /** A client who added the consultant in WeCom and is linked by unionid. */
  async function addedClient(): Promise<{ client: Client; ext: string }> {
    const client = await createClient(t, { unionid: `union_${Date.now()}_${++seq}`, consultantId: consultant.id });
    const added = await t.wecom.playAddContact({ userid: t.users.zhangsan, unionid: client.unionid });
    await t.services.wecomOfficial.processEvents();
    return { client, ext: added.externalUserId };
  }
  const setTags = (clientId: number, sets: Record<string, string[]>) =>
    runInTransaction(t.deps.db, (m) => t.services.tags.setDimensions(m, clientId, sets, 'test'));
  const drain = () => t.services.delivery.drain(null);
  let messageSeq = 0;
  async function message(clientId: number, text: string, extra: Record<string, unknown> = {}): Promise<string> {
    const key = `test:${++messageSeq}:${Date.now()}`;
    await runInTransaction(t.deps.db, (m) => t.services.outbox.enqueue(m, { kind: 'client_message', dedupeKey: key, clientId, payload: { text, purpose: 'followup', ...extra } }));
    return String((await t.deps.db.query('SELECT id FROM outbox_messages WHERE dedupe_key = ?', [key]))[0].id);
  }
  const outboxRow = async (id: string) => (await t.deps.db.query('SELECT status, channel, sent_to FROM outbox_messages WHERE id = ?', [id]))[0];
  const tasksFor = (ext: string) => [...t.wecom.sendTasks.values()].filter((s) => s.recipients.has(ext));

  describe('corporate tags', () => {
    it('creates the tag groups, tags every relation through mark_tag, and later applies only the difference', async () => {
      const { client, ext } = await addedClient();

      await setTags(client.id, { project: ['眼部'], stage: ['意向'] });
      await drain();

      expect(t.wecom.tagsOf(ext, t.users.zhangsan).sort()).toEqual(['意向', '眼部'].sort());
      expect([...t.wecom.corpTags.values()].map((g) => g.name).sort()).toEqual(['客户阶段', '意向项目'].sort());
      const marks = t.wecom.count('mark_tag');

      await setTags(client.id, { stage: ['咨询期'] });
      await drain();
      expect(t.wecom.tagsOf(ext, t.users.zhangsan).sort()).toEqual(['咨询期', '眼部'].sort());
      expect(t.wecom.count('mark_tag')).toBe(marks + 1);

      // The same set again: nothing to send.
      await t.services.wecomOfficial.corpTags.sync(client.id, await t.services.tags.tagsOf(client.id) as Record<string, string[]>);
      expect(t.wecom.count('mark_tag')).toBe(marks + 1);
    });

    it('takes back the projects a consultant changes in WeCom, and puts back a computed stage they remove', async () => {
      const { client, ext } = await addedClient();
      await setTags(client.id, { project: ['眼部'], stage: ['意向'] });
      await drain();
      await t.services.wecom.addCorpTags({ groupName: '意向项目', tags: ['鼻部'] });

      await t.wecom.playEditTags({ externalUserId: ext, userid: t.users.zhangsan, add: ['鼻部'] });
      await t.services.wecomOfficial.processEvents();
      expect((await t.services.tags.tagsOf(client.id)).project).toEqual(['眼部', '鼻部'].sort());

      await t.wecom.playEditTags({ externalUserId: ext, userid: t.users.zhangsan, remove: ['意向'] });
      await t.services.wecomOfficial.processEvents();
      expect((await t.services.tags.tagsOf(client.id)).stage).toEqual(['意向']);
      await drain();
      expect(t.wecom.tagsOf(ext, t.users.zhangsan)).toContain('意向');
    });

    it('reads the tag library again when WeCom says it changed', async () => {
      const { client, ext } = await addedClient();
      await setTags(client.id, { value_tier: ['高净值'] });
      await drain();
      // An admin deletes the group in WeCom and makes it again: new ids.
      for (const [id, g] of t.wecom.corpTags) if (g.name === '价值分层') t.wecom.corpTags.delete(id);
      await t.wecom.sendEvent({ Event: 'change_external_tag', Id: 'x', TagType: 'tag_group', ChangeType: 'delete' });
      await t.services.wecomOfficial.processEvents();

      await setTags(client.id, { value_tier: ['普通'] });
      await drain();

      expect(t.wecom.tagsOf(ext, t.users.zhangsan)).toContain('普通');
    });
  });

  describe('send tasks', () => {
    it('hands follow-ups to one send task per consultant and content, tells the consultant, and records what was sent', async () => {
      const [a, b] = [await addedClient(), await addedClient()];
      const notices = t.wecom.appMessages.length;

      const [ida, idb] = [await message(a.client.id, '术后7天回访：恢复得怎么样？'), await message(b.client.id, '术后7天回访：恢复得怎么样？')];
      await drain();

      const tasks = tasksFor(a.ext);
      expect(tasks).toHaveLength(1);
      expect([...tasks[0].recipients.keys()].sort()).toEqual([a.ext, b.ext].sort());
      expect(tasks[0]).toMatchObject({ sender: t.users.zhangsan, text: '术后7天回访：恢复得怎么样？' });
      expect(await outboxRow(ida)).toMatchObject({ status: 'sent', channel: 'wecom_task' });
      expect(t.wecom.appMessages.slice(notices)).toEqual([expect.objectContaining({ touser: [t.users.zhangsan], title: '有客户消息待您确认发送' })]);

      t.wecom.confirmSendTasks({ msgid: tasks[0].msgid });
      t.clock.advance(11 * 60_000);
      expect(await t.services.wecomOfficial.sendTasks.check()).toBe(2);
      const items = await t.deps.db.query('SELECT status FROM wecom_send_task_items WHERE outbox_id IN (?, ?)', [ida, idb]);
      expect(items.map((i: { status: string }) => i.status)).toEqual(['sent', 'sent']);
      // Past the deadline nothing comes back.
      t.clock.advance(25 * 3600_000);
      await t.services.wecomOfficial.sendTasks.check();
      expect(await outboxRow(ida)).toMatchObject({ status: 'sent', channel: 'wecom_task' });
    });

    it('cancels a task not confirmed by the deadline and gives its message to the next channel exactly once', async () => {
      const { client, ext } = await addedClient();
      const id = await message(client.id, '30天随访：请上传恢复照片');
      await drain();
      const [task] = tasksFor(ext);

      t.clock.advance(24 * 3600_000 + 1000);
      await t.services.wecomOfficial.sendTasks.check();
      await t.services.wecomOfficial.sendTasks.check();
      expect(await t.services.delivery.fallBack([id], 'again')).toBe(0);
      await drain();

      expect(t.wecom.sendTasks.get(task.msgid)!.cancelled).toBe(true);
      expect(await outboxRow(id)).toMatchObject({ status: 'sent', channel: 'staff_task' });
      const staffTasks = await t.deps.db.query("SELECT kind FROM staff_tasks WHERE dedupe_key = ?", [`outbox:${id}`]);
      expect(staffTasks).toEqual([{ kind: 'deliver_manually' }]);
      expect(tasksFor(ext)).toHaveLength(1);
      // Confirming the cancelled task in WeCom afterwards sends nothing.
      t.wecom.confirmSendTasks({ msgid: task.msgid });
      expect(t.wecom.sendTasks.get(task.msgid)!.recipients.get(ext)!.status).toBe(0);
    });

    it('falls back at once when the client has had as many send tasks this month as the month has days (February: 28)', async () => {
      const { client, ext } = await addedClient();
      const feb = '2027-02-28T15:59:59.000Z'; // 23:59:59 on 28 February in Shanghai
      for (let i = 1; i <= 28; i++) {
        await t.deps.db.query(
          "INSERT INTO wecom_send_task_items (outbox_id, task_id, client_id, external_userid, status, created_at) VALUES (?, 0, ?, ?, 'sent', ?)",
          [900000000 + client.id * 100 + i, client.id, ext, new Date(feb)],
        );
      }
      const saved = t.clock.now();

      t.clock.set(feb);
      const over = await message(client.id, '二月的第29条');
      await drain();
      t.clock.set('2027-02-28T16:00:00.000Z'); // 00:00 on 1 March in Shanghai: a new month
      const fresh = await message(client.id, '三月的第1条');
      await drain();
      t.clock.set(saved);

      expect(await outboxRow(over)).toMatchObject({ status: 'sent', channel: 'staff_task' });
      expect(await outboxRow(fresh)).toMatchObject({ status: 'sent', channel: 'wecom_task' });
    });
  });

  describe('faults', () => {
    it('backs off when WeCom answers 45009 and creates the task once', async () => {
      const { client, ext } = await addedClient();
      const calls = t.wecom.count('add_msg_template');
      t.wecom.failNext('add_msg_template', 45009, 2);

      const id = await message(client.id, '7天随访（限流时）');
      await drain();

      expect(t.wecom.count('add_msg_template')).toBe(calls + 3);
      expect(tasksFor(ext)).toHaveLength(1);
      expect(await outboxRow(id)).toMatchObject({ status: 'sent', channel: 'wecom_task' });
    });

    it('after a timeout finds the task WeCom did create in the consultant’s list instead of creating it again', async () => {
      const { client, ext } = await addedClient();
      t.wecom.delayNext('add_msg_template', 1500);

      const id = await message(client.id, '90天随访（超时时）');
      await drain();
      expect(await outboxRow(id)).toMatchObject({ status: 'pending' });
      // WeCom finishes the slow call after our timeout.
      for (const deadline = Date.now() + 5000; !tasksFor(ext).length && Date.now() < deadline;) await new Promise((r) => setImmediate(r));
      expect(tasksFor(ext)).toHaveLength(1);

      t.clock.advance(10 * 60_000);
      await drain();

      expect(tasksFor(ext)).toHaveLength(1);
      expect(await outboxRow(id)).toMatchObject({ status: 'sent', channel: 'wecom_task' });
      expect((await t.deps.db.query('SELECT t.msgid FROM wecom_send_task_items i JOIN wecom_send_tasks t ON t.id = i.task_id WHERE i.outbox_id = ?', [id]))[0].msgid)
        .toBe(tasksFor(ext)[0].msgid);
    });

    it('refreshes an access token that expired mid-batch once, and sends the batch', async () => {
      const [a, b] = [await addedClient(), await addedClient()];
      await message(a.client.id, '批次消息一');
      await message(b.client.id, '批次消息二');
      const tokens = t.wecom.count('gettoken');
      t.wecom.invalidateAccessTokens();

      await drain();

      expect(t.wecom.count('gettoken')).toBe(tokens + 2); // the contact secret's token and the app's (the consultant's notice)
      expect(tasksFor(a.ext)).toHaveLength(1);
      expect(tasksFor(b.ext)).toHaveLength(1);
    });
  });
});
