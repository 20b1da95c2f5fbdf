import { randomBytes, randomUUID } from 'node:crypto';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import { createProject, externalNo, recordOrder, recordTreatment, seededProject } from '../helpers/orders';
import { SYSTEM_ACTOR } from '../../src/modules/audit';
import type { Client } from '../../src/modules/clients';
import type { Staff } from '../../src/modules/staff';
import { Treatments1795580000000 } from '../../migrations/1795580000000-Treatments';
import { reencryptAll } from '../../src/cli/reencrypt';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
// 10:00 Shanghai: inside opening hours, outside quiet hours.
const START = new Date('2026-11-02T02:00:00Z');

// The migration test takes the treatments table down and up again: a database of its own.
let t: TestContext;
let doctor: Staff;
let doctorAuth: Record<string, string>;
beforeAll(async () => {
  t = await createTestContext({ now: START.toISOString(), isolatedDatabase: true });
  doctor = await createStaff(t, 'doctor', { displayName: '李' });
  doctorAuth = bearer(await staffToken(t, doctor));
});
afterAll(() => t.close());
beforeEach(() => t.clock.set(START));

async function steps(client: Client): Promise<{ step: string; due_at: Date; status: string; treatment_id: number }[]> {
  return t.deps.db.query('SELECT step, due_at, status, treatment_id FROM followup_steps WHERE client_id = ? ORDER BY due_at, step', [client.id]);
}

async function outgoing(client: Client): Promise<{ dedupe_key: string }[]> {
  return t.deps.db.query("SELECT dedupe_key FROM outbox_messages WHERE client_id = ? AND kind = 'client_message' ORDER BY id", [client.id]);
}

/** A paid order of one surgery with no treatment yet (a deposit before the procedure). */
async function deposit(client: Client, code = 'rhinoplasty', paidAt = new Date(t.clock.now().getTime() - HOUR)) {
  const project = await seededProject(t, code);
  const order = await recordOrder(t, { client, doctor, paidAt, treated: false, items: [{ projectId: project.id, amountFen: 2_800_000 }] });
  return { order, project };
}

describe('treatments start the follow-up plan', () => {
  it('times the 48-hour step from a treatment two weeks after the payment, not from the payment', async () => {
    // Arrange: the client pays a deposit; nothing is scheduled by the payment alone.
    const client = await createClient(t);
    const paidAt = new Date(START.getTime() - HOUR);
    const { order, project } = await deposit(client, 'rhinoplasty', paidAt);
    expect(await steps(client)).toEqual([]);

    // Act: two weeks later the doctor records the operation.
    t.clock.set(new Date(START.getTime() + 14 * DAY));
    const performedAt = new Date(t.clock.now().getTime() - HOUR);
    const res = await t.http.post('/api/staff/treatments').set(doctorAuth)
      .send({ requestId: randomUUID(), order: order.id, project: project.id, performedAt: performedAt.toISOString(), notes: '鼻背假体 I 型，术中顺利' });

    // Assert
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ replayed: false, treatment: { order: order.id, project: { id: project.id }, doctor: { id: doctor.publicId }, sessionNo: 1, status: 'done', notes: '鼻背假体 I 型，术中顺利' } });
    const planned = await steps(client);
    const callback = planned.find((s) => s.step === 'callback_48h')!;
    expect(callback.due_at.getTime() - performedAt.getTime()).toBe(48 * HOUR);
    expect(planned.every((s) => s.due_at.getTime() > performedAt.getTime())).toBe(true);
    // 48 hours after the payment falls before the treatment: nothing goes out then.
    await t.services.care.enqueueDue(new Date(paidAt.getTime() + 48 * HOUR));
    expect(await outgoing(client)).toHaveLength(0);
    await t.services.care.enqueueDue(new Date(performedAt.getTime() + 47 * HOUR));
    expect(await outgoing(client)).toHaveLength(0);
    await t.services.care.enqueueDue(new Date(performedAt.getTime() + 48 * HOUR));
    expect(await outgoing(client)).toHaveLength(1);
    // Clinical notes are health data: encrypted at rest.
    const [row] = await t.deps.db.query('SELECT notes_enc FROM treatments WHERE public_id = ?', [res.body.treatment.id]);
    expect(Buffer.from(row.notes_enc).toString('utf8')).not.toContain('假体');
  });

  it('records a double-clicked treatment once, with one plan', async () => {
    const client = await createClient(t);
    const { order, project } = await deposit(client);
    const body = { requestId: randomUUID(), order: order.id, project: project.id, performedAt: new Date(START.getTime() - 10 * 60_000).toISOString() };

    const [a, b] = await Promise.all([1, 2].map(() => t.http.post('/api/staff/treatments').set(doctorAuth).send(body)));

    expect([a.status, b.status]).toEqual([201, 201]);
    expect([a.body.replayed, b.body.replayed].sort()).toEqual([false, true]);
    expect(a.body.treatment.id).toBe(b.body.treatment.id);
    const [{ n }] = await t.deps.db.query('SELECT COUNT(*) AS n FROM treatments WHERE client_id = ?', [client.id]);
    expect(Number(n)).toBe(1);
    expect(new Set((await steps(client)).map((s) => s.step)).size).toBe((await steps(client)).length);
  });

  it('refuses a treatment on a refunded order, and writes nothing', async () => {
    const client = await createClient(t);
    const { order, project } = await deposit(client);
    await t.services.orders.refund(SYSTEM_ACTOR, order.id, { refundNo: externalNo('R'), amountFen: 2_800_000, reason: '客户取消手术' });

    const res = await t.http.post('/api/staff/treatments').set(doctorAuth)
      .send({ requestId: randomUUID(), order: order.id, project: project.id, performedAt: START.toISOString() });

    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'TREATMENT_ORDER_REFUNDED', details: [expect.objectContaining({ field: 'body.order' })] });
    expect(await t.deps.db.query('SELECT id FROM treatments WHERE client_id = ?', [client.id])).toHaveLength(0);
    expect(await steps(client)).toHaveLength(0);
  });

  it('answers bad input with a 4xx naming the field', async () => {
    const client = await createClient(t);
    const { order, project } = await deposit(client);
    const other = await seededProject(t, 'blepharoplasty');
    const send = (body: Record<string, unknown>) => t.http.post('/api/staff/treatments').set(doctorAuth)
      .send({ requestId: randomUUID(), order: order.id, project: project.id, performedAt: START.toISOString(), ...body });

    const notInOrder = await send({ project: other.id });
    expect([notInOrder.status, notInOrder.body.error.code, notInOrder.body.error.details[0].field]).toEqual([422, 'TREATMENT_NOT_IN_ORDER', 'body.project']);
    const future = await send({ performedAt: new Date(START.getTime() + DAY).toISOString() });
    expect([future.status, future.body.error.code, future.body.error.details[0].field]).toEqual([422, 'TREATMENT_IN_FUTURE', 'body.performedAt']);
    const notDoctor = await send({ doctor: (await createStaff(t, 'consultant')).publicId });
    expect([notDoctor.status, notDoctor.body.error.details[0].field]).toEqual([422, 'body.doctor']);
    const badDate = await send({ performedAt: 'yesterday' });
    expect(badDate.status).toBe(400);
    const noOrder = await send({ order: 'A'.repeat(22) });
    expect([noOrder.status, noOrder.body.error.details[0].field]).toEqual([404, 'body.order']);
    const reused = await send({ requestId: 'same-request-1' });
    expect(reused.status).toBe(201);
    const elsewhere = await (async () => {
      const second = await deposit(client);
      return send({ requestId: 'same-request-1', order: second.order.id });
    })();
    expect([elsewhere.status, elsewhere.body.error.code]).toEqual([409, 'TREATMENT_REQUEST_REUSED']);
    // Customer service may not record medical history (DOMAIN.md, three tiers).
    const service = await createStaff(t, 'customer_service');
    const refused = await t.http.post('/api/staff/treatments').set(bearer(await staffToken(t, service)))
      .send({ requestId: randomUUID(), order: order.id, project: project.id, performedAt: START.toISOString() });
    expect(refused.status).toBe(403);
    expect(await t.deps.db.query('SELECT id FROM treatments WHERE client_id = ?', [client.id])).toHaveLength(1);
  });

  it('cancels a treatment\'s pending steps and keeps what already went out', async () => {
    const client = await createClient(t);
    const { order, project } = await deposit(client);
    const { treatment } = await recordTreatment(t, { order: order.id, project: project.id, performedAt: new Date(START.getTime() - HOUR) });
    await t.services.care.enqueueDue(new Date(START.getTime() + 48 * HOUR));

    const res = await t.http.post(`/api/staff/treatments/${treatment.id}/cancel`).set(doctorAuth);

    expect(res.status).toBe(200);
    expect(res.body.status).toBe('cancelled');
    const after = await steps(client);
    expect(after.filter((s) => s.status === 'scheduled')).toHaveLength(0);
    expect(after.filter((s) => s.status === 'enqueued').map((s) => s.step).sort()).toEqual(['callback_48h', 'checkin_48h']);
    await t.services.care.enqueueDue(new Date(START.getTime() + 200 * DAY));
    expect(await outgoing(client)).toHaveLength(1);
  });

  it('restarts a course\'s plan at each session only where the project says so', async () => {
    const client = await createClient(t);
    const course = await createProject(t, { category: 'light', followupEachSession: true });
    const single = await createProject(t, { category: 'light' });
    const order = await recordOrder(t, {
      client, doctor, treated: false, items: [{ projectId: course.id, amountFen: 300_000 }, { projectId: single.id, amountFen: 200_000 }],
    });
    const first = new Date(START.getTime() - HOUR);
    await recordTreatment(t, { order: order.id, project: course.id, performedAt: first });
    await recordTreatment(t, { order: order.id, project: single.id, performedAt: first });
    const firstSteps = await steps(client);

    // Four weeks later: the second session of each.
    t.clock.set(new Date(START.getTime() + 28 * DAY));
    const second = new Date(t.clock.now().getTime() - HOUR);
    const again = await recordTreatment(t, { order: order.id, project: course.id, performedAt: second });
    const plain = await recordTreatment(t, { order: order.id, project: single.id, performedAt: second });

    expect([again.treatment.sessionNo, plain.treatment.sessionNo]).toEqual([2, 2]);
    const all = await steps(client);
    const ofTreatment = async (id: string) => {
      const [{ id: internal }] = await t.deps.db.query('SELECT id FROM treatments WHERE public_id = ?', [id]);
      return all.filter((s) => s.treatment_id === Number(internal));
    };
    const courseSteps = await ofTreatment(again.treatment.id);
    expect(courseSteps.length).toBeGreaterThan(0);
    expect(courseSteps.find((s) => s.step === 'survey_7d')!.due_at.getTime() - second.getTime()).toBe(7 * DAY);
    expect(await ofTreatment(plain.treatment.id)).toHaveLength(0);
    // The course's first-session steps still pending gave way to the new plan; the other project's stay.
    expect(all.length).toBe(firstSteps.length + courseSteps.length);
    const gaveWay = all.filter((s) => s.status === 'cancelled');
    expect(gaveWay.length).toBeGreaterThan(0);
  });

  it('lists a client\'s treatments to doctors and the director only', async () => {
    const client = await createClient(t);
    const { order, project } = await deposit(client);
    await recordTreatment(t, { order: order.id, project: project.id, performedAt: START });
    const director = await createStaff(t, 'director');
    const asDirector = await t.http.get(`/api/staff/clients/${client.publicId}/treatments`).set(bearer(await staffToken(t, director)));
    expect(asDirector.status).toBe(200);
    expect(asDirector.body.items).toEqual([expect.objectContaining({ order: order.id, project: expect.objectContaining({ id: project.id }), sessionNo: 1 })]);
    const consultant = await createStaff(t, 'consultant');
    const asConsultant = await t.http.get(`/api/staff/clients/${client.publicId}/treatments`).set(bearer(await staffToken(t, consultant)));
    expect(asConsultant.status).toBe(403);
  });
});

describe('the default catalog', () => {
  it('reminds a 光子嫩肤 client to come back a month before its three-month effect fades, with the doctor\'s advice', async () => {
    const client = await createClient(t);
    const { order, project } = await deposit(client, 'photorejuvenation');
    const performedAt = new Date(START.getTime() - HOUR);
    await recordTreatment(t, { order: order.id, project: project.id, performedAt, advice: '建议每月一次，连做三次' });
    const repurchase = (await steps(client)).find((s) => s.step === 'repurchase');
    expect(repurchase && Math.round((repurchase.due_at.getTime() - performedAt.getTime()) / DAY)).toBe(90 - 30);

    // The reminder carries the doctor's advice written with the treatment.
    await t.services.care.enqueueDue(repurchase!.due_at);
    const rows: any[] = await t.deps.db.query("SELECT dedupe_key, payload_enc FROM outbox_messages WHERE client_id = ? AND kind = 'client_message'", [client.id]);
    const payloads = rows.map((r) => t.services.outbox.openPayload(r.dedupe_key, r.payload_enc) as any);
    const reminder = payloads.find((p) => p.purpose === 'repurchase');
    expect(reminder.text).toContain('医生建议：建议每月一次，连做三次');

    // … and the time-limited repurchase offer, a real voucher usable on the treated project only.
    const vouchers: any[] = await t.deps.db.query("SELECT public_id, rule, kind, percent, cap_fen, projects, expires_at FROM vouchers WHERE client_id = ?", [client.id]);
    expect(vouchers).toEqual([expect.objectContaining({ public_id: reminder.voucherId, rule: 'repurchase', kind: 'percent_off', percent: 10, cap_fen: 30_000 })]);
    expect(typeof vouchers[0].projects === 'string' ? JSON.parse(vouchers[0].projects) : vouchers[0].projects).toEqual(['photorejuvenation']);
    expect(reminder.text).toMatch(/限时复购优惠：「复购限时优惠券」9折券（最高减¥300），有效期至 \d{4}-\d{2}-\d{2}，仅限光子嫩肤使用。$/);
  });
});

describe('the client\'s own data', () => {
  it('includes the treatments in the client\'s export and erases them with the account', async () => {
    const client = await createClient(t);
    const token = await clientToken(t, client);
    const { order, project } = await deposit(client);
    await recordTreatment(t, { order: order.id, project: project.id, performedAt: START, notes: '术后冰敷' });

    const created = await t.http.post('/api/mp/me/exports').set(bearer(token));
    const got = await t.http.get(`/api/mp/me/exports/${created.body.id}`).set(bearer(token));
    expect(got.body.treatments).toEqual([expect.objectContaining({ project: project.name, notes: '术后冰敷', sessionNo: 1, status: 'done' })]);

    expect((await t.http.delete('/api/mp/me').set(bearer(token)).send({ confirm: true })).status).toBeLessThan(300);
    expect(await t.deps.db.query('SELECT id FROM treatments WHERE client_id = ?', [client.id])).toHaveLength(0);
  });
});

describe('treatment notes under key rotation', () => {
  it('re-encrypts the notes under the newest data key and still reads them', async () => {
    const k1 = randomBytes(32).toString('base64');
    const k2 = randomBytes(32).toString('base64');
    const v1 = await createTestContext({ now: START.toISOString(), env: { DATA_KEYS: `1:${k1}` }, shareDatabaseOf: t });
    const v2 = await createTestContext({ now: START.toISOString(), env: { DATA_KEYS: `1:${k1},2:${k2}` }, shareDatabaseOf: t });
    try {
      const client = await createClient(v1);
      const project = await seededProject(v1, 'rhinoplasty');
      const order = await recordOrder(v1, { client, doctor, treated: false, items: [{ projectId: project.id, amountFen: 2_800_000 }] });
      const { treatment } = await recordTreatment(v1, { order: order.id, project: project.id, performedAt: START, notes: '术中出血少' });
      const version = async () => Number((await t.deps.db.query('SELECT ORD(notes_enc) AS v FROM treatments WHERE public_id = ?', [treatment.id]))[0].v);
      expect(await version()).toBe(1);

      const report = await reencryptAll({ db: v2.deps.db, config: v2.config });

      expect(report.treatments.reencrypted).toBeGreaterThanOrEqual(1);
      expect(await version()).toBe(2);
      const [listed] = await v2.services.care.treatmentsOfClient(SYSTEM_ACTOR, client.publicId);
      expect(listed.notes).toBe('术中出血少');
    } finally {
      await v1.close();
      await v2.close();
    }
  });
});

describe('the treatments migration', () => {
  it('gives every order recorded before one treatment per project at its paid time, keeping each step\'s date', async () => {
    // Arrange: an order with its plan, one paid without a treatment, one refunded.
    const client = await createClient(t);
    const nose = await seededProject(t, 'rhinoplasty');
    const paidAt = new Date(START.getTime() - 2 * HOUR);
    const planned = await recordOrder(t, { client, doctor, paidAt, items: [{ projectId: nose.id, amountFen: 2_800_000 }] });
    const { order: unplanned } = await deposit(client);
    const { order: refunded } = await deposit(client);
    await t.services.orders.refund(SYSTEM_ACTOR, refunded.id, { refundNo: externalNo('R'), amountFen: 2_800_000, reason: '取消' });
    const before = (await steps(client)).map((s) => [s.step, s.due_at.getTime(), s.status]);

    // Act: back to the schema before treatments, then forward again.
    const runner = t.deps.db.createQueryRunner();
    try {
      const migration = new Treatments1795580000000();
      await migration.down(runner);
      await migration.up(runner);
    } finally {
      await runner.release();
    }

    // Assert
    const rows: { order_id: number; performed_at: Date; status: string; session_no: number }[] = await t.deps.db.query(
      'SELECT o.public_id AS order_id, t.performed_at, t.status, t.session_no FROM treatments t JOIN orders o ON o.id = t.order_id WHERE t.client_id = ? ORDER BY t.id', [client.id],
    );
    const byOrder = Object.fromEntries(rows.map((r) => [r.order_id, r]));
    expect(rows).toHaveLength(3);
    expect(byOrder[planned.id]).toMatchObject({ performed_at: paidAt, status: 'done', session_no: 1 });
    expect(byOrder[unplanned.id]).toMatchObject({ status: 'done' });
    expect(byOrder[refunded.id]).toMatchObject({ status: 'cancelled' });
    expect((await steps(client)).map((s) => [s.step, s.due_at.getTime(), s.status])).toEqual(before);
  });
});
