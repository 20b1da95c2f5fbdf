import { createTestContext, TestContext } from '../helpers/context';
import { bearer } from '../helpers/factories';
import { consentingClient, planBody, proposedPlan, slot, staffSet, StaffSet } from '../helpers/consultations';
import { externalNo, seededProject } from '../helpers/orders';
import { EncryptFreeText1795520000000 } from '../../migrations/1795520000000-EncryptFreeText';

// Monday 2026-06-01, 10:00 in Shanghai.
const NOW = '2026-06-01T02:00:00.000Z';

// Texts only this file writes, one per column, so a dump can be searched for each.
const TEXT = {
  options: '膨体隆鼻加鼻尖抬高甲七',
  moveReason: '客户说鼻子还肿改期乙七',
  refundReason: '术后不满意全额退款丙七',
  taskTitle: '回访林小姐隆鼻术后丁七',
  taskDetails: '鼻尖发红需复诊戊七',
  taskNote: '已电话回访恢复良好己七',
  message: '林女士您好隆鼻术后一周庚七',
};

/** Every row of every table of the database, as one string (binary columns as UTF-8): a dump. */
async function dump(t: TestContext): Promise<string> {
  const tables: { name: string }[] = await t.deps.db.query(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'",
  );
  const parts: string[] = [];
  for (const { name } of tables) {
    const rows: Record<string, unknown>[] = await t.deps.db.query(`SELECT * FROM \`${name}\``);
    for (const row of rows) {
      for (const v of Object.values(row)) parts.push(Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'string' ? v : JSON.stringify(v));
    }
  }
  return parts.join('\n');
}

describe('free text about a client is encrypted at rest: outbox payloads, staff tasks, plan options, appointment and refund reasons', () => {
  let t: TestContext;
  let staff: StaffSet;
  const ids = { plan: '', appointment: '', order: '', task: '', clientId: 0, clientToken: '' };

  beforeAll(async () => {
    // A database of its own: the dump is every table, and nothing else writes there.
    t = await createTestContext({ now: NOW, isolatedDatabase: true });
    staff = await staffSet(t);
    const { client, token } = await consentingClient(t, { consultant: staff.consultant });
    ids.clientId = client.id;
    ids.clientToken = token;

    // A plan whose options name the procedure.
    ids.plan = await proposedPlan(t, staff.doctorToken, client.publicId, {
      body: { options: { surgical: { projectCodes: ['rhinoplasty'], description: TEXT.options }, nonSurgical: planBody().options.nonSurgical } },
    });
    // An appointment moved by staff with a reason.
    const asked = await t.http.post('/api/mp/appointments').set(bearer(token)).send({ at: slot(t, 3, '10:00') });
    expect(asked.status).toBe(201);
    ids.appointment = asked.body.id;
    const moved = await t.http.post(`/api/staff/appointments/${ids.appointment}/move`).set(bearer(staff.serviceToken))
      .send({ at: slot(t, 3, '15:00'), reason: TEXT.moveReason });
    expect(moved.status).toBe(200);
    // An order refunded with a reason.
    const rhino = await seededProject(t, 'rhinoplasty');
    const order = await t.http.post('/api/staff/orders').set(bearer(staff.directorToken)).send({
      orderNo: externalNo(), clientId: client.publicId, doctorId: staff.doctor.publicId,
      paidAt: new Date(t.clock.now().getTime() - 3600_000).toISOString(), items: [{ projectId: rhino.id, amountFen: 450000 }],
    });
    expect(order.status).toBe(201);
    ids.order = order.body.id;
    const refund = await t.http.post(`/api/staff/orders/${ids.order}/refunds`).set(bearer(staff.directorToken))
      .send({ refundNo: externalNo('R'), amountFen: 100000, reason: TEXT.refundReason });
    expect(refund.status).toBe(201);
    // A staff task quoting the client, completed with a note; a client message in the outbox.
    await t.deps.db.transaction(async (m) => {
      const created = await t.services.worklist.create(m, {
        kind: 'followup_callback', dedupeKey: `test:${client.id}:callback`, clientId: client.id, assigneeRole: 'customer_service',
        title: TEXT.taskTitle, details: { quote: TEXT.taskDetails },
      });
      ids.task = created.id;
      await t.services.outbox.enqueue(m, {
        kind: 'client_message', dedupeKey: `test:${client.id}:message`, clientId: client.id, payload: { text: TEXT.message, purpose: 'followup' },
      });
    });
    const done = await t.http.post(`/api/staff/tasks/${ids.task}/complete`).set(bearer(staff.serviceToken)).send({ note: TEXT.taskNote });
    expect(done.status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a dump of every table shows none of the texts', async () => {
    const all = await dump(t);

    for (const text of Object.values(TEXT)) expect(all).not.toContain(text);
  });

  it('staff and the delivery engine still read every text as it was written', async () => {
    const plan = await t.http.get(`/api/staff/plans/${ids.plan}`).set(bearer(staff.consultantToken));
    const appointment = await t.http.get(`/api/staff/appointments/${ids.appointment}`).set(bearer(staff.serviceToken));
    const order = await t.http.get(`/api/staff/orders/${ids.order}`).set(bearer(staff.directorToken));
    const tasks = await t.http.get('/api/staff/tasks?status=done').set(bearer(staff.serviceToken));
    const messages = await t.services.outbox.listForClient(ids.clientId, 'client_message');

    expect(plan.body.revision.options.surgical.description).toBe(TEXT.options);
    expect(appointment.body.events).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'moved', reason: TEXT.moveReason })]));
    expect(order.body.refunds.map((r: { reason: string }) => r.reason)).toEqual([TEXT.refundReason]);
    expect(tasks.body.items).toEqual([expect.objectContaining({ id: ids.task, title: TEXT.taskTitle, details: { quote: TEXT.taskDetails }, note: TEXT.taskNote })]);
    expect(messages.find((m) => m.dedupeKey === `test:${ids.clientId}:message`)?.payload).toEqual({ text: TEXT.message, purpose: 'followup' });
  });

  it('a ciphertext copied onto another row does not decrypt there (the row identity is bound); the drain fails that message instead of retrying it forever', async () => {
    // Arrange: a message overdue for the bot-less drain, its payload replaced by another row's.
    const other = `test:${ids.clientId}:other`;
    await t.deps.db.transaction(async (m) => {
      await t.services.outbox.enqueue(m, {
        kind: 'client_message', dedupeKey: other, clientId: ids.clientId, payload: { text: '另一条' }, dueAt: new Date(t.clock.now().getTime() - 600_000),
      });
    });
    await t.deps.db.query(
      'UPDATE outbox_messages o JOIN outbox_messages src ON src.dedupe_key = ? SET o.payload_enc = src.payload_enc WHERE o.dedupe_key = ?',
      [`test:${ids.clientId}:message`, other],
    );

    // Act
    await expect(t.services.outbox.listForClient(ids.clientId, 'client_message')).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    await t.services.delivery.drain(null);

    // Assert
    const [row] = await t.deps.db.query('SELECT status, last_error, claim_token FROM outbox_messages WHERE dedupe_key = ?', [other]);
    expect(row).toEqual({ status: 'failed', last_error: 'payload cannot be decrypted', claim_token: null });
    await t.deps.db.query('DELETE FROM outbox_messages WHERE dedupe_key = ?', [other]);
  });

  it('the migration encrypts rows written before it, and its down brings the plaintext back', async () => {
    const runner = t.deps.db.createQueryRunner();
    const migration = new EncryptFreeText1795520000000();
    try {
      // Arrange: the schema and rows as they were before the migration.
      await migration.down(runner);
      const before = await dump(t);
      for (const text of Object.values(TEXT)) expect(before).toContain(text);

      // Act
      await migration.up(runner);
    } finally {
      await runner.release();
    }

    // Assert: nothing readable is left, and everything reads as before.
    const after = await dump(t);
    for (const text of Object.values(TEXT)) expect(after).not.toContain(text);
    const tasks = await t.http.get('/api/staff/tasks?status=done').set(bearer(staff.serviceToken));
    expect(tasks.body.items).toEqual([expect.objectContaining({ title: TEXT.taskTitle, details: { quote: TEXT.taskDetails }, note: TEXT.taskNote })]);
    const plan = await t.http.get(`/api/staff/plans/${ids.plan}`).set(bearer(staff.doctorToken));
    expect(plan.body.revision.options.surgical.description).toBe(TEXT.options);
    const appointment = await t.http.get(`/api/staff/appointments/${ids.appointment}`).set(bearer(staff.serviceToken));
    expect(appointment.body.events).toEqual(expect.arrayContaining([expect.objectContaining({ reason: TEXT.moveReason })]));
    const order = await t.http.get(`/api/staff/orders/${ids.order}`).set(bearer(staff.directorToken));
    expect(order.body.refunds[0].reason).toBe(TEXT.refundReason);
    const messages = await t.services.outbox.listForClient(ids.clientId, 'client_message');
    expect(messages.find((m) => m.dedupeKey === `test:${ids.clientId}:message`)?.payload).toEqual({ text: TEXT.message, purpose: 'followup' });
  });

  it('deleting the account erases the texts (tasks, refund and appointment reasons, outbox payloads, plans)', async () => {
    const res = await t.http.delete('/api/mp/me').set(bearer(ids.clientToken)).send({ confirm: true });
    expect(res.status).toBe(204);

    const [task] = await t.deps.db.query('SELECT title_enc, details_enc, note_enc FROM staff_tasks WHERE public_id = ?', [ids.task]);
    expect(task).toEqual({ title_enc: null, details_enc: null, note_enc: null });
    const [refund] = await t.deps.db.query('SELECT r.reason_enc FROM order_refunds r JOIN orders o ON o.id = r.order_id WHERE o.public_id = ?', [ids.order]);
    expect(refund.reason_enc).toBeNull();
    const events = await t.deps.db.query(
      "SELECT e.action, e.reason_enc FROM appointment_events e JOIN appointments a ON a.id = e.appointment_id WHERE a.public_id = ? AND e.action = 'moved'", [ids.appointment],
    );
    expect(events).toEqual([{ action: 'moved', reason_enc: null }]);
    const [{ n }] = await t.deps.db.query('SELECT COUNT(*) AS n FROM outbox_messages WHERE client_id = ? AND payload_enc IS NOT NULL', [ids.clientId]);
    expect(Number(n)).toBe(0);
    const [{ plans }] = await t.deps.db.query('SELECT COUNT(*) AS plans FROM plan_revisions r JOIN plans p ON p.id = r.plan_id WHERE p.public_id = ?', [ids.plan]);
    expect(Number(plans)).toBe(0);
    const view = await t.http.get(`/api/staff/orders/${ids.order}`).set(bearer(staff.directorToken));
    expect(view.body.refunds[0].reason).toBeNull();
  });
});
