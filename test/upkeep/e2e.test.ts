import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createStaff } from '../helpers/factories';
import { drainedSince, eventually, startTestBot, TestBot } from '../helpers/bot';
import { recordOrder, seededProject } from '../helpers/orders';
import { startScheduler, SchedulerHandle } from '../../src/scheduler';
import { INDICATORS } from '../../src/modules/feedback';
import type { Client } from '../../src/modules/clients';
import type { Staff } from '../../src/modules/staff';

// End to end: an order's follow-ups reach the client's WeCom contact through real Wechaty on
// the mock puppet, in order, none in quiet hours, none twice, with two scheduler processes.
// The scheduler and the drain walk every due row, so this file has a database of its own.

const HOUR = 3600_000;
const DAY = 24 * HOUR;
// Paid at 22:30 Shanghai: the 48-hour, 7-day and 30-day steps all fall due at 22:30, inside quiet hours.
const PAID_AT = new Date('2026-03-10T14:30:00Z');

describe('relationship upkeep end to end (order → follow-ups in WeCom → survey → case → director alert)', () => {
  let t1: TestContext;
  let t2: TestContext;
  let s1: SchedulerHandle;
  let s2: SchedulerHandle;
  let b: TestBot;
  let client: Client;
  let contactId: string;
  let doctor: Staff;

  const setNow = (at: Date) => {
    t1.clock.set(at);
    t2.clock.set(at);
  };
  /** Both scheduler processes fire the task for the same tick, at once. */
  let ticks = 0;
  const tick = async (taskId: string) => {
    const key = `${t1.clock.now().toISOString()}:${ticks++}`;
    const [a, c] = await Promise.all([s1.runOnce(taskId, key), s2.runOnce(taskId, key)]);
    expect([a.ran, c.ran].filter(Boolean)).toHaveLength(1);
  };
  const received = () => (b.inbox.get(contactId) ?? []).filter((m) => m.type === 'text' || m.type === 'mini_program');
  /** Two drain passes of the bot ended after now: whatever was due has been sent. */
  const settle = () => drainedSince(b.handle);

  beforeAll(async () => {
    t1 = await createTestContext({ now: '2026-03-10T15:00:00Z', isolatedDatabase: true });
    t2 = await createTestContext({ now: '2026-03-10T15:00:00Z', shareDatabaseOf: t1 });
    s1 = await startScheduler(t1.deps, t1.services, { cron: false });
    s2 = await startScheduler(t2.deps, t2.services, { cron: false });
    const phone = '13912345678';
    doctor = await createStaff(t1, 'doctor', { displayName: '陈' });
    await createStaff(t1, 'director');
    client = await t1.services.clients.createClient({ openid: `o_upkeep_${Date.now()}`, phone, name: '王小美', gender: 'female' });
    b = await startTestBot(t1, {
      contacts: [{ name: '王小美', phone: [`+86 ${phone}`] }], drainIntervalMs: 50, drainer: { drain: (channel) => t1.services.delivery.drain(channel) },
    });
    contactId = b.sim.contacts[0].id;
    // Linked by the unambiguous phone match at login.
    await eventually(async () => expect(await t1.services.contacts.contactOfClient(client.id)).toBe(contactId));
  });
  afterAll(async () => {
    await b?.stop();
    await Promise.all([s1?.stop(), s2?.stop()]);
    await t2?.close();
    await t1?.close();
  });

  it('records the order: the plan is scheduled and the post-op stage tag lands on the contact', async () => {
    const rhinoplasty = await seededProject(t1, 'rhinoplasty');
    await recordOrder(t1, { client, doctor, paidAt: PAID_AT, items: [{ projectId: rhinoplasty.id, amountFen: 2_800_000 }] });
    await eventually(() => expect([...(b.puppet.contactTags.get(contactId) ?? [])]).toContain('客户阶段/术后恢复期'));
  });

  it('holds the 48-hour check-in due at 22:30 until 09:00, sends it once, and leaves the callback task for customer service', async () => {
    setNow(new Date(PAID_AT.getTime() + 48 * HOUR + 60_000));
    await tick('followup-due');
    await tick('followup-due');
    await settle();
    expect(received()).toEqual([]);

    setNow(new Date('2026-03-13T01:00:30Z')); // 09:00:30 Shanghai
    await eventually(() => expect(received()).toHaveLength(1));
    expect(received()[0].text).toMatch(/^王女士您好.*隆鼻术后48小时/);
    const tasks = await t1.deps.db.query("SELECT kind, assignee_role, status FROM staff_tasks WHERE client_id = ? AND kind = 'followup_callback'", [client.id]);
    expect(tasks).toEqual([{ kind: 'followup_callback', assignee_role: 'customer_service', status: 'open' }]);
  });

  it('sends the 7-day survey link, then the 30-day follow-up, in order and once each', async () => {
    setNow(new Date(PAID_AT.getTime() + 7 * DAY + 60_000));
    await tick('followup-due');
    await settle();
    expect(received()).toHaveLength(1);
    setNow(new Date('2026-03-18T01:00:30Z'));
    await eventually(() => expect(received().length).toBeGreaterThanOrEqual(2));

    setNow(new Date(PAID_AT.getTime() + 30 * DAY + 60_000));
    await tick('followup-due');
    setNow(new Date('2026-04-10T01:00:30Z'));
    await eventually(() => expect(received().some((m) => /术后一个月/.test(m.text ?? ''))).toBe(true));
    await tick('followup-due');
    await settle();

    const texts = received().map((m) => (m.type === 'mini_program' ? `card:${m.card?.pagePath}` : m.text ?? ''));
    const order = [texts.findIndex((x) => /48小时/.test(x)), texts.findIndex((x) => /满意度问卷/.test(x) || /^card:.*survey/.test(x)), texts.findIndex((x) => /术后一个月/.test(x))];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, c) => a - c)).toEqual(order);
    // Nothing twice.
    expect(new Set(texts).size).toBe(texts.length);
    const [{ n }] = await t1.deps.db.query("SELECT COUNT(*) AS n FROM outbox_messages WHERE client_id = ? AND kind = 'client_message' AND status = 'sent'", [client.id]);
    expect(Number(n)).toBe(3);
  });

  it('a low NPS answer opens a case, and the overdue case alerts the director once through the bot', async () => {
    const token = await clientToken(t1, client);
    const surveys = await t1.http.get('/api/mp/surveys').set(bearer(token));
    expect(surveys.status).toBe(200);
    const surveyId = surveys.body.items[0].id;
    const indicators = Object.fromEntries(INDICATORS.map((i) => [i, 2]));
    const answer = await t1.http.post(`/api/mp/surveys/${surveyId}/answers`).set(bearer(token)).send({ indicators, nps: 3, comment: '肿得比预期久' });
    expect(answer.status).toBe(200);
    const [kase] = await t1.deps.db.query('SELECT status, deadline_at FROM feedback_cases WHERE client_id = ?', [client.id]);
    expect(kase.status).toBe('open');

    setNow(new Date(new Date(kase.deadline_at).getTime() + HOUR));
    await tick('case-sla');
    await tick('case-sla');
    const staffRoom = b.sim.staffRoom.id;
    await eventually(() => expect((b.inbox.get(staffRoom) ?? []).filter((m) => m.text?.includes('超时'))).toHaveLength(1));
    await settle();
    expect((b.inbox.get(staffRoom) ?? []).filter((m) => m.text?.includes('超时'))).toHaveLength(1);
  });
});
