import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import { Client } from '../../src/modules/clients/clients.entity';
import { Staff } from '../../src/modules/staff/staff.entity';
import { clientAad } from '../../src/modules/clients';
import {
  coldLeadAnswers, giveHealthConsent, INTENT_TEMPLATE_ID, INTENT_VERSION_ID, intentAnswers, intentDefinition, submitIntent, uniqueCode,
} from '../helpers/questionnaires';

const NOW = '2026-06-01T04:00:00.000Z';

describe('questionnaires for staff: templates, leads and responses', () => {
  let t: TestContext;
  let director: Staff;
  let directorToken: string;
  let doctorToken: string;
  let serviceToken: string;

  beforeAll(async () => {
    t = await createTestContext({ now: NOW });
    director = await createStaff(t, 'director');
    directorToken = await staffToken(t, director);
    doctorToken = await staffToken(t, await createStaff(t, 'doctor'));
    serviceToken = await staffToken(t, await createStaff(t, 'customer_service'));
  });
  afterAll(async () => {
    await t?.close();
  });

  const staffGet = (token: string, path: string) => t.http.get(path).set(bearer(token));

  /** A client (with a name, assigned to `consultant`) who submitted the intent questionnaire. */
  async function lead(answers: Record<string, unknown>, consultant: Staff | null, name = '林晓雯') {
    const client = await createClient(t, {
      consultantId: consultant?.id ?? null, birthDate: '1994-05-12', gender: 'female',
    });
    await t.deps.db.getRepository(Client).update({ id: client.id }, { nameEnc: t.services.cipher.encrypt(name, clientAad.client(client.publicId, 'name')) });
    await giveHealthConsent(t, client.id);
    const token = await clientToken(t, client);
    const res = await submitIntent(t, token, answers);
    expect(res.status).toBe(201);
    return { client, token, responseId: res.body.id as string };
  }

  describe('templates (director)', () => {
    it('lists the default intent template with its published version 1', async () => {
      const res = await staffGet(doctorToken, '/api/staff/questionnaire-templates');
      expect(res.status).toBe(200);
      expect(res.body.items).toEqual(expect.arrayContaining([
        expect.objectContaining({ id: INTENT_TEMPLATE_ID, code: 'intent', publishedVersionId: INTENT_VERSION_ID }),
      ]));
    });

    it('create → draft version 1; edit the draft; publish; a published version cannot be edited; a new draft copies it; each step audited', async () => {
      const code = uniqueCode();
      const created = await t.http.post('/api/staff/questionnaire-templates').set(bearer(directorToken)).send({ code, definition: intentDefinition() });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ code, title: '变美意向问卷', publishedVersionId: null, versions: [{ number: 1, status: 'draft', current: false }] });
      const v1 = created.body.versions[0].id;

      const def = intentDefinition();
      def.title = '变美意向问卷（第二版）';
      const edited = await t.http.put(`/api/staff/questionnaire-versions/${v1}`).set(bearer(directorToken)).send({ definition: def });
      expect(edited.status).toBe(200);
      expect(edited.body.definition.title).toBe('变美意向问卷（第二版）');
      const notYet = await t.http.get(`/api/mp/questionnaires/${code}`).set(bearer(await clientToken(t, await createClient(t))));
      expect(notYet.status).toBe(409);
      expect(notYet.body.error.code).toBe('QUESTIONNAIRE_NOT_PUBLISHED');

      const published = await t.http.post(`/api/staff/questionnaire-versions/${v1}/publish`).set(bearer(directorToken));
      expect(published.status).toBe(200);
      expect(published.body).toMatchObject({ status: 'published', current: true, publishedAt: NOW });

      const locked = await t.http.put(`/api/staff/questionnaire-versions/${v1}`).set(bearer(directorToken)).send({ definition: intentDefinition() });
      expect(locked.status).toBe(409);
      expect(locked.body.error.code).toBe('QUESTIONNAIRE_VERSION_NOT_DRAFT');
      const [row] = await t.deps.db.query('SELECT definition FROM questionnaire_versions WHERE public_id = ?', [v1]);
      expect((typeof row.definition === 'string' ? JSON.parse(row.definition) : row.definition).title).toBe('变美意向问卷（第二版）');
      const again = await t.http.post(`/api/staff/questionnaire-versions/${v1}/publish`).set(bearer(directorToken));
      expect(again.status).toBe(409);

      const v2 = await t.http.post(`/api/staff/questionnaire-templates/${created.body.id}/versions`).set(bearer(directorToken)).send({});
      expect(v2.status).toBe(201);
      expect(v2.body).toMatchObject({ number: 2, status: 'draft', current: false, definition: { title: '变美意向问卷（第二版）' } });
      const twice = await t.http.post(`/api/staff/questionnaire-templates/${created.body.id}/versions`).set(bearer(directorToken)).send({});
      expect(twice.status).toBe(409);
      expect(twice.body.error).toMatchObject({ code: 'QUESTIONNAIRE_DRAFT_EXISTS', details: { versionId: v2.body.id } });

      const actions = await t.deps.db.query("SELECT action FROM audit_log WHERE actor_id = ? AND action LIKE 'questionnaire.%' ORDER BY id", [director.id]);
      expect(actions.map((a: any) => a.action)).toEqual(expect.arrayContaining([
        'questionnaire.template.create', 'questionnaire.version.update', 'questionnaire.version.publish', 'questionnaire.version.create',
      ]));
    });

    it('an invalid definition is refused with the reason and the path: missing question in a condition, duplicate ids, option without value, forward reference', async () => {
      const def = intentDefinition();
      def.sections[0].questions[1].showIf = { q: 'ghost', in: ['x'] };
      def.sections[1].questions[2].id = 'budget_max';
      def.sections[0].questions[4].showIf = { q: 'visit', in: ['soon'] };
      const noValue = intentDefinition();
      noValue.sections[0].questions[0].options[0] = { label: '鼻部' };

      const codes = [uniqueCode(), uniqueCode()];
      const res = await t.http.post('/api/staff/questionnaire-templates').set(bearer(directorToken)).send({ code: codes[0], definition: def });
      const res2 = await t.http.post('/api/staff/questionnaire-templates').set(bearer(directorToken)).send({ code: codes[1], definition: noValue });

      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('QUESTIONNAIRE_DEFINITION_INVALID');
      expect(res.body.error.details).toEqual(expect.arrayContaining([
        expect.objectContaining({ field: 'body.definition.sections.0.questions.1.showIf.q', type: 'definition.unknown_question', message: expect.stringContaining('ghost') }),
        expect.objectContaining({ field: 'body.definition.sections.1.questions.2.id', type: 'definition.duplicate_id' }),
        expect.objectContaining({ field: 'body.definition.sections.0.questions.4.showIf.q', type: 'definition.forward_reference' }),
      ]));
      expect(res2.status).toBe(400);
      expect(res2.body.error.details).toEqual([expect.objectContaining({ field: 'body.definition.sections.0.questions.0.options.0.value', type: 'any.required' })]);
      expect(await t.deps.db.query('SELECT id FROM questionnaire_templates WHERE code IN (?)', [codes])).toEqual([]);
    });

    it('a money question without max (or beyond what fits in fen) is refused when the director creates or edits a template, with the path', async () => {
      const noMax = intentDefinition();
      delete noMax.sections[1].questions[0].max;
      const tooBig = intentDefinition();
      tooBig.sections[1].questions[0].max = 1e13;
      const code = uniqueCode();

      const created = await t.http.post('/api/staff/questionnaire-templates').set(bearer(directorToken)).send({ code, definition: noMax });
      const draft = await t.http.post('/api/staff/questionnaire-templates').set(bearer(directorToken)).send({ code, definition: intentDefinition() });
      expect(draft.status).toBe(201);
      const edited = await t.http.put(`/api/staff/questionnaire-versions/${draft.body.versions[0].id}`).set(bearer(directorToken)).send({ definition: tooBig });

      for (const res of [created, edited]) {
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({
          code: 'QUESTIONNAIRE_DEFINITION_INVALID', details: [expect.objectContaining({ field: 'body.definition.sections.1.questions.0.max', type: 'definition.range' })],
        });
      }
      const [{ definition }] = await t.deps.db.query('SELECT v.definition FROM questionnaire_versions v JOIN questionnaire_templates t ON t.id = v.template_id WHERE t.code = ?', [code]);
      expect((typeof definition === 'string' ? JSON.parse(definition) : definition).sections[1].questions[0].max).toBe(2000000);
    });

    it('only the director changes templates (a consultant → 403); a taken code → 409', async () => {
      const consultantToken = await staffToken(t, await createStaff(t, 'consultant'));
      const code = uniqueCode();
      const denied = await t.http.post('/api/staff/questionnaire-templates').set(bearer(consultantToken)).send({ code, definition: intentDefinition() });
      const taken = await t.http.post('/api/staff/questionnaire-templates').set(bearer(directorToken)).send({ code: 'intent', definition: intentDefinition() });

      expect(denied.status).toBe(403);
      expect(taken.status).toBe(409);
      expect(taken.body.error.code).toBe('QUESTIONNAIRE_CODE_TAKEN');
      expect(await t.deps.db.query('SELECT id FROM questionnaire_templates WHERE code = ?', [code])).toHaveLength(0);
    });
  });

  describe('leads', () => {
    it('a consultant sees their own leads, A first then by score, with key answers and expectation flags (no health data); audited', async () => {
      const consultant = await createStaff(t, 'consultant');
      const token = await staffToken(t, consultant);
      const other = await createStaff(t, 'consultant');
      const cold = await lead(coldLeadAnswers({ result_expectation: 'guaranteed' }), consultant, '王丽娟');
      const hot = await lead(intentAnswers(), consultant, '林晓雯');
      const warm = await lead(intentAnswers({ timeline: 'within_3m', eagerness: 6, budget_flex: 'strict', visit: 'later', decision_style: 'compare', recovery_understanding: 'partly' }), consultant);
      await lead(intentAnswers(), other);
      await lead(intentAnswers(), null);

      const res = await staffGet(token, '/api/staff/leads');

      expect(res.status).toBe(200);
      expect(res.body.total).toBe(3);
      expect(res.body.items.map((i: any) => [i.client.id, i.leadGrade, i.intentScore])).toEqual([
        [hot.client.publicId, 'A', 98], [warm.client.publicId, 'B', 72], [cold.client.publicId, 'D', 19],
      ]);
      const top = res.body.items[0];
      expect(top).toMatchObject({
        client: { name: '林晓雯', gender: 'female', age: 32, stage: 'surveyed', consultant: { id: consultant.publicId } },
        responseId: hot.responseId,
        projects: [{ value: 'nose', label: '鼻部' }, { value: 'skin', label: '皮肤（斑点、痘印、松弛、肤色）' }],
        budgetMaxFen: 5_000_000, budgetBand: 'premium', riskTolerance: 'medium', intentComponents: { urgency: 100, budget_fit: 95, readiness: 100 },
      });
      expect(top.keyAnswers).toEqual(expect.arrayContaining([{ id: 'timeline', title: '您打算什么时候开始？', answer: '一个月内' }]));
      // At rest the key answers are ciphertext bound to their client: no answer value in the row, and another row's key does not open it.
      const [stored] = await t.deps.db.query('SELECT client_id, key_answers_enc FROM client_intents WHERE client_id = ?', [hot.client.id]);
      expect(Buffer.isBuffer(stored.key_answers_enc)).toBe(true);
      expect(stored.key_answers_enc.toString('latin1')).not.toMatch(/timeline|within_/);
      expect(JSON.parse(t.services.cipher.decrypt(stored.key_answers_enc, `client_intents:${hot.client.id}:key_answers`))).toMatchObject({ timeline: expect.any(String) });
      expect(() => t.services.cipher.decrypt(stored.key_answers_enc, `client_intents:${warm.client.id}:key_answers`)).toThrow();
      expect(res.body.items[2].expectationFlags).toEqual([
        { code: 'expects_guarantee', label: '期待医院保证效果' }, { code: 'budget_far_below', label: '预算远低于项目价格区间' },
      ]);
      const text = JSON.stringify(res.body);
      for (const health of ['局部麻醉', 'anticoagulant', 'allergies', 'safety']) expect(text).not.toContain(health);
      const [audit] = await t.deps.db.query("SELECT details FROM audit_log WHERE actor_id = ? AND action = 'lead.list' ORDER BY id DESC LIMIT 1", [consultant.id]);
      const details = typeof audit.details === 'string' ? JSON.parse(audit.details) : audit.details;
      expect(details.clientIds.sort()).toEqual([cold.client.id, hot.client.id, warm.client.id].sort());
    });

    it('filters by grade and project, pages; the director sees all and can ask for unassigned leads; customer service → 403', async () => {
      const consultant = await createStaff(t, 'consultant');
      const token = await staffToken(t, consultant);
      await lead(intentAnswers({ areas: ['eyes'] }), consultant);
      await lead(intentAnswers({ areas: ['nose'] }), consultant);
      await lead(coldLeadAnswers({ areas: ['eyes'] }), consultant);
      const unassigned = await lead(intentAnswers({ areas: ['body'] }), null);

      const eyesA = await staffGet(token, '/api/staff/leads?grade=A&project=eyes');
      const page2 = await staffGet(token, '/api/staff/leads?pageSize=2&page=2');
      const mine = await staffGet(directorToken, `/api/staff/leads?consultantId=${consultant.publicId}&grade=A&grade=D`);
      const open = await staffGet(directorToken, '/api/staff/leads?unassigned=true&project=body&pageSize=100');
      const denied = await staffGet(serviceToken, '/api/staff/leads');

      expect(eyesA.body.items.map((i: any) => [i.leadGrade, i.projects[0].value])).toEqual([['A', 'eyes']]);
      expect(page2.body).toMatchObject({ total: 3, page: 2, pageSize: 2 });
      expect(page2.body.items.map((i: any) => i.leadGrade)).toEqual(['D']);
      expect(mine.body.total).toBe(3);
      expect(open.body.items.map((i: any) => i.client.id)).toContain(unassigned.client.publicId);
      expect(open.body.items.every((i: any) => i.client.consultant === null)).toBe(true);
      expect(denied.status).toBe(403);
    });
  });

  describe('a submitted questionnaire', () => {
    it('a doctor opens it with every answer, health included, and the safety flags; audited as a read of the client archive', async () => {
      const doctor = await createStaff(t, 'doctor');
      const { client, responseId } = await lead(intentAnswers({ pregnancy: 'breastfeeding', chronic: ['keloid'] }), null);

      const res = await staffGet(await staffToken(t, doctor), `/api/staff/questionnaire-responses/${responseId}`);

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: responseId, client: { id: client.publicId }, versionId: INTENT_VERSION_ID, versionNumber: 1, leadGrade: 'A', intentScore: 98 });
      const health = res.body.sections.find((s: any) => s.id === 'health');
      expect(health.answers).toEqual(expect.arrayContaining([
        { id: 'allergies', title: '您对以下哪些东西过敏？', type: 'multiple', value: ['local_anesthetic'], display: ['局部麻醉药（如利多卡因）'] },
        expect.objectContaining({ id: 'pregnancy', value: 'breastfeeding', display: '哺乳期' }),
      ]));
      expect(res.body.safetyFlags.map((f: any) => f.code)).toEqual(['allergy_local_anesthetic', 'anticoagulant', 'pregnancy', 'keloid']);
      expect(res.body.safetyFlags[0]).toEqual({ code: 'allergy_local_anesthetic', label: '局部麻醉药过敏', severity: 'contraindication' });
      expect(res.body.redacted).toBeUndefined();
      const [audit] = await t.deps.db.query("SELECT actor_role, allowed, details FROM audit_log WHERE client_id = ? AND action = 'client.read' AND actor_id = ?", [client.id, doctor.id]);
      const details = typeof audit.details === 'string' ? JSON.parse(audit.details) : audit.details;
      expect(audit).toMatchObject({ actor_role: 'doctor', allowed: 1 });
      expect(details).toMatchObject({ via: 'questionnaire_response', responseId, sections: ['questionnaire', 'health', 'safety_flags'] });
    });

    it('a consultant reading the same questionnaire gets no health answer and no safety flag (doctor-only fields are hidden)', async () => {
      const consultant = await createStaff(t, 'consultant');
      const { responseId } = await lead(intentAnswers({ allergies: ['other'], allergy_other: '芒果过敏', pregnancy: 'pregnant' }), consultant);

      const res = await staffGet(await staffToken(t, consultant), `/api/staff/questionnaire-responses/${responseId}`);

      expect(res.status).toBe(200);
      expect(res.body.redacted).toEqual(['health_answers', 'safety_flags']);
      expect(res.body.safetyFlags).toBeUndefined();
      expect(res.body.sections.map((s: any) => s.id)).toEqual(['goals', 'budget', 'understanding', 'channel', 'mindset']);
      const text = JSON.stringify(res.body);
      for (const health of ['芒果', 'pregnan', '怀孕', 'allergies', 'anticoagulant', 'past_procedures']) expect(text).not.toContain(health);
      expect(res.body.sections[0].answers[0]).toMatchObject({ id: 'areas', value: ['nose', 'skin'] });
    });

    it('a consultant not assigned to the client → 404, audited as refused; customer service → 403', async () => {
      const consultant = await createStaff(t, 'consultant');
      const { client, responseId } = await lead(intentAnswers(), await createStaff(t, 'consultant'));

      const res = await staffGet(await staffToken(t, consultant), `/api/staff/questionnaire-responses/${responseId}`);
      const cs = await staffGet(serviceToken, `/api/staff/questionnaire-responses/${responseId}`);

      expect(res.status).toBe(404);
      expect(cs.status).toBe(403);
      const rows = await t.deps.db.query("SELECT allowed FROM audit_log WHERE client_id = ? AND action = 'client.read' AND actor_id = ?", [client.id, consultant.id]);
      expect(rows).toEqual([{ allowed: 0 }]);
    });

    it('latestResponseFor gives other modules the newest response: id, version, time, score and grade', async () => {
      const { client, token } = await lead(intentAnswers(), null);
      const second = await submitIntent(t, token, coldLeadAnswers());

      expect(await t.services.questionnaires.latestResponseFor(client.id)).toEqual({
        publicId: second.body.id, versionId: INTENT_VERSION_ID, submittedAt: new Date(NOW), intentScore: 19, leadGrade: 'D',
      });
      expect(await t.services.questionnaires.latestResponseFor((await createClient(t)).id)).toBeNull();
    });
  });

  describe('the client’s rights reach the questionnaire (PIPL)', () => {
    it('withdrawing the health consent erases the health answers, the safety flags and the drafts; the doctor sees that they are gone', async () => {
      const { client, token, responseId } = await lead(intentAnswers(), null);
      const saved = await t.http.put('/api/mp/questionnaires/intent/draft').set(bearer(token)).send({ versionId: INTENT_VERSION_ID, answers: { areas: ['eyes'], allergies: ['latex'] } });
      expect(saved.status).toBe(200);

      const del = await t.http.delete('/api/mp/me/consents/health').set(bearer(token));
      const res = await staffGet(doctorToken, `/api/staff/questionnaire-responses/${responseId}`);

      expect(del.status).toBe(200);
      const [row] = await t.deps.db.query('SELECT health_answers_enc, safety_flags_enc, answers_enc FROM questionnaire_responses WHERE client_id = ?', [client.id]);
      expect(row).toMatchObject({ health_answers_enc: null, safety_flags_enc: null });
      expect(row.answers_enc).toBeInstanceOf(Buffer);
      expect(await t.deps.db.query('SELECT answers_enc FROM questionnaire_drafts WHERE client_id = ?', [client.id])).toEqual([{ answers_enc: null }]);
      expect(res.body).toMatchObject({ healthErased: true, safetyFlags: [] });
      expect(res.body.sections.find((s: any) => s.id === 'health')?.answers ?? []).toEqual([]);
      expect(res.body.sections.find((s: any) => s.id === 'goals').answers.length).toBeGreaterThan(0);
    });

    it('the client’s export includes their questionnaire answers; deleting the account erases every questionnaire row', async () => {
      const { client, token } = await lead(intentAnswers({ area_detail: '鼻梁偏低' }), null);

      const exp = await t.http.post('/api/mp/me/exports').set(bearer(token));
      const data = await t.http.get(`/api/mp/me/exports/${exp.body.id}`).set(bearer(token));
      const gone = await t.http.delete('/api/mp/me').set(bearer(token)).send({ confirm: true });

      expect(data.status).toBe(200);
      expect(data.body.questionnaires).toEqual([expect.objectContaining({ code: 'intent', answers: expect.arrayContaining([
        { id: 'area_detail', title: '具体想改善的地方（选填）', answer: '鼻梁偏低' },
        { id: 'allergies', title: '您对以下哪些东西过敏？', answer: ['局部麻醉药（如利多卡因）'] },
      ]) })]);
      expect(gone.status).toBe(204);
      for (const table of ['questionnaire_responses', 'questionnaire_drafts', 'client_intents']) {
        expect(await t.deps.db.query(`SELECT client_id FROM ${table} WHERE client_id = ?`, [client.id])).toEqual([]);
      }
    });
  });
});
