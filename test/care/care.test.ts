import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import { externalNo, recordOrder, seededProject } from '../helpers/orders';
import { clientAad } from '../../src/modules/clients';
import type { Client } from '../../src/modules/clients';
import type { Staff } from '../../src/modules/staff';
import { publicId } from '../../src/shared/crypto';
import { SYSTEM_ACTOR } from '../../src/modules/audit';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

let t: TestContext;
let doctor: Staff;
let consultant: Staff;
beforeAll(async () => {
  // 10:00 Shanghai: inside opening hours, outside quiet hours.
  t = await createTestContext({ now: '2026-11-02T02:00:00Z' });
  doctor = await createStaff(t, 'doctor', { displayName: '李' });
  consultant = await createStaff(t, 'consultant', { displayName: '小周' });
});
afterAll(() => t.close());

async function namedClient(name: string, gender: 'female' | 'male'): Promise<Client> {
  const pid = publicId();
  return createClient(t, { publicId: pid, gender, consultantId: consultant.id, nameEnc: t.services.cipher.encrypt(name, clientAad.client(pid, 'name')) });
}

async function steps(client: Client): Promise<{ step: string; due_at: Date; status: string }[]> {
  return t.deps.db.query('SELECT step, due_at, status FROM followup_steps WHERE client_id = ? ORDER BY due_at, step', [client.id]);
}

async function messages(client: Client): Promise<{ dedupe_key: string; payload: any; status: string }[]> {
  const rows: any[] = await t.deps.db.query("SELECT dedupe_key, payload_enc, status FROM outbox_messages WHERE client_id = ? AND kind = 'client_message' ORDER BY id", [client.id]);
  return rows.map((r) => ({ dedupe_key: r.dedupe_key, status: r.status, payload: t.services.outbox.openPayload(r.dedupe_key, r.payload_enc) }));
}

/** A client's staff tasks as staff see them (title and details are encrypted in the row). */
async function tasksOf(client: Client): Promise<Record<string, any>[]> {
  const rows: any[] = await t.deps.db.query('SELECT dedupe_key, kind, assignee_role, status FROM staff_tasks WHERE client_id = ? ORDER BY id', [client.id]);
  return Promise.all(rows.map(async (r) => {
    const view = await t.services.worklist.byDedupeKey(r.dedupe_key);
    return { kind: r.kind, assignee_role: r.assignee_role, status: r.status, title: view?.title, details: view?.details };
  }));
}

describe('follow-up plans', () => {
  it('schedules the surgery plan from the procedure time and moves the client to post-op', async () => {
    const client = await namedClient('王小美', 'female');
    const rhinoplasty = await seededProject(t, 'rhinoplasty');
    const paidAt = new Date(t.clock.now().getTime() - HOUR);
    await recordOrder(t, { client, doctor, paidAt, items: [{ projectId: rhinoplasty.id, amountFen: 2_800_000 }] });

    const planned = await steps(client);
    expect(planned.map((s) => [s.step, Math.round((s.due_at.getTime() - paidAt.getTime()) / DAY)])).toEqual([
      ['callback_48h', 2], ['checkin_48h', 2], ['survey_7d', 7], ['followup_30d', 30], ['effect_1m', 32], ['followup_90d', 90], ['effect_3m', 92], ['effect_6m', 182],
    ]);
    expect(planned.every((s) => s.status === 'scheduled')).toBe(true);
    const [{ stage }] = await t.deps.db.query('SELECT stage FROM clients WHERE id = ?', [client.id]);
    expect(stage).toBe('post_op');
  });

  it('turns due steps into a named message and a callback task, once, however often the scan runs', async () => {
    const client = await namedClient('王小美', 'female');
    const rhinoplasty = await seededProject(t, 'rhinoplasty');
    await recordOrder(t, { client, doctor, consultantId: consultant.publicId, items: [{ projectId: rhinoplasty.id, amountFen: 2_800_000 }] });

    const later = new Date(t.clock.now().getTime() + 48 * HOUR);
    await Promise.all([t.services.care.enqueueDue(later), t.services.care.enqueueDue(later)]);
    await t.services.care.enqueueDue(later);

    const sent = await messages(client);
    expect(sent).toHaveLength(1);
    expect(sent[0].payload.text).toMatch(/^王女士您好，我是您的专属顾问小周。隆鼻术后48小时/);
    expect(sent[0].payload.text).not.toContain('小美');
    const tasks = await tasksOf(client);
    expect(tasks).toEqual([expect.objectContaining({ kind: 'followup_callback', assignee_role: 'customer_service', status: 'open' })]);
    expect(tasks[0].title).toContain('李医生');
    const byStep = Object.fromEntries((await steps(client)).map((s) => [s.step, s.status]));
    expect(byStep).toMatchObject({ checkin_48h: 'enqueued', callback_48h: 'enqueued', survey_7d: 'scheduled' });
  });

  it('sends the 7-day survey as a card to the survey page', async () => {
    const client = await namedClient('赵先', 'male');
    const rhinoplasty = await seededProject(t, 'rhinoplasty');
    await recordOrder(t, { client, doctor, items: [{ projectId: rhinoplasty.id, amountFen: 2_800_000 }] });
    await t.services.care.enqueueDue(new Date(t.clock.now().getTime() + 7 * DAY));
    const survey = (await messages(client)).find((m) => m.payload.step === 'survey_7d');
    expect(survey?.payload).toMatchObject({ purpose: 'survey', card: { title: '满意度问卷', pagePath: expect.stringMatching(/^packageSurvey\/survey\/index\?id=/) } });
    expect(survey?.payload.text).toMatch(/^赵先生您好/);
  });

  it('times the repurchase reminder one month before the project\'s effect fades', async () => {
    const client = await namedClient('钱多多', 'female');
    const filler = await seededProject(t, 'hyaluronic_filler');
    const paidAt = new Date(t.clock.now().getTime() - HOUR);
    await recordOrder(t, { client, doctor, paidAt, items: [{ projectId: filler.id, amountFen: 480_000 }] });
    const repurchase = (await steps(client)).find((s) => s.step === 'repurchase');
    expect(repurchase && Math.round((repurchase.due_at.getTime() - paidAt.getTime()) / DAY)).toBe(180 - 30);
  });

  it('sends one check-in, survey and follow-up for an order of two surgeries, and effect tracking for each', async () => {
    const client = await namedClient('郑双', 'female');
    const [nose, eyes] = await Promise.all([seededProject(t, 'rhinoplasty'), seededProject(t, 'blepharoplasty')]);
    await recordOrder(t, { client, doctor, items: [{ projectId: eyes.id, amountFen: 1_280_000 }, { projectId: nose.id, amountFen: 2_800_000 }] });
    const planned = await t.deps.db.query('SELECT step, project_id FROM followup_steps WHERE client_id = ?', [client.id]);
    const count = (step: string) => planned.filter((p: { step: string }) => p.step === step).length;
    expect([count('checkin_48h'), count('callback_48h'), count('survey_7d'), count('followup_30d')]).toEqual([1, 1, 1, 1]);
    expect(count('effect_3m')).toBe(2);
    await t.services.care.enqueueDue(new Date(t.clock.now().getTime() + 48 * HOUR));
    // Named after the larger item.
    expect((await messages(client))[0].payload.text).toContain('隆鼻术后48小时');
  });

  it('shows a client\'s follow-ups to doctors and the director only (they name the procedures)', async () => {
    const client = await namedClient('冯看', 'female');
    const director = await createStaff(t, 'director');
    const service = await createStaff(t, 'customer_service');
    const asService = await t.http.get(`/api/staff/clients/${client.publicId}/followups`).set(bearer(await staffToken(t, service)));
    expect(asService.status).toBe(403);
    const asDirector = await t.http.get(`/api/staff/clients/${client.publicId}/followups`).set(bearer(await staffToken(t, director)));
    expect(asDirector.status).toBe(200);
    const [audit] = await t.deps.db.query("SELECT allowed FROM audit_log WHERE action = 'care.followups.view' AND client_id = ?", [client.id]);
    expect(audit).toBeDefined();
  });

  it('skips steps long past when an order is recorded late', async () => {
    const client = await namedClient('孙悟', 'male');
    const rhinoplasty = await seededProject(t, 'rhinoplasty');
    await recordOrder(t, { client, doctor, paidAt: new Date(t.clock.now().getTime() - 10 * DAY), items: [{ projectId: rhinoplasty.id, amountFen: 2_800_000 }] });
    expect((await steps(client)).map((s) => s.step)).not.toEqual(expect.arrayContaining(['checkin_48h']));
    expect((await steps(client)).map((s) => s.step)).toContain('followup_30d');
  });

  it('cancels pending steps and queued messages when the order is refunded in full, and keeps them on a partial refund', async () => {
    const client = await namedClient('周全', 'female');
    const rhinoplasty = await seededProject(t, 'rhinoplasty');
    const order = await recordOrder(t, { client, doctor, items: [{ projectId: rhinoplasty.id, amountFen: 2_800_000 }] });
    await t.services.care.enqueueDue(new Date(t.clock.now().getTime() + 48 * HOUR));

    await t.services.orders.refund(SYSTEM_ACTOR, order.id, { refundNo: externalNo('R'), amountFen: 800_000, reason: '部分退款' });
    expect((await steps(client)).filter((s) => s.status === 'cancelled')).toHaveLength(0);

    await t.services.orders.refund(SYSTEM_ACTOR, order.id, { refundNo: externalNo('R'), amountFen: 2_000_000, reason: '全部退款' });
    const after = await steps(client);
    expect(after.filter((s) => s.status === 'scheduled')).toHaveLength(0);
    expect(after.filter((s) => s.status === 'enqueued').map((s) => s.step).sort()).toEqual(['callback_48h', 'checkin_48h']);
    expect((await messages(client)).map((m) => m.status)).toEqual(['cancelled']);
    await t.services.care.enqueueDue(new Date(t.clock.now().getTime() + 200 * DAY));
    expect(await messages(client)).toHaveLength(1);
  });
});

describe('account deletion', () => {
  it('erases the follow-up steps, queued messages, staff tasks and tags that name the client\'s procedures', async () => {
    const client = await namedClient('褚删', 'female');
    const rhinoplasty = await seededProject(t, 'rhinoplasty');
    await recordOrder(t, { client, doctor, items: [{ projectId: rhinoplasty.id, amountFen: 2_800_000 }] });
    await t.services.care.enqueueDue(new Date(t.clock.now().getTime() + 48 * HOUR));
    expect(await messages(client)).toHaveLength(1);

    const res = await t.http.delete('/api/mp/me').set(bearer(await clientToken(t, client))).send({ confirm: true });
    expect(res.status).toBe(204);

    expect(await steps(client)).toEqual([]);
    const [msg] = await messages(client);
    expect(msg).toMatchObject({ status: 'cancelled', payload: { erased: true } });
    const tasks = await tasksOf(client);
    expect(tasks).toEqual([expect.objectContaining({ title: '（客户已注销）', details: null, status: 'cancelled' })]);
    expect(await t.deps.db.query('SELECT title_enc, details_enc, note_enc FROM staff_tasks WHERE client_id = ?', [client.id])).toEqual([{ title_enc: null, details_enc: null, note_enc: null }]);
    expect(await t.services.tags.tagsOf(client.id)).toEqual({});
  });
});

describe('follow-up templates', () => {
  it('lets the director edit a message; the edit shows in the next message sent', async () => {
    const director = await createStaff(t, 'director');
    const list = await t.http.get('/api/staff/care/templates').set(bearer(await staffToken(t, director)));
    expect(list.status).toBe(200);
    const step = list.body.items.find((s: any) => s.plan === 'light' && s.step === 'followup_30d');
    const res = await t.http.patch(`/api/staff/care/templates/${step.id}`).set(bearer(await staffToken(t, director))).send({ text: '{client}您好，{project}满一个月啦，{consultant}想听听您的反馈。' });
    expect(res.status).toBe(200);

    const client = await namedClient('吴美', 'female');
    const botox = await seededProject(t, 'botulinum');
    await recordOrder(t, { client, doctor, consultantId: consultant.publicId, items: [{ projectId: botox.id, amountFen: 298_000 }] });
    await t.services.care.enqueueDue(new Date(t.clock.now().getTime() + 30 * DAY));
    expect((await messages(client)).map((m) => m.payload.text)).toContain('吴女士您好，肉毒素除皱满一个月啦，小周想听听您的反馈。');
    // Put the default back for the other tests.
    await t.http.patch(`/api/staff/care/templates/${step.id}`).set(bearer(await staffToken(t, director))).send({ text: step.text });
  });

  it('refuses edits from roles that may not make them, and an offset on the repurchase step', async () => {
    const director = await createStaff(t, 'director');
    const list = await t.http.get('/api/staff/care/templates').set(bearer(await staffToken(t, director)));
    const repurchase = list.body.items.find((s: any) => s.step === 'repurchase');
    const asConsultant = await t.http.patch(`/api/staff/care/templates/${repurchase.id}`).set(bearer(await staffToken(t, consultant))).send({ active: false });
    expect(asConsultant.status).toBe(403);
    const offset = await t.http.patch(`/api/staff/care/templates/${repurchase.id}`).set(bearer(await staffToken(t, director))).send({ offsetMinutes: 60 });
    expect(offset.status).toBe(409);
    expect(offset.body.error).toMatchObject({ code: 'FOLLOWUP_OFFSET_FIXED', details: { field: 'body.offsetMinutes' } });
    const bad = await t.http.patch(`/api/staff/care/templates/${repurchase.id}`).set(bearer(await staffToken(t, director))).send({ text: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('body.text');
  });
});
