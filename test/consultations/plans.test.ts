import type TestAgent from 'supertest/lib/agent';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createClient } from '../helpers/factories';
import { publicId } from '../../src/shared/crypto';
import { consentingClient, planBody, proposedPlan, slot, staffSet, StaffSet } from '../helpers/consultations';

// Monday 2026-06-01, 10:00 in Shanghai.
const NOW = '2026-06-01T02:00:00.000Z';

/** True when any column of any raw row holds the plaintext (as UTF-8 bytes or text). */
function rawContains(rows: Record<string, unknown>[], plain: string): boolean {
  const needle = Buffer.from(plain, 'utf8');
  return rows.some((row) => Object.values(row).some((v) => {
    if (v === null || v === undefined) return false;
    if (Buffer.isBuffer(v)) return v.includes(needle);
    return (typeof v === 'string' ? v : JSON.stringify(v)).includes(plain);
  }));
}

describe('plans, change requests and intent letters', () => {
  let t1: TestContext;
  let t2: TestContext;
  let staff: StaffSet;

  beforeAll(async () => {
    // Two app instances on one database: the concurrency test splits its requests between them (DESIGN.md).
    [t1, t2] = await Promise.all([createTestContext({ now: NOW }), createTestContext({ now: NOW })]);
    staff = await staffSet(t1);
  });
  afterAll(async () => {
    await Promise.all([t1?.close(), t2?.close()]);
  });

  const q = (sql: string, params: unknown[] = []) => t1.deps.db.query(sql, params) as Promise<Record<string, any>[]>;
  const planRow = async (planId: string) => (await q('SELECT * FROM plans WHERE public_id = ?', [planId]))[0];
  const lettersOf = (clientId: number) => q('SELECT * FROM intent_letters WHERE client_id = ?', [clientId]);
  const appointmentsOf = (clientId: number) => q('SELECT * FROM appointments WHERE client_id = ?', [clientId]);
  const accept = (token: string, planId: string, revision: number, at = slot(t1, 3, '10:00'), agent: TestAgent = t1.http) =>
    agent.post(`/api/mp/plans/${planId}/accept`).set(bearer(token)).send({ revision, appointment: { at, kind: 'procedure' } });

  it('a draft plan is invisible to the client, and its analysis and risk plan are encrypted at rest', async () => {
    const { client, token } = await consentingClient(t1);

    const planId = await proposedPlan(t1, staff.doctorToken, client.publicId, { propose: false });

    expect((await t1.http.get('/api/mp/plans').set(bearer(token))).body.items).toEqual([]);
    expect((await t1.http.get(`/api/mp/plans/${planId}`).set(bearer(token))).status).toBe(404);
    const plan = await planRow(planId);
    expect(plan.status).toBe('draft');
    const revisions = await q('SELECT * FROM plan_revisions WHERE plan_id = ?', [plan.id]);
    expect(revisions).toHaveLength(1);
    expect(rawContains(revisions, '青霉素')).toBe(false);
    expect(rawContains(revisions, '膨体隆鼻')).toBe(false); // options name the procedure: encrypted too (consultants read them through the API)
  });

  it('proposing shows the plan (risk plan, no analysis) and records plan_proposed with its time and a client notice', async () => {
    const { client, token } = await consentingClient(t1);
    const planId = await proposedPlan(t1, staff.doctorToken, client.publicId);

    const res = await t1.http.get(`/api/mp/plans/${planId}`).set(bearer(token));

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: planId, status: 'proposed', currentRevision: 1, letterId: null });
    expect(res.body.revision).toMatchObject({ revision: 1, priceMinFen: 2_000_000, priceMaxFen: 3_500_000, recoveryDays: 14, riskPlan: planBody().riskPlan });
    expect(res.body.revision).not.toHaveProperty('analysis');
    const history = await t1.services.journey.history(client.id);
    expect(history.map((h) => h.to)).toEqual(['plan_proposed']);
    expect(history[0].at.toISOString()).toBe(NOW);
    const notices = await t1.services.outbox.listForClient(client.id, 'client_message');
    expect(notices.map((n) => n.dedupeKey)).toEqual([`plan:${planId}:1`]);
    expect(notices[0].payload).toMatchObject({ purpose: 'notice', event: 'plan_proposed', text: expect.stringContaining('方案'), card: { pagePath: `packageSurvey/plan/index?id=${planId}` } });
    expect(JSON.stringify(notices[0].payload)).not.toContain('青霉素');
  });

  it('a consultant reads options and price but not the needs analysis or risk plan; a doctor reads both (audited)', async () => {
    const { client } = await consentingClient(t1, { consultant: staff.consultant });
    const planId = await proposedPlan(t1, staff.doctorToken, client.publicId);

    const asConsultant = await t1.http.get(`/api/staff/plans/${planId}`).set(bearer(staff.consultantToken));
    const asDoctor = await t1.http.get(`/api/staff/plans/${planId}`).set(bearer(staff.doctorToken));

    expect(asConsultant.status).toBe(200);
    expect(asConsultant.body.revision.options.surgical.description).toBe('膨体隆鼻 + 耳软骨鼻尖');
    expect(asConsultant.body.revision.priceMaxFen).toBe(3_500_000);
    expect(asConsultant.body.revision).not.toHaveProperty('analysis');
    expect(asConsultant.body.revision).not.toHaveProperty('riskPlan');
    expect(JSON.stringify(asConsultant.body)).not.toContain('青霉素');
    expect(asDoctor.body.revision.analysis).toEqual(planBody().analysis);
    expect(asDoctor.body.revision.riskPlan).toBe(planBody().riskPlan);
    const audit = await q("SELECT actor_id, details FROM audit_log WHERE client_id = ? AND action = 'plan.read' ORDER BY id", [client.id]);
    expect(audit.map((a) => [a.actor_id, (typeof a.details === 'string' ? JSON.parse(a.details) : a.details).health])).toEqual([[staff.consultant.id, false], [staff.doctor.id, true]]);
  });

  it('a consultant cannot write, revise or propose a plan (403) and nothing is written', async () => {
    const { client } = await consentingClient(t1, { consultant: staff.consultant });
    const planId = await proposedPlan(t1, staff.doctorToken, client.publicId, { propose: false });

    const create = await t1.http.post(`/api/staff/clients/${client.publicId}/plans`).set(bearer(staff.consultantToken)).send(planBody());
    const revise = await t1.http.put(`/api/staff/plans/${planId}`).set(bearer(staff.consultantToken)).send(planBody());
    const propose = await t1.http.post(`/api/staff/plans/${planId}/propose`).set(bearer(staff.consultantToken));

    expect([create.status, revise.status, propose.status]).toEqual([403, 403, 403]);
    expect(create.body.error.code).toBe('FORBIDDEN');
    expect(await q('SELECT id FROM plans WHERE client_id = ?', [client.id])).toHaveLength(1);
    expect((await planRow(planId)).status).toBe('draft');
    expect(await q('SELECT id FROM plan_revisions WHERE plan_id = ?', [(await planRow(planId)).id])).toHaveLength(1);
  });

  it('a consultant not assigned to the client gets 404 for the plan, and the refusal is audited', async () => {
    const { client } = await consentingClient(t1); // no consultant
    const planId = await proposedPlan(t1, staff.doctorToken, client.publicId);

    const res = await t1.http.get(`/api/staff/plans/${planId}`).set(bearer(staff.consultantToken));

    expect(res.status).toBe(404);
    const [row] = await q("SELECT allowed FROM audit_log WHERE client_id = ? AND action = 'plan.read' AND actor_id = ?", [client.id, staff.consultant.id]);
    expect(Boolean(row.allowed)).toBe(false);
  });

  it("a client reading another client's plan gets the same 404 as for an unknown id", async () => {
    const owner = await consentingClient(t1);
    const other = await consentingClient(t1);
    const planId = await proposedPlan(t1, staff.doctorToken, owner.client.publicId);

    const foreign = await t1.http.get(`/api/mp/plans/${planId}`).set(bearer(other.token));
    const unknown = await t1.http.get('/api/mp/plans/AAAAAAAAAAAAAAAAAAAAAA').set(bearer(other.token));
    const acceptForeign = await accept(other.token, planId, 1);

    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual(unknown.body);
    expect(acceptForeign.status).toBe(404);
    expect(await lettersOf(other.client.id)).toEqual([]);
    expect((await planRow(planId)).status).toBe('proposed');
  });

  it('a change request, then a revision: the client sees revision 2 at once, and accepting revision 1 is 409 with nothing written', async () => {
    const { client, token } = await consentingClient(t1);
    const planId = await proposedPlan(t1, staff.doctorToken, client.publicId);

    const change = await t1.http.post(`/api/mp/plans/${planId}/change-requests`).set(bearer(token)).send({ revision: 1, comment: '希望价格低一些，考虑非手术' });
    expect(change.status).toBe(201);
    expect(change.body.status).toBe('change_requested');
    const revised = await t1.http.put(`/api/staff/plans/${planId}`).set(bearer(staff.doctorToken)).send(planBody({ priceMinFen: 800_000, priceMaxFen: 1_200_000 }));
    expect(revised.status).toBe(200);

    const stale = await accept(token, planId, 1);

    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'PLAN_REVISION_OUTDATED', details: { field: 'body.revision', currentRevision: 2 } });
    expect(await lettersOf(client.id)).toEqual([]);
    expect(await appointmentsOf(client.id)).toEqual([]);
    const seen = await t1.http.get(`/api/mp/plans/${planId}`).set(bearer(token));
    expect(seen.body).toMatchObject({ status: 'proposed', currentRevision: 2 });
    expect(seen.body.revision.priceMaxFen).toBe(1_200_000);
    expect(seen.body.revisions.map((r: { revision: number }) => r.revision)).toEqual([1, 2]);
    expect(seen.body.changeRequests).toEqual([expect.objectContaining({ revision: 1, comment: '希望价格低一些，考虑非手术' })]);
    const earlier = await t1.http.get(`/api/mp/plans/${planId}?revision=1`).set(bearer(token));
    expect(earlier.body.revision.priceMaxFen).toBe(3_500_000);
    const notices = await t1.services.outbox.listForClient(client.id, 'client_message');
    expect(notices.map((n) => n.dedupeKey).sort()).toEqual([`plan:${planId}:1`, `plan:${planId}:2`]);
    expect((await t1.services.outbox.listForClient(client.id, 'staff_alert')).map((n) => n.payload.event)).toEqual(['plan_change_requested']);
    const comment = await q('SELECT comment_enc FROM plan_comments WHERE client_id = ?', [client.id]);
    expect(rawContains(comment, '希望价格')).toBe(false);
    // A change request on the outdated revision is refused the same way.
    const staleChange = await t1.http.post(`/api/mp/plans/${planId}/change-requests`).set(bearer(token)).send({ revision: 1, comment: '再改' });
    expect(staleChange.status).toBe(409);
    expect(staleChange.body.error.code).toBe('PLAN_REVISION_OUTDATED');
  });

  it('accepting creates the intent letter with a frozen snapshot and a requested appointment, and moves the client to plan_accepted', async () => {
    const { client, token } = await consentingClient(t1);
    const planId = await proposedPlan(t1, staff.doctorToken, client.publicId);
    t1.clock.advance(3600_000);

    const res = await accept(token, planId, 1, slot(t1, 3, '14:00'));

    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ planId, revision: 1, confirmedAt: new Date(Date.parse(NOW) + 3600_000).toISOString() });
    expect(res.body.snapshot).toMatchObject({
      planId, revision: 1, priceMinFen: 2_000_000, priceMaxFen: 3_500_000, recoveryDays: 14, riskPlan: planBody().riskPlan,
      options: planBody().options, appointment: { kind: 'procedure', durationMinutes: t1.config.appointments.durationMinutes.procedure },
    });
    expect(res.body.snapshot).not.toHaveProperty('analysis');
    expect(res.body.appointment).toMatchObject({ kind: 'procedure', status: 'requested', letterId: res.body.id, at: new Date(slot(t1, 3, '14:00')).toISOString() });
    const letters = await lettersOf(client.id);
    expect(letters).toHaveLength(1);
    expect(rawContains(letters, '青霉素')).toBe(false);
    expect((await planRow(planId))).toMatchObject({ status: 'accepted', accepted_revision: 1 });
    expect((await t1.services.journey.history(client.id)).map((h) => h.to)).toEqual(['plan_proposed', 'plan_accepted']);
    const fetched = await t1.http.get(`/api/mp/intent-letters/${res.body.id}`).set(bearer(token));
    expect(fetched.body).toEqual(res.body);
    const other = await consentingClient(t1);
    expect((await t1.http.get(`/api/mp/intent-letters/${res.body.id}`).set(bearer(other.token))).status).toBe(404);
  });

  it('a plan accepted twice: the second acceptance is 409 PLAN_ALREADY_ACCEPTED naming the one letter', async () => {
    const { client, token } = await consentingClient(t1);
    const planId = await proposedPlan(t1, staff.doctorToken, client.publicId);
    const first = await accept(token, planId, 1);

    const second = await accept(token, planId, 1, slot(t1, 4, '11:00'));

    expect(first.status).toBe(201);
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'PLAN_ALREADY_ACCEPTED', details: { letterId: first.body.id, acceptedRevision: 1 } });
    expect(await lettersOf(client.id)).toHaveLength(1);
    expect(await appointmentsOf(client.id)).toHaveLength(1);
  });

  it('20 concurrent acceptances on two instances: exactly one letter and one appointment', async () => {
    const { client, token } = await consentingClient(t1);
    const planId = await proposedPlan(t1, staff.doctorToken, client.publicId);
    t2.clock.set(t1.clock.now());

    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => accept(token, planId, 1, slot(t1, 3, '10:00'), i % 2 ? t2.http : t1.http)));

    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status !== 201).map((r) => r.body.error.code)).toEqual(Array(19).fill('PLAN_ALREADY_ACCEPTED'));
    expect(await lettersOf(client.id)).toHaveLength(1);
    expect(await appointmentsOf(client.id)).toHaveLength(1);
    expect((await t1.services.journey.history(client.id)).filter((h) => h.to === 'plan_accepted')).toHaveLength(1);
  });

  it('an accepted plan cannot be revised, proposed or withdrawn (409), and its letter stays as accepted', async () => {
    const { client, token } = await consentingClient(t1);
    const planId = await proposedPlan(t1, staff.doctorToken, client.publicId);
    const letter = await accept(token, planId, 1);

    const revise = await t1.http.put(`/api/staff/plans/${planId}`).set(bearer(staff.doctorToken)).send(planBody({ recoveryDays: 30 }));
    const propose = await t1.http.post(`/api/staff/plans/${planId}/propose`).set(bearer(staff.doctorToken));
    const withdraw = await t1.http.post(`/api/staff/plans/${planId}/withdraw`).set(bearer(staff.directorToken));
    const change = await t1.http.post(`/api/mp/plans/${planId}/change-requests`).set(bearer(token)).send({ revision: 1, comment: '还想改' });

    expect([revise.status, propose.status, withdraw.status, change.status]).toEqual([409, 409, 409, 409]);
    expect(revise.body.error.code).toBe('PLAN_ALREADY_ACCEPTED');
    expect(change.body.error.code).toBe('PLAN_ALREADY_ACCEPTED');
    const plan = await planRow(planId);
    expect(plan).toMatchObject({ status: 'accepted', current_revision: 1 });
    expect(await q('SELECT id FROM plan_revisions WHERE plan_id = ?', [plan.id])).toHaveLength(1);
    expect((await t1.http.get(`/api/mp/intent-letters/${letter.body.id}`).set(bearer(token))).body.snapshot.recoveryDays).toBe(14);
  });

  it('an appointment outside opening hours in the acceptance is 400 with its field, and the plan stays open', async () => {
    const { client, token } = await consentingClient(t1);
    const planId = await proposedPlan(t1, staff.doctorToken, client.publicId);

    const late = await accept(token, planId, 1, slot(t1, 3, '17:00')); // a 120-minute procedure would end at 19:00
    const past = await accept(token, planId, 1, slot(t1, -1, '10:00'));

    expect(late.status).toBe(400);
    expect(late.body.error).toMatchObject({ code: 'APPOINTMENT_OUTSIDE_HOURS', details: { field: 'body.appointment.at', openFrom: '09:00', openUntil: '18:00' } });
    expect(past.body.error).toMatchObject({ code: 'APPOINTMENT_IN_PAST', details: { field: 'body.appointment.at' } });
    expect((await planRow(planId)).status).toBe('proposed');
    expect(await lettersOf(client.id)).toEqual([]);
    expect(await appointmentsOf(client.id)).toEqual([]);
    expect((await t1.services.journey.history(client.id)).map((h) => h.to)).toEqual(['plan_proposed']);
  });

  it('a withdrawn plan cannot be accepted (409 PLAN_WITHDRAWN)', async () => {
    const { client, token } = await consentingClient(t1);
    const planId = await proposedPlan(t1, staff.doctorToken, client.publicId);
    expect((await t1.http.post(`/api/staff/plans/${planId}/withdraw`).set(bearer(staff.doctorToken))).body.status).toBe('withdrawn');

    const res = await accept(token, planId, 1);

    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('PLAN_WITHDRAWN');
    expect(await lettersOf(client.id)).toEqual([]);
  });

  it('a plan needs the client\'s health-data consent (403) and nothing is written without it', async () => {
    const client = await createClient(t1);

    const res = await t1.http.post(`/api/staff/clients/${client.publicId}/plans`).set(bearer(staff.doctorToken)).send(planBody());

    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('HEALTH_CONSENT_REQUIRED');
    expect(await q('SELECT id FROM plans WHERE client_id = ?', [client.id])).toEqual([]);
  });

  it('bad plan bodies are 400 with the field: price range upside down, no option, unknown keys, another client\'s questionnaire', async () => {
    const { client } = await consentingClient(t1);
    const other = await createClient(t1);
    await q(
      `INSERT INTO questionnaire_responses (public_id, client_id, template_id, version_id, submission_id, request_hash, submitted_at, intent_score, intent_components,
         lead_grade, risk_tolerance, completeness_pct, expectation_flags, answers_enc) VALUES (?, ?, 1, 1, UUID(), REPEAT('0', 64), ?, 50, '{}', 'B', 'medium', 80, '[]', 'x')`,
      [publicId(), other.id, new Date(NOW)],
    );
    const [foreign] = await q('SELECT public_id FROM questionnaire_responses WHERE client_id = ?', [other.id]);
    const post = (body: Record<string, unknown>) => t1.http.post(`/api/staff/clients/${client.publicId}/plans`).set(bearer(staff.doctorToken)).send(body);

    const upsideDown = await post(planBody({ priceMinFen: 500_000, priceMaxFen: 400_000 }));
    const noOption = await post(planBody({ options: {} }));
    const unknown = await post({ ...planBody(), discount: 10 });
    const response = await post(planBody({ responseId: foreign.public_id }));

    expect(upsideDown.status).toBe(400);
    expect(upsideDown.body.error.details).toEqual([expect.objectContaining({ field: 'body.priceMaxFen' })]);
    expect(noOption.body.error.details).toEqual([expect.objectContaining({ field: 'body.options' })]);
    expect(unknown.body.error.details).toEqual([expect.objectContaining({ field: 'body.discount' })]);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 'PLAN_RESPONSE_NOT_FOUND', details: { field: 'body.responseId' } });
    expect(await q('SELECT id FROM plans WHERE client_id = ?', [client.id])).toEqual([]);
  });

  it('staff list a client\'s plans and see every revision with its author; the client lists only proposed plans', async () => {
    const { client, token } = await consentingClient(t1);
    const shown = await proposedPlan(t1, staff.doctorToken, client.publicId);
    await proposedPlan(t1, staff.doctorToken, client.publicId, { propose: false });
    await t1.http.put(`/api/staff/plans/${shown}`).set(bearer(staff.doctorToken)).send(planBody({ recoveryDays: 21 }));

    const staffList = await t1.http.get(`/api/staff/clients/${client.publicId}/plans`).set(bearer(staff.directorToken));
    const plan = await t1.http.get(`/api/staff/plans/${shown}?revision=1`).set(bearer(staff.directorToken));
    const own = await t1.http.get('/api/mp/plans').set(bearer(token));

    expect(staffList.body.items).toHaveLength(2);
    expect(plan.body.revision).toMatchObject({ revision: 1, recoveryDays: 14, author: { id: staff.doctor.publicId } });
    expect(plan.body.revisions.map((r: { revision: number }) => r.revision)).toEqual([1, 2]);
    expect(own.body.items.map((p: { id: string }) => p.id)).toEqual([shown]);
    expect(own.body.items[0]).toMatchObject({ currentRevision: 2, doctor: { name: staff.doctor.displayName } });
    expect(own.body.items[0].doctor).not.toHaveProperty('id');
  });

  it('a sequential client id in a staff path is refused (400): staff paths take public ids', async () => {
    const { client } = await consentingClient(t1);
    const res = await t1.http.post(`/api/staff/clients/${client.id}/plans`).set(bearer(staff.doctorToken)).send(planBody());
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'params.id' })]);
    expect(await q('SELECT id FROM plans WHERE client_id = ?', [client.id])).toEqual([]);
  });
});
