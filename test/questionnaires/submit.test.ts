import { randomUUID } from 'node:crypto';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient } from '../helpers/factories';
import {
  coldLeadAnswers, giveHealthConsent, INTENT_VERSION_ID, intentAnswers, intentDefinition, publishedTemplate, submitIntent,
} from '../helpers/questionnaires';
import { rawContains } from '../clients/helpers';

const NOW = '2026-06-01T04:00:00.000Z';
// mysql2 parses JSON columns on MariaDB versions that flag them; older ones send text.
const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

describe('intent questionnaire: fill in and submit (/api/mp/questionnaires)', () => {
  let t1: TestContext;
  let t2: TestContext;

  beforeAll(async () => {
    // Two app instances on one database: the concurrency tests split their requests between them (DESIGN.md).
    [t1, t2] = await Promise.all([createTestContext({ now: NOW }), createTestContext({ now: NOW })]);
  });
  afterAll(async () => {
    await Promise.all([t1?.close(), t2?.close()]);
  });

  async function consentingClient(t = t1) {
    const client = await createClient(t);
    await giveHealthConsent(t, client.id);
    return { client, token: await clientToken(t, client) };
  }

  const count = async (table: string, clientId: number, extra = '') =>
    Number((await t1.deps.db.query(`SELECT COUNT(*) AS n FROM ${table} WHERE client_id = ? ${extra}`, [clientId]))[0].n);

  async function expectNothingWritten(clientId: number) {
    expect(await count('questionnaire_responses', clientId)).toBe(0);
    expect(await count('client_intents', clientId)).toBe(0);
    expect(await count('points_entries', clientId)).toBe(0);
    expect(await count('client_tags', clientId)).toBe(0);
    expect(await count('medical_records', clientId)).toBe(0);
    expect(await count('outbox_messages', clientId)).toBe(0);
  }

  it('GET the published template: the Chinese default, with sections and options but without the scoring and flag rules', async () => {
    const { token } = await consentingClient();

    const res = await t1.http.get('/api/mp/questionnaires/intent').set(bearer(token));

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ code: 'intent', versionId: INTENT_VERSION_ID, version: 1, title: '变美意向问卷', healthConsentRequired: true });
    expect(res.body.rules).toBeUndefined();
    expect(JSON.stringify(res.body)).not.toContain('safetyFlags');
    const ids = res.body.sections.flatMap((s: any) => s.questions.map((q: any) => q.id));
    // DOMAIN.md steps 2 and 3: areas, effect, budget, health, allergies, medications, pregnancy, chronic conditions,
    // risk/recovery/maintenance, past experience, channel and influences, motivation, expectations, risk tolerance, decision style.
    for (const id of ['areas', 'expected_effect', 'budget_max', 'budget_min', 'health_general', 'allergies', 'medications', 'pregnancy', 'chronic',
      'risk_understanding', 'recovery_understanding', 'maintenance', 'past_experience', 'past_satisfaction', 'heard_from', 'influences',
      'motivation', 'result_expectation', 'risk_attitude', 'decision_style', 'preference']) {
      expect(ids).toContain(id);
    }
    expect(res.body.sections.find((s: any) => s.id === 'health').sensitive).toBe(true);
  });

  it('an unknown questionnaire code answers 404', async () => {
    const { token } = await consentingClient();
    const res = await t1.http.get('/api/mp/questionnaires/no-such-thing').set(bearer(token));
    expect(res.status).toBe(404);
  });

  it('a draft is autosaved encrypted and resumed on another phone (another session), with a revision that detects a stale save', async () => {
    const { client, token } = await consentingClient();
    const otherPhone = await clientToken(t2, client);
    const partial = { areas: ['eyes'], area_detail: '想要自然的双眼皮', allergies: ['hyaluronic'] };

    const saved = await t1.http.put('/api/mp/questionnaires/intent/draft').set(bearer(token)).send({ versionId: INTENT_VERSION_ID, answers: partial });
    const resumed = await t2.http.get('/api/mp/questionnaires/intent/draft').set(bearer(otherPhone));
    const stale = await t2.http.put('/api/mp/questionnaires/intent/draft').set(bearer(otherPhone))
      .send({ versionId: INTENT_VERSION_ID, answers: { areas: ['nose'] }, revision: 0 });

    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ versionId: INTENT_VERSION_ID, revision: 1, submitted: false });
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ versionId: INTENT_VERSION_ID, answers: partial, revision: 1, submitted: false, carriedOver: false });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'QUESTIONNAIRE_DRAFT_CONFLICT', details: { field: 'body.revision', revision: 1 } });
    const raw = await t1.deps.db.query('SELECT * FROM questionnaire_drafts WHERE client_id = ?', [client.id]);
    expect(raw).toHaveLength(1);
    for (const text of ['双眼皮', 'hyaluronic', 'eyes']) expect(rawContains(raw, text)).toBe(false);
  });

  it('a draft with an unknown question or an option that does not exist is refused per question; hidden or missing answers wait for the submission', async () => {
    const { token } = await consentingClient();

    const bad = await t1.http.put('/api/mp/questionnaires/intent/draft').set(bearer(token))
      .send({ versionId: INTENT_VERSION_ID, answers: { areas: ['ears'], favourite_colour: 'red', past_issue: '肿' } });

    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('QUESTIONNAIRE_INVALID_ANSWERS');
    expect(bad.body.error.details).toEqual([
      { field: 'answers.areas', message: expect.stringContaining("'ears'"), type: 'answer.option' },
      { field: 'answers.favourite_colour', message: expect.any(String), type: 'answer.unknown' },
    ]);
  });

  it('a draft with health answers but no health consent → 403 HEALTH_CONSENT_REQUIRED and nothing stored', async () => {
    const client = await createClient(t1);
    const token = await clientToken(t1, client);

    const res = await t1.http.put('/api/mp/questionnaires/intent/draft').set(bearer(token))
      .send({ versionId: INTENT_VERSION_ID, answers: { areas: ['nose'], allergies: ['none'] } });
    const plain = await t1.http.put('/api/mp/questionnaires/intent/draft').set(bearer(token))
      .send({ versionId: INTENT_VERSION_ID, answers: { areas: ['nose'] } });

    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('HEALTH_CONSENT_REQUIRED');
    expect(plain.status).toBe(200);
    expect(plain.body.revision).toBe(1);
  });

  it('a full submission writes, in one go: response, draft marked submitted, intent archive, medical history, tags, stage, points, tag-sync outbox rows, audit', async () => {
    const { client, token } = await consentingClient();
    await t1.http.put('/api/mp/questionnaires/intent/draft').set(bearer(token)).send({ versionId: INTENT_VERSION_ID, answers: { areas: ['nose'] } });
    const submissionId = randomUUID();

    const res = await submitIntent(t1, token, intentAnswers(), { submissionId });

    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), versionId: INTENT_VERSION_ID, submittedAt: NOW, pointsEarned: 100, replayed: false,
      summary: {
        areas: [{ value: 'nose', label: '鼻部' }, { value: 'skin', label: '皮肤（斑点、痘印、松弛、肤色）' }],
        budgetMaxFen: 5_000_000, budgetMinFen: 2_000_000, message: expect.any(String),
      },
    });
    // The client never sees the grade, score or flags.
    expect(JSON.stringify(res.body)).not.toMatch(/grade|score|flag|A级/i);

    const [resp] = await t1.deps.db.query('SELECT * FROM questionnaire_responses WHERE client_id = ?', [client.id]);
    expect(resp).toMatchObject({ public_id: res.body.id, submission_id: submissionId, intent_score: 98, lead_grade: 'A', risk_tolerance: 'medium', completeness_pct: 67, points_awarded: 100 });
    const [version] = await t1.deps.db.query('SELECT id FROM questionnaire_versions WHERE public_id = ?', [INTENT_VERSION_ID]);
    expect(resp.version_id).toBe(version.id);
    const [draft] = await t1.deps.db.query('SELECT * FROM questionnaire_drafts WHERE client_id = ?', [client.id]);
    expect(draft).toMatchObject({ submitted_response_id: resp.id, answers_enc: null });
    const [intent] = await t1.deps.db.query('SELECT * FROM client_intents WHERE client_id = ?', [client.id]);
    expect(intent).toMatchObject({ latest_response_id: resp.id, budget_max_fen: 5_000_000, budget_min_fen: 2_000_000, budget_band: 'premium', intent_score: 98, lead_grade: 'A' });
    expect(json(intent.projects)).toEqual(['nose', 'skin']);

    const medical = await t1.services.clients.getOwnMedical(client.id);
    expect(medical).toMatchObject({ allergies: ['局部麻醉药过敏'], medications: ['抗凝/抗血小板药'], conditions: [], pastProcedures: [{ name: '玻尿酸填充', satisfied: true }] });
    expect(await t1.services.tags.tagsOf(client.id)).toEqual({
      project: ['皮肤管理', '鼻部'], stage: ['意向客户'], value_tier: ['高净值'], lead_grade: ['A级-高意向'],
    });
    const [{ stage }] = await t1.deps.db.query('SELECT stage FROM clients WHERE id = ?', [client.id]);
    expect(stage).toBe('surveyed');
    expect(await t1.services.journey.history(client.id)).toEqual([expect.objectContaining({ from: 'lead', to: 'surveyed', reason: 'questionnaire' })]);
    expect(await t1.services.points.balance(client.id)).toBe(100);
    const sources = await t1.deps.db.query('SELECT DISTINCT dimension, source FROM client_tags WHERE client_id = ? ORDER BY dimension', [client.id]);
    expect(sources).toEqual([
      { dimension: 'project', source: 'questionnaire' }, { dimension: 'stage', source: 'stage' },
      { dimension: 'value_tier', source: 'questionnaire' }, { dimension: 'lead_grade', source: 'questionnaire' },
    ].sort((a, b) => a.dimension.localeCompare(b.dimension)));
    // One request for every tag change of the submission (the stage's too); the bot sends the client's tags as they are then (read at send time).
    const syncs = await t1.services.outbox.listForClient(client.id, 'tag_sync');
    expect(syncs).toHaveLength(1);
    expect(syncs[0]).toMatchObject({ status: 'pending', payload: { reason: 'tags' } });
    const audit = await t1.deps.db.query(
      "SELECT action, actor_type, actor_id, client_id, allowed, details FROM audit_log WHERE client_id = ? AND action IN ('questionnaire.submit', 'client.medical.update') ORDER BY id",
      [client.id],
    );
    expect(audit.map((a: any) => ({ ...a, details: json(a.details) }))).toEqual([
      { action: 'client.medical.update', actor_type: 'client', actor_id: client.id, client_id: client.id, allowed: 1, details: { fields: ['allergies', 'medications', 'pastProcedures', 'conditions'], source: 'questionnaire' } },
      { action: 'questionnaire.submit', actor_type: 'client', actor_id: client.id, client_id: client.id, allowed: 1, details: { responseId: res.body.id, versionId: INTENT_VERSION_ID, code: 'intent' } },
    ]);

    const latest = await t1.http.get('/api/mp/questionnaires/intent/submissions/latest').set(bearer(token));
    expect(latest.status).toBe(200);
    expect(latest.body).toEqual({ ...res.body, replayed: undefined });
    const draftNow = await t1.http.get('/api/mp/questionnaires/intent/draft').set(bearer(token));
    expect(draftNow.body).toMatchObject({ answers: {}, submitted: true });
  });

  it('answers are stored encrypted: no answer text in the raw rows; health answers and safety flags apart from the others', async () => {
    const { client, token } = await consentingClient();

    const res = await submitIntent(t1, token, intentAnswers({ area_detail: '鼻梁偏低想垫高', allergies: ['other'], allergy_other: '芒果过敏' }));

    expect(res.status).toBe(201);
    const raw = await t1.deps.db.query('SELECT * FROM questionnaire_responses WHERE client_id = ?', [client.id]);
    for (const text of ['鼻梁偏低想垫高', '芒果过敏', 'anticoagulant', 'xiaohongshu']) expect(rawContains(raw, text)).toBe(false);
    expect(raw[0].health_answers_enc).toBeInstanceOf(Buffer);
    expect(raw[0].safety_flags_enc).toBeInstanceOf(Buffer);
  });

  it('a retry with the same submission id returns the same result and writes nothing new', async () => {
    const { client, token } = await consentingClient();
    const submissionId = randomUUID();

    const first = await submitIntent(t1, token, intentAnswers(), { submissionId });
    const again = await submitIntent(t2, token, intentAnswers(), { submissionId });

    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual({ ...first.body, replayed: true });
    expect(await count('questionnaire_responses', client.id)).toBe(1);
    expect(await count('points_entries', client.id)).toBe(1);
    expect(await count('audit_log', client.id, "AND action = 'questionnaire.submit'")).toBe(1);
  });

  it('the same submission id with different answers → 409 IDEMPOTENCY_KEY_REUSED, the first response unchanged', async () => {
    const { client, token } = await consentingClient();
    const submissionId = randomUUID();
    await submitIntent(t1, token, intentAnswers(), { submissionId });

    const res = await submitIntent(t1, token, intentAnswers({ budget_max: 80000 }), { submissionId });

    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', details: { field: 'body.submissionId' } });
    const [intent] = await t1.deps.db.query('SELECT budget_max_fen FROM client_intents WHERE client_id = ?', [client.id]);
    expect(intent.budget_max_fen).toBe(5_000_000);
  });

  it('10 identical submissions at once on two instances: one response, one points entry, all answered with the same result', async () => {
    const { client, token } = await consentingClient();
    const submissionId = randomUUID();

    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => submitIntent(t1, token, intentAnswers(), { submissionId, agent: [t1, t2][i % 2].http })));

    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(results.filter((r) => !r.body.replayed)).toHaveLength(1);
    expect(new Set(results.map((r) => r.body.pointsEarned))).toEqual(new Set([100]));
    expect(await count('questionnaire_responses', client.id)).toBe(1);
    expect(await count('points_entries', client.id)).toBe(1);
    expect(await t1.services.points.balance(client.id)).toBe(100);
  });

  it('5 different submissions at once from one client: five responses, the points once, the archive from one of them', async () => {
    const { client, token } = await consentingClient();

    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => submitIntent(t1, token, intentAnswers({ eagerness: 6 + i }), { agent: [t1, t2][i % 2].http })));

    expect(results.map((r) => r.status)).toEqual(Array(5).fill(201));
    expect(results.map((r) => r.body.pointsEarned).sort()).toEqual([0, 0, 0, 0, 100]);
    expect(await count('questionnaire_responses', client.id)).toBe(5);
    expect(await count('points_entries', client.id)).toBe(1);
    const [intent] = await t1.deps.db.query('SELECT r.public_id FROM client_intents i JOIN questionnaire_responses r ON r.id = i.latest_response_id WHERE i.client_id = ?', [client.id]);
    expect(results.map((r) => r.body.id)).toContain(intent.public_id);
    expect((await t1.services.points.checkConsistency()).drift).toEqual([]);
  });

  it('a second submission of the same version updates the archive and grade but grants no more points', async () => {
    const { client, token } = await consentingClient();
    await submitIntent(t1, token, intentAnswers());

    const second = await submitIntent(t1, token, coldLeadAnswers());

    expect(second.status).toBe(201);
    expect(second.body.pointsEarned).toBe(0);
    expect(await t1.services.points.balance(client.id)).toBe(100);
    const [intent] = await t1.deps.db.query('SELECT lead_grade, intent_score, budget_band FROM client_intents WHERE client_id = ?', [client.id]);
    expect(intent).toEqual({ lead_grade: 'D', intent_score: 19, budget_band: 'entry' });
    const tags = await t1.services.tags.tagsOf(client.id);
    expect(tags.lead_grade).toEqual(['D级-待激活']);
    expect(tags.project).toEqual(['鼻部']);
    expect(tags.value_tier).toEqual(['普通']);
    // The medical history is merged, never shrunk by a later answer.
    expect((await t1.services.clients.getOwnMedical(client.id)).allergies).toEqual(['局部麻醉药过敏']);
  });

  it('a project tag set by staff and a value tier from real spending are kept by a submission', async () => {
    const { client, token } = await consentingClient();
    await t1.deps.db.transaction(async (m) => {
      await t1.services.tags.setDimension(m, client.id, 'project', ['眼部'], 'staff');
      await t1.services.tags.setDimension(m, client.id, 'value_tier', ['高净值'], 'spend');
    });

    await submitIntent(t1, token, coldLeadAnswers());

    const tags = await t1.services.tags.tagsOf(client.id);
    expect(tags.project).toEqual(['眼部', '鼻部']);
    expect(tags.value_tier).toEqual(['高净值']);
  });

  it('a missing required answer, a value out of range, an option that does not exist, an answer to a hidden question and an unknown id: 400 per question, nothing written', async () => {
    const { client, token } = await consentingClient();
    const answers = intentAnswers({
      timeline: undefined, eagerness: 11, budget_max: -5, budget_min: undefined, downtime: 'never_again', past_experience: 'never', past_issue: '肿了很久', shoe_size: 38,
    });

    const res = await submitIntent(t1, token, answers);

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('QUESTIONNAIRE_INVALID_ANSWERS');
    const byField = Object.fromEntries(res.body.error.details.map((d: any) => [d.field, d.type]));
    expect(byField).toEqual({
      'answers.shoe_size': 'answer.unknown',
      'answers.downtime': 'answer.option',
      'answers.timeline': 'answer.required',
      'answers.budget_max': 'answer.range',
      // past_experience 'never' hides the follow-up questions: answering them is refused.
      'answers.past_procedures': 'answer.hidden',
      'answers.past_satisfaction': 'answer.hidden',
      'answers.past_issue': 'answer.hidden',
      'answers.eagerness': 'answer.range',
    });
    await expectNothingWritten(client.id);
  });

  it('refuses wrong types and shapes: text for a number, one value for a multiple choice, "none" combined, too many picks, a budget minimum above the maximum, a past date', async () => {
    const { token } = await consentingClient();
    const answers = intentAnswers({
      budget_max: '5万', areas: 'nose', allergies: ['none', 'latex'], influences: ['doctor', 'cases', 'price', 'reviews'], motivation: ['event'], target_date: '2020-01-01',
    });

    const res = await submitIntent(t1, token, answers);

    expect(res.status).toBe(400);
    const byField = Object.fromEntries(res.body.error.details.map((d: any) => [d.field, d.type]));
    expect(byField).toMatchObject({
      'answers.budget_max': 'answer.type', 'answers.areas': 'answer.type', 'answers.allergies': 'answer.exclusive',
      'answers.influences': 'answer.range', 'answers.target_date': 'answer.range',
    });
    const cap = await submitIntent(t1, token, intentAnswers({ budget_min: 60000 }));
    expect(cap.body.error.details).toEqual([expect.objectContaining({ field: 'answers.budget_min', type: 'answer.range' })]);
  });

  it('health answers without the health-data consent → 403 HEALTH_CONSENT_REQUIRED, nothing written', async () => {
    const client = await createClient(t1);
    const token = await clientToken(t1, client);

    const res = await submitIntent(t1, token, intentAnswers());

    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('HEALTH_CONSENT_REQUIRED');
    await expectNothingWritten(client.id);
  });

  it('a client under 14 with the health consent but no guardian consent → 403 GUARDIAN_CONSENT_REQUIRED', async () => {
    const client = await createClient(t1, { birthDate: '2016-03-01' });
    await t1.deps.db.query(
      "INSERT INTO consents (public_id, client_id, purpose, policy_version, granted_at) VALUES (?, ?, 'health', ?, ?)",
      [randomUUID().replace(/-/g, '').slice(0, 22), client.id, t1.config.policy.healthConsentVersion, new Date(NOW)],
    );

    const res = await submitIntent(t1, await clientToken(t1, client), intentAnswers());

    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('GUARDIAN_CONSENT_REQUIRED');
    await expectNothingWritten(client.id);
  });

  describe('versions', () => {
    it('a submission or draft against an old version (after a new one was published) or an unpublished draft version → 409 with the current id', async () => {
      const director = { type: 'staff' as const, id: 1, role: 'director', ip: null, requestId: null };
      const { code, templateId, versionId: v1 } = await publishedTemplate(t1, intentDefinition(), director);
      const draft2 = await t1.services.questionnaires.createDraftVersion(director, templateId, {});
      const { client, token } = await consentingClient();

      const unpublished = await submitIntent(t1, token, intentAnswers(), { code, versionId: draft2.id });
      await t1.services.questionnaires.publish(director, draft2.id);
      const old = await submitIntent(t1, token, intentAnswers(), { code, versionId: v1 });
      const oldDraft = await t1.http.put(`/api/mp/questionnaires/${code}/draft`).set(bearer(token)).send({ versionId: v1, answers: { areas: ['nose'] } });
      const current = await submitIntent(t2, token, intentAnswers(), { code, versionId: draft2.id });

      expect(unpublished.status).toBe(409);
      expect(unpublished.body.error).toMatchObject({ code: 'QUESTIONNAIRE_VERSION_NOT_CURRENT', details: { field: 'body.versionId', reason: 'unpublished', currentVersionId: v1 } });
      expect(old.status).toBe(409);
      expect(old.body.error).toMatchObject({ code: 'QUESTIONNAIRE_VERSION_NOT_CURRENT', details: { reason: 'superseded', currentVersionId: draft2.id } });
      expect(oldDraft.status).toBe(409);
      expect(current.status).toBe(201);
      expect(current.body.versionId).toBe(draft2.id);
      // Points once per version: this template's version 2 earns them although the intent template's did not come into it.
      expect(current.body.pointsEarned).toBe(100);
      const rows = await t1.deps.db.query('SELECT r.version_id, v.public_id FROM questionnaire_responses r JOIN questionnaire_versions v ON v.id = r.version_id WHERE r.client_id = ?', [client.id]);
      expect(rows.map((r: any) => r.public_id)).toEqual([draft2.id]);
    });

    it('an instance that last saw the old version refuses it once another instance published a newer one, and takes the newer one', async () => {
      const director = { type: 'staff' as const, id: 1, role: 'director', ip: null, requestId: null };
      const { code, templateId, versionId: v1 } = await publishedTemplate(t1, intentDefinition(), director);
      const earlier = await consentingClient();
      expect((await submitIntent(t2, earlier.token, intentAnswers(), { code, versionId: v1 })).status).toBe(201);
      const v2 = await t1.services.questionnaires.createDraftVersion(director, templateId, {});
      await t1.services.questionnaires.publish(director, v2.id);
      const { client, token } = await consentingClient();

      const old = await submitIntent(t2, token, intentAnswers(), { code, versionId: v1 });
      const afterRefusal = await count('questionnaire_responses', client.id);
      const current = await submitIntent(t2, token, intentAnswers(), { code, versionId: v2.id });

      expect(old.status).toBe(409);
      expect(old.body.error).toMatchObject({ code: 'QUESTIONNAIRE_VERSION_NOT_CURRENT', details: { reason: 'superseded', currentVersionId: v2.id } });
      expect(afterRefusal).toBe(0);
      expect(current.status).toBe(201);
      expect(current.body.versionId).toBe(v2.id);
      expect(await count('points_entries', client.id)).toBe(1);
    });

    it('a retry of a submission that went through before a newer version was published still returns its result (not 409)', async () => {
      const director = { type: 'staff' as const, id: 1, role: 'director', ip: null, requestId: null };
      const { code, templateId, versionId: v1 } = await publishedTemplate(t1, intentDefinition(), director);
      const { client, token } = await consentingClient();
      const submissionId = randomUUID();
      const first = await submitIntent(t1, token, intentAnswers(), { code, versionId: v1, submissionId });
      const v2 = await t1.services.questionnaires.createDraftVersion(director, templateId, {});
      await t1.services.questionnaires.publish(director, v2.id);

      const retry = await submitIntent(t2, token, intentAnswers(), { code, versionId: v1, submissionId });

      expect(retry.status).toBe(201);
      expect(retry.body).toEqual({ ...first.body, replayed: true });
      expect(await count('questionnaire_responses', client.id)).toBe(1);
    });

    it('each new published version grants the questionnaire points once more; a draft saved on the old version is carried over', async () => {
      const director = { type: 'staff' as const, id: 1, role: 'director', ip: null, requestId: null };
      const { code, templateId, versionId: v1 } = await publishedTemplate(t1, intentDefinition(), director);
      const { client, token } = await consentingClient();
      await t1.http.put(`/api/mp/questionnaires/${code}/draft`).set(bearer(token)).send({ versionId: v1, answers: { areas: ['eyes'], downtime: 'week' } });
      const first = await submitIntent(t1, token, intentAnswers(), { code, versionId: v1 });
      await t1.http.put(`/api/mp/questionnaires/${code}/draft`).set(bearer(token)).send({ versionId: v1, answers: { areas: ['eyes'], downtime: 'week' } });

      const def = intentDefinition();
      def.sections[0].questions[3].options = def.sections[0].questions[3].options.filter((o: any) => o.value !== 'week');
      const v2 = await t1.services.questionnaires.createDraftVersion(director, templateId, {});
      await t1.services.questionnaires.updateDraftVersion(director, v2.id, def);
      await t1.services.questionnaires.publish(director, v2.id);
      const resumed = await t1.http.get(`/api/mp/questionnaires/${code}/draft`).set(bearer(token));
      const second = await submitIntent(t1, token, intentAnswers({ downtime: 'month' }), { code, versionId: v2.id });

      expect(resumed.body).toMatchObject({ versionId: v2.id, answers: { areas: ['eyes'] }, carriedOver: true, submitted: true });
      expect(resumed.body.answers.downtime).toBeUndefined();
      expect([first.body.pointsEarned, second.body.pointsEarned]).toEqual([100, 100]);
      expect(await t1.services.points.balance(client.id)).toBe(200);
    });
  });
});
