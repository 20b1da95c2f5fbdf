import { randomUUID } from 'node:crypto';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer } from '../helpers/factories';
import { loginClient } from '../helpers/login';
import { planBody, slot, staffSet, StaffSet } from '../helpers/consultations';
import { shanghaiDate } from '../../src/shared/clock';

const HOUR = 3600_000;

// Every required question of the published intent questionnaire, answered (the health part needs the consent).
const ANSWERS = {
  areas: ['nose'], expected_effect: ['natural'], downtime: 'week', timeline: 'within_1m',
  budget_max: 30000, budget_min: 10000, budget_flex: 'some',
  health_general: 'good', chronic: ['none'], allergies: ['antibiotics'], medications: ['none'], pregnancy: 'no',
  past_experience: 'never',
  risk_understanding: 'clear', recovery_understanding: 'clear', maintenance: 'regular', result_expectation: 'guaranteed',
  heard_from: ['xiaohongshu'], influences: ['doctor'],
  motivation: ['confidence'], eagerness: 9, risk_attitude: 'balanced', preference: 'natural', decision_style: 'doctor', visit: 'soon',
};

describe('end to end: questionnaire → plan → intent letter → booked → metrics', () => {
  let t: TestContext;
  let staff: StaffSet;

  beforeAll(async () => {
    t = await createTestContext();
    staff = await staffSet(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a new client fills the questionnaire, a doctor proposes a plan, the client asks for a change and accepts, staff confirm, and the metrics count it', async () => {
    const channel = `e2e_${randomUUID().slice(0, 8)}`;
    const day0 = shanghaiDate(t.clock.now());

    // Login through the real route, from a campaign: the channel is the client's source channel.
    const { token, publicId } = await loginClient(t, { launch: { utmSource: channel } });
    const me = bearer(token);
    const [client] = await t.deps.db.query('SELECT id, source_channel, stage FROM clients WHERE public_id = ?', [publicId]);
    expect(client).toMatchObject({ source_channel: channel, stage: 'lead' });

    // Privacy and health consents, then the published questionnaire.
    for (const [purpose, policyVersion] of [['privacy', t.config.policy.privacyVersion], ['health', t.config.policy.healthConsentVersion]]) {
      expect((await t.http.post('/api/mp/me/consents').set(me).send({ purpose, policyVersion })).status).toBe(201);
    }
    const template = await t.http.get('/api/mp/questionnaires/intent').set(me);
    expect(template.status).toBe(200);
    const versionId = template.body.versionId as string;

    // Autosave half of it, resume on "another phone", then submit the whole.
    const half = { areas: ANSWERS.areas, expected_effect: ANSWERS.expected_effect, budget_max: ANSWERS.budget_max, allergies: ANSWERS.allergies };
    const saved = await t.http.put('/api/mp/questionnaires/intent/draft').set(me).send({ versionId, answers: half });
    expect(saved.status).toBe(200);
    const resumed = await t.http.get('/api/mp/questionnaires/intent/draft').set(me);
    expect(resumed.body.answers).toMatchObject(half);
    t.clock.advance(HOUR);
    const submitted = await t.http.post('/api/mp/questionnaires/intent/submissions').set(me).send({ submissionId: randomUUID(), versionId, answers: ANSWERS });
    expect(submitted.status).toBe(201);
    expect(submitted.body.pointsEarned).toBe(t.config.points.questionnaire);

    // Scores, grade and flags; tags, the points entry and the outbox rows the bot will deliver.
    const [response] = await t.deps.db.query('SELECT id, intent_score, lead_grade, expectation_flags FROM questionnaire_responses WHERE public_id = ?', [submitted.body.id]);
    expect(response.lead_grade).toBe('A');
    expect(Number(response.intent_score)).toBeGreaterThanOrEqual(75);
    const flags = typeof response.expectation_flags === 'string' ? JSON.parse(response.expectation_flags) : response.expectation_flags;
    expect(flags).toContain('expects_guarantee');
    const tags = await t.services.tags.tagsOf(client.id);
    expect(tags).toMatchObject({ project: ['鼻部'], lead_grade: ['A级-高意向'] });
    const [points] = await t.deps.db.query("SELECT delta FROM points_entries WHERE client_id = ? AND reason = 'questionnaire'", [client.id]);
    expect(Number(points.delta)).toBe(t.config.points.questionnaire);
    expect((await t.services.outbox.listForClient(client.id, 'tag_sync')).length).toBeGreaterThan(0);

    // A doctor opens the submitted questionnaire (audited) and writes the plan; it answers that response.
    t.clock.advance(2 * HOUR);
    const opened = await t.http.get(`/api/staff/questionnaire-responses/${submitted.body.id}`).set(bearer(staff.doctorToken));
    expect(opened.status).toBe(200);
    const draft = await t.http.post(`/api/staff/clients/${publicId}/plans`).set(bearer(staff.doctorToken)).send(planBody());
    expect(draft.status).toBe(201);
    expect(draft.body.responseId).toBe(submitted.body.id);
    const planId = draft.body.id as string;
    expect((await t.http.post(`/api/staff/plans/${planId}/propose`).set(bearer(staff.doctorToken))).body.status).toBe('proposed');

    // The client reads it and asks for a change; the doctor revises; the client accepts revision 2 with a slot.
    t.clock.advance(24 * HOUR);
    const seen = await t.http.get(`/api/mp/plans/${planId}`).set(me);
    expect(seen.body).toMatchObject({ status: 'proposed', currentRevision: 1 });
    expect((await t.http.post(`/api/mp/plans/${planId}/change-requests`).set(me).send({ revision: 1, comment: '想先试试非手术方案' })).status).toBe(201);
    t.clock.advance(HOUR);
    const revised = await t.http.put(`/api/staff/plans/${planId}`).set(bearer(staff.doctorToken)).send(planBody({ priceMinFen: 600_000, priceMaxFen: 900_000, recoveryDays: 3 }));
    expect(revised.body).toMatchObject({ status: 'proposed', currentRevision: 2 });
    t.clock.advance(5 * HOUR);
    const at = slot(t, 3, '15:00');
    const letter = await t.http.post(`/api/mp/plans/${planId}/accept`).set(me).send({ revision: 2, appointment: { at, kind: 'consultation', note: '下午方便' } });
    expect(letter.status).toBe(201);

    // The intent letter (frozen revision 2) and its requested appointment exist.
    expect(letter.body).toMatchObject({ planId, revision: 2, snapshot: { revision: 2, priceMaxFen: 900_000, recoveryDays: 3 } });
    expect(letter.body.appointment).toMatchObject({ status: 'requested', kind: 'consultation', note: '下午方便', at: new Date(at).toISOString() });
    const mine = await t.http.get('/api/mp/appointments').set(me);
    expect(mine.body.items.map((a: { id: string }) => a.id)).toEqual([letter.body.appointment.id]);

    // Staff confirm: the client is booked and sees it.
    t.clock.advance(HOUR);
    const confirmed = await t.http.post(`/api/staff/appointments/${letter.body.appointment.id}/confirm`).set(bearer(staff.serviceToken));
    expect(confirmed.body.status).toBe('confirmed');
    expect((await t.http.get(`/api/mp/intent-letters/${letter.body.id}`).set(me)).body.appointment.status).toBe('confirmed');
    const history = await t.services.journey.history(client.id);
    expect(history.map((h) => h.to)).toEqual(['surveyed', 'plan_proposed', 'plan_accepted', 'booked']);
    const [stage] = await t.deps.db.query('SELECT stage FROM clients WHERE id = ?', [client.id]);
    expect(stage.stage).toBe('booked');
    const notices = await t.services.outbox.listForClient(client.id);
    expect(notices.map((n) => n.kind)).toEqual(expect.arrayContaining(['client_message', 'staff_alert', 'tag_sync']));
    // The client is told of the plan, its revision and the confirmed appointment; staff of the change request and the acceptance.
    expect(notices.filter((n) => n.kind === 'client_message' && n.payload.purpose === 'notice').map((n) => n.payload.event).sort()).toEqual(['appointment_confirmed', 'plan_proposed', 'plan_revised']);
    expect(notices.filter((n) => n.kind === 'staff_alert').map((n) => n.payload.event).sort()).toEqual(['plan_accepted', 'plan_change_requested']);

    // The director's metrics for the channel count this client at every step.
    const to = shanghaiDate(t.clock.now());
    const metrics = await t.http.get(`/api/staff/metrics/pipeline?from=${day0}&to=${to}&channel=${channel}`).set(bearer(staff.directorToken));
    expect(metrics.status).toBe(200);
    const m = metrics.body.overall;
    expect(m.survey).toMatchObject({ started: 1, submitted: 1, completionRate: 1, responses: 1 });
    expect(m.survey.completenessPct).toEqual(expect.any(Number));
    expect(m.cohort).toBe(1);
    expect(m.conversion.map((c: { rate: number }) => c.rate)).toEqual([1, 1, 1, 1]);
    const hours = (a: string, b: string) => (history.find((h) => h.to === b)!.at.getTime() - (a === 'lead' ? 0 : history.find((h) => h.to === a)!.at.getTime())) / HOUR;
    expect(m.stageTimes.slice(1).map((s: { medianHours: number }) => s.medianHours)).toEqual([
      hours('surveyed', 'plan_proposed'), hours('plan_proposed', 'plan_accepted'), hours('plan_accepted', 'booked'),
    ]);
    expect(m.stageTimes[0]).toMatchObject({ from: 'lead', to: 'surveyed', clients: 1 });
  });
});
