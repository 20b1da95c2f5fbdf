import { randomBytes } from 'node:crypto';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, staffToken } from '../helpers/factories';
import { reencryptAll } from '../../src/cli/reencrypt';
import { grantHealth, MEDICAL, NOW } from './helpers';
import { consentingClient, proposedPlan, slot, staffSet } from '../helpers/consultations';
import { externalNo, seededProject } from '../helpers/orders';

describe('data key rotation and re-encryption (src/cli/reencrypt.ts)', () => {
  const k1 = randomBytes(32).toString('base64');
  const k2 = randomBytes(32).toString('base64');
  let v1: TestContext;
  let v2: TestContext;
  beforeAll(async () => {
    v1 = await createTestContext({ now: NOW, env: { DATA_KEYS: `1:${k1}` } });
    v2 = await createTestContext({ now: NOW, env: { DATA_KEYS: `1:${k1},2:${k2}` } });
  });
  afterAll(async () => {
    await v1.close();
    await v2.close();
  });

  it('old data reads after a new key is added, and re-encryption moves every column to the new version', async () => {
    // Arrange: everything written under key 1.
    const client = await createClient(v1);
    const token = await clientToken(v1, client);
    await v1.http.patch('/api/mp/me').set(bearer(token)).send({ name: '轮换者', address: '成都市武侯区', birthDate: '2012-01-01' });
    await v1.http.post('/api/mp/me/consents').set(bearer(token))
      .send({ purpose: 'guardian', policyVersion: v1.config.policy.guardianConsentVersion, guardianName: '轮换监护', guardianRelation: 'father' });
    await grantHealth(v1, token);
    expect((await v1.http.put('/api/mp/me/medical').set(bearer(token)).send(MEDICAL)).status).toBe(200);
    const exp = await v1.http.post('/api/mp/me/exports').set(bearer(token));
    const firstBytes = async () => {
      const [c] = await v2.deps.db.query('SELECT ORD(name_enc) n, ORD(address_enc) a FROM clients WHERE id = ?', [client.id]);
      const [g] = await v2.deps.db.query("SELECT ORD(guardian_name_enc) g FROM consents WHERE client_id = ? AND purpose = 'guardian'", [client.id]);
      const [m] = await v2.deps.db.query('SELECT ORD(allergies_enc) a, ORD(medications_enc) b, ORD(past_procedures_enc) c, ORD(conditions_enc) d FROM medical_records WHERE client_id = ?', [client.id]);
      const [e] = await v2.deps.db.query('SELECT ORD(payload_enc) p FROM data_exports WHERE client_id = ?', [client.id]);
      return [...Object.values(c), ...Object.values(g), ...Object.values(m), ...Object.values(e)].map(Number);
    };
    expect(await firstBytes()).toEqual(Array(8).fill(1));

    // Old versions still read under the rotated configuration.
    const token2 = await clientToken(v2, client);
    expect((await v2.http.get('/api/mp/me').set(bearer(token2))).body).toMatchObject({ name: '轮换者', address: '成都市武侯区' });

    // Act
    const report = await reencryptAll({ db: v2.deps.db, config: v2.config }, { batchSize: 2 });

    // Assert: every value now under version 2 and still readable; a second run changes nothing.
    // (Rows other test files wrote under the development key cannot be read with k1: they count as failed and stay as they are.)
    expect(report.medical_records.reencrypted).toBeGreaterThanOrEqual(1);
    expect(await firstBytes()).toEqual(Array(8).fill(2));
    expect((await v2.http.get('/api/mp/me').set(bearer(token2))).body).toMatchObject({ name: '轮换者', address: '成都市武侯区' });
    expect((await v2.http.get('/api/mp/me/medical').set(bearer(token2))).body).toMatchObject(MEDICAL);
    const consents = await v2.http.get('/api/mp/me/consents').set(bearer(token2));
    expect(consents.body).toEqual(expect.arrayContaining([expect.objectContaining({ guardianName: '轮换监护' })]));
    const got = await v2.http.get(`/api/mp/me/exports/${exp.body.id}`).set(bearer(token2));
    expect(got.body.profile.name).toBe('轮换者');

    const again = await reencryptAll({ db: v2.deps.db, config: v2.config });
    expect(Object.values(again).every((r) => r.reencrypted === 0)).toBe(true);
    expect(Object.keys(again)).toEqual(expect.arrayContaining(['questionnaire_responses', 'plan_revisions', 'feedback_cases']));

    // Data under the new key is unreadable with only the old key configured (field null, no 500).
    const old = await v1.http.get('/api/mp/me').set(bearer(token));
    expect(old.status).toBe(200);
    expect(old.body.name).toBeNull();
  });
  it('re-encryption covers the free-text columns: outbox payloads, staff tasks, plan options, appointment and refund reasons', async () => {
    // Arrange: one of each, written under key 1.
    const staff = await staffSet(v1);
    const { client, token } = await consentingClient(v1);
    const planId = await proposedPlan(v1, staff.doctorToken, client.publicId);
    const asked = await v1.http.post('/api/mp/appointments').set(bearer(token)).send({ at: slot(v1, 3, '10:00') });
    await v1.http.post(`/api/staff/appointments/${asked.body.id}/move`).set(bearer(staff.serviceToken)).send({ at: slot(v1, 3, '15:00'), reason: '轮换改期' });
    const rhino = await seededProject(v1, 'rhinoplasty');
    const order = await v1.http.post('/api/staff/orders').set(bearer(staff.directorToken)).send({
      orderNo: externalNo(), clientId: client.publicId, doctorId: staff.doctor.publicId,
      paidAt: new Date(v1.clock.now().getTime() - 3600_000).toISOString(), items: [{ projectId: rhino.id, amountFen: 300000 }],
    });
    await v1.http.post(`/api/staff/orders/${order.body.id}/refunds`).set(bearer(staff.directorToken)).send({ refundNo: externalNo('R'), amountFen: 1000, reason: '轮换退款' });
    let taskId = '';
    await v1.deps.db.transaction(async (m) => {
      taskId = (await v1.services.worklist.create(m, { kind: 'callback', dedupeKey: `rotation:${client.id}`, clientId: client.id, assigneeRole: 'customer_service', title: '轮换回访', details: { q: 1 } })).id;
      await v1.services.outbox.enqueue(m, { kind: 'client_message', dedupeKey: `rotation:${client.id}`, clientId: client.id, payload: { text: '轮换消息' } });
    });
    await v1.http.post(`/api/staff/tasks/${taskId}/complete`).set(bearer(staff.serviceToken)).send({ note: '轮换备注' });
    const versions = async () => {
      const [r] = await v2.deps.db.query(
        `SELECT (SELECT ORD(options_enc) FROM plan_revisions r JOIN plans p ON p.id = r.plan_id WHERE p.public_id = ?) AS options,
                (SELECT ORD(e.reason_enc) FROM appointment_events e JOIN appointments a ON a.id = e.appointment_id WHERE a.public_id = ? AND e.action = 'moved') AS event,
                (SELECT ORD(r.reason_enc) FROM order_refunds r JOIN orders o ON o.id = r.order_id WHERE o.public_id = ?) AS refund,
                (SELECT CONCAT(ORD(title_enc), ORD(details_enc), ORD(note_enc)) FROM staff_tasks WHERE public_id = ?) AS task,
                (SELECT ORD(payload_enc) FROM outbox_messages WHERE dedupe_key = ?) AS outbox`,
        [planId, asked.body.id, order.body.id, taskId, `rotation:${client.id}`],
      );
      return r;
    };
    expect(await versions()).toEqual({ options: 1, event: 1, refund: 1, task: '111', outbox: 1 });

    // Act
    await reencryptAll({ db: v2.deps.db, config: v2.config });

    // Assert: all under version 2, and read back through key 2's app.
    expect(await versions()).toEqual({ options: 2, event: 2, refund: 2, task: '222', outbox: 2 });
    const v2Doctor = await staffToken(v2, staff.doctor);
    expect((await v2.http.get(`/api/staff/plans/${planId}`).set(bearer(v2Doctor))).body.revision.options.surgical.projectCodes).toEqual(['rhinoplasty']);
    const v2Service = await staffToken(v2, staff.service);
    const appt = await v2.http.get(`/api/staff/appointments/${asked.body.id}`).set(bearer(v2Service));
    expect(appt.body.events).toEqual(expect.arrayContaining([expect.objectContaining({ reason: '轮换改期' })]));
    const v2Director = await staffToken(v2, staff.director);
    expect((await v2.http.get(`/api/staff/orders/${order.body.id}`).set(bearer(v2Director))).body.refunds[0].reason).toBe('轮换退款');
    expect(await v2.services.worklist.byDedupeKey(`rotation:${client.id}`)).toMatchObject({ title: '轮换回访', details: { q: 1 }, note: '轮换备注' });
    expect((await v2.services.outbox.listForClient(client.id, 'client_message')).find((m) => m.dedupeKey === `rotation:${client.id}`)?.payload).toEqual({ text: '轮换消息' });
  });
});
