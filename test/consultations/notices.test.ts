import { randomBytes } from 'node:crypto';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer } from '../helpers/factories';
import { consentingClient, planBody, proposedPlan, slot, staffSet, StaffSet } from '../helpers/consultations';
import { bindContact, RecordingChannel, shanghai } from '../helpers/delivery';

/**
 * Plan and appointment notices go through the real delivery engine: the client's WeCom contact gets
 * the text and a card that opens the page, staff get a readable alert in their group, and nothing
 * is left failed or turned into a staff task for an unknown kind.
 */
describe('plan and appointment notices, delivered', () => {
  let t: TestContext;
  let staff: StaffSet;

  beforeAll(async () => {
    // A database of its own (a drain takes every due row) and send budgets of its own (they count by client id).
    const env = { REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX}notices-${randomBytes(3).toString('hex')}:` };
    t = await createTestContext({ isolatedDatabase: true, env, now: shanghai('2026-03-02 10:00').toISOString() });
    staff = await staffSet(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('the client is told of a new plan, its revision and the confirmed appointment; staff of the change request and the acceptance', async () => {
    const channel = new RecordingChannel();
    const { client, token } = await consentingClient(t);
    const contact = await bindContact(t, client, channel.accountId, staff.director);
    const me = bearer(token);

    const planId = await proposedPlan(t, staff.doctorToken, client.publicId);
    await t.services.delivery.drain(channel);
    const change = await t.http.post(`/api/mp/plans/${planId}/change-requests`).set(me).send({ revision: 1, comment: '想便宜一些' });
    expect(change.status).toBe(201);
    const revised = await t.http.put(`/api/staff/plans/${planId}`).set(bearer(staff.doctorToken)).send(planBody({ priceMinFen: 800_000, priceMaxFen: 1_200_000 }));
    expect(revised.status).toBe(200);
    const accepted = await t.http.post(`/api/mp/plans/${planId}/accept`).set(me).send({ revision: 2, appointment: { at: slot(t, 3, '10:00'), kind: 'procedure' } });
    expect(accepted.status).toBe(201);
    await t.services.delivery.drain(channel);
    const confirmed = await t.http.post(`/api/staff/appointments/${accepted.body.appointment.id}/confirm`).set(bearer(staff.serviceToken));
    expect(confirmed.status).toBe(200);
    await t.services.delivery.drain(channel);

    const toClient = channel.to('contact', contact).map((s) => ({ text: s.message!.text, card: s.message!.card?.pagePath }));
    expect(toClient).toEqual([
      { text: expect.stringContaining('方案已出'), card: `packageSurvey/plan/index?id=${planId}` },
      { text: expect.stringContaining('修改了方案'), card: `packageSurvey/plan/index?id=${planId}` },
      { text: expect.stringMatching(/2026-03-05 10:00 的治疗预约已确认/), card: 'packageSurvey/appointments/index' },
    ]);
    const toStaff = channel.to('staff').map((s) => [s.to, s.message!.text]);
    expect(toStaff).toEqual([
      ['doctor', expect.stringContaining(`方案 ${planId} 第1版提出了修改意见`)],
      ['customer_service', expect.stringContaining(`预约 ${accepted.body.appointment.id} 待确认`)],
    ]);
    // Nothing about the client's health or the plan's content travels in the chat.
    expect(JSON.stringify(channel.sends)).not.toMatch(/想便宜|青霉素|隆鼻|阿司匹林/);
    // Everything due went out; the day-before reminder of the confirmed appointment waits for its day.
    const [{ n: unsettled }] = await t.deps.db.query("SELECT COUNT(*) AS n FROM outbox_messages WHERE status <> 'sent' AND kind <> 'tag_sync' AND due_at <= ?", [t.clock.now()]);
    expect(Number(unsettled)).toBe(0);
    const waiting = await t.deps.db.query("SELECT dedupe_key FROM outbox_messages WHERE status = 'pending' AND kind = 'client_message'");
    expect(waiting).toEqual([{ dedupe_key: `appointment_reminder:${accepted.body.appointment.id}:1:day_before` }]);
    const [{ n: tasks }] = await t.deps.db.query("SELECT COUNT(*) AS n FROM staff_tasks WHERE kind = 'delivery_failed'");
    expect(Number(tasks)).toBe(0);
  });
});
