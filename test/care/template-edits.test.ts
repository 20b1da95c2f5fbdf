import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createClient, createStaff, staffToken } from '../helpers/factories';
import { createProject, recordOrder, seededProject } from '../helpers/orders';
import type { Client } from '../../src/modules/clients';
import type { Staff } from '../../src/modules/staff';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/**
 * What an edit of a follow-up step does to steps already scheduled: a step's time is fixed when the
 * treatment schedules it, its text is read when it is sent, and `active` decides only whether new
 * treatments get it. (A database of its own: the plans are shared rows every file schedules from.)
 */
describe('editing a follow-up step: new treatments follow the edit, scheduled steps keep their time', () => {
  let t: TestContext;
  let director: Staff, doctor: Staff;
  let auth: { Authorization: string };

  beforeAll(async () => {
    // 10:00 Shanghai: inside opening hours, outside quiet hours.
    t = await createTestContext({ now: '2026-11-02T02:00:00Z', isolatedDatabase: true });
    director = await createStaff(t, 'director');
    doctor = await createStaff(t, 'doctor');
    auth = bearer(await staffToken(t, director));
  });
  afterAll(() => t.close());

  async function treated(): Promise<{ client: Client; at: number }> {
    const client = await createClient(t);
    const rhinoplasty = await seededProject(t, 'rhinoplasty');
    const paidAt = new Date(t.clock.now().getTime() - HOUR);
    await recordOrder(t, { client, doctor, paidAt, items: [{ projectId: rhinoplasty.id, amountFen: 2_800_000 }] });
    return { client, at: paidAt.getTime() };
  }

  /** The client's steps as the API shows them: step → days after the procedure. */
  async function schedule(c: { client: Client; at: number }): Promise<Record<string, number>> {
    const res = await t.http.get(`/api/staff/clients/${c.client.publicId}/followups`).set(auth);
    expect(res.status).toBe(200);
    return Object.fromEntries(res.body.items.map((s: { step: string; dueAt: string }) => [s.step, (Date.parse(s.dueAt) - c.at) / DAY]));
  }

  async function template(step: string): Promise<{ id: number; text: string }> {
    const res = await t.http.get('/api/staff/care/templates').set(auth);
    return res.body.items.find((s: { plan: string; step: string }) => s.plan === 'surgery' && s.step === step);
  }

  async function sentTexts(client: Client): Promise<Record<string, string>> {
    const rows: { dedupe_key: string; payload_enc: Buffer }[] = await t.deps.db.query(
      "SELECT dedupe_key, payload_enc FROM outbox_messages WHERE client_id = ? AND kind = 'client_message'", [client.id],
    );
    return Object.fromEntries(rows.map((r) => {
      const p = t.services.outbox.openPayload(r.dedupe_key, r.payload_enc) as { step: string; text: string };
      return [p.step, p.text];
    }));
  }

  it('a new offset times the next treatment’s step; the step scheduled before keeps its day; a new text reaches both', async () => {
    const before = await treated();
    const step = await template('followup_30d');
    const res = await t.http.patch(`/api/staff/care/templates/${step.id}`).set(auth).send({ offsetMinutes: 35 * 24 * 60, text: '{project}术后第五周：恢复得怎么样？' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ offsetMinutes: 35 * 24 * 60, text: '{project}术后第五周：恢复得怎么样？' });

    const after = await treated();
    expect((await schedule(before)).followup_30d).toBe(30);
    expect((await schedule(after)).followup_30d).toBe(35);

    // Sent on day 30 and day 35: the text is read when a step is sent, so both carry the new one.
    await t.services.care.enqueueDue(new Date(after.at + 36 * DAY));
    expect((await sentTexts(before.client)).followup_30d).toBe('隆鼻术后第五周：恢复得怎么样？');
    expect((await sentTexts(after.client)).followup_30d).toBe('隆鼻术后第五周：恢复得怎么样？');
  });

  it('a step turned off is not scheduled for the next treatment; one already scheduled still goes out', async () => {
    const before = await treated();
    const step = await template('checkin_48h');
    expect((await t.http.patch(`/api/staff/care/templates/${step.id}`).set(auth).send({ active: false })).status).toBe(200);

    const after = await treated();
    expect(await schedule(after)).not.toHaveProperty('checkin_48h');
    expect((await schedule(before)).checkin_48h).toBe(2);
    await t.services.care.enqueueDue(new Date(before.at + 3 * DAY));
    expect(Object.keys(await sentTexts(before.client))).toContain('checkin_48h');
    expect(Object.keys(await sentTexts(after.client))).not.toContain('checkin_48h');
  });

  it('customer service may edit a step; a consultant may not, and a bad offset is refused naming the field', async () => {
    const step = await template('followup_90d');
    const service = await createStaff(t, 'customer_service');
    const consultant = await createStaff(t, 'consultant');
    expect((await t.http.patch(`/api/staff/care/templates/${step.id}`).set(bearer(await staffToken(t, service))).send({ active: true })).status).toBe(200);
    expect((await t.http.patch(`/api/staff/care/templates/${step.id}`).set(bearer(await staffToken(t, consultant))).send({ active: true })).status).toBe(403);
    const bad = await t.http.patch(`/api/staff/care/templates/${step.id}`).set(auth).send({ offsetMinutes: 401 * 24 * 60 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('body.offsetMinutes');
  });

  it('a project’s own repurchase offset times its reminder; cleared, the hospital’s CARE_REPURCHASE_LEAD_DAYS applies; 0 is refused', async () => {
    const filler = await createProject(t, { category: 'light', effectDurationDays: 180, repurchaseLeadDays: 14 });
    expect(filler.repurchaseLeadDays).toBe(14);
    const treat = async () => {
      const client = await createClient(t);
      const paidAt = new Date(t.clock.now().getTime() - HOUR);
      await recordOrder(t, { client, doctor, paidAt, items: [{ projectId: filler.id, amountFen: 380_000 }] });
      return { client, at: paidAt.getTime() };
    };
    expect((await schedule(await treat())).repurchase).toBe(180 - 14);

    const cleared = await t.http.patch(`/api/staff/projects/${filler.id}`).set(auth).send({ repurchaseLeadDays: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.repurchaseLeadDays).toBeNull();
    expect((await schedule(await treat())).repurchase).toBe(180 - t.deps.config.care.repurchaseLeadDays);

    const zero = await t.http.patch(`/api/staff/projects/${filler.id}`).set(auth).send({ repurchaseLeadDays: 0 });
    expect(zero.status).toBe(400);
    expect(zero.body.error.details[0].field).toBe('body.repurchaseLeadDays');
  });
});
