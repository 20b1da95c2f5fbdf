/**
 * The questionnaire end to end: the page and its request wrapper against the real API server over
 * HTTP (real MariaDB and Redis, the WeChat stand-in minting wx.login codes), answers given by taps
 * and typing, read back from MySQL.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestContext, type TestContext } from '../../helpers/context';
import { fakeOpenid } from '../../helpers/login';
import { questionnaireAad } from '../../../src/modules/questionnaires';
import { httpAdapter, installWx, callsTo, type Adapter, type ApiCall } from '../helpers/wx';
import type { Rendered } from '../helpers/render';
import { answerShown, errorOf, mpService, render, settled, shownQuestions, until } from './helpers';

const PAGE = 'packageSurvey/questionnaire/index';
const SUBMIT = 'POST /api/mp/questionnaires/intent/submissions';

/** Every required question of the default intent questionnaire, answered as a hot lead would (with the ones their answers open). */
const ANSWERS: Record<string, unknown> = {
  areas: ['nose', 'skin'], expected_effect: ['natural'], downtime: 'week', timeline: 'within_1m',
  budget_max: 50000, budget_min: 20000, budget_flex: 'some',
  health_general: 'good', chronic: ['none'], allergies: ['local_anesthetic'], medications: ['none'], pregnancy: 'no',
  past_experience: 'non_surgical', past_procedures: ['filler'], past_satisfaction: 'ok',
  risk_understanding: 'clear', recovery_understanding: 'clear', maintenance: 'regular', result_expectation: 'varies',
  heard_from: ['xiaohongshu'], influences: ['doctor', 'safety'],
  motivation: ['confidence'], eagerness: 9, risk_attitude: 'balanced', preference: 'natural', decision_style: 'quick', visit: 'soon',
};
const HEALTH = ['health_general', 'chronic', 'allergies', 'medications', 'pregnancy', 'past_experience', 'past_procedures', 'past_satisfaction'];

let t: TestContext;
let server: http.Server;
let baseUrl: string;

beforeAll(async () => {
  t = await createTestContext();
  server = http.createServer(t.handle.app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

/**
 * The real API over HTTP. Logins come from 127.0.0.1 like every test's, so the address's login
 * counter is cleared after each (as test/helpers/login.ts does). `loseSubmitAnswers` drops the
 * answer of that many submissions after the server handled them: the phone's network failed on
 * the way back.
 */
function realApi(opts: { loseSubmitAnswers?: number } = {}): Adapter {
  const real = httpAdapter(baseUrl);
  let lose = opts.loseSubmitAnswers ?? 0;
  return {
    async handle(call: ApiCall) {
      const res = await real.handle(call);
      if (call.path === '/api/mp/auth/login') {
        await Promise.all(['127.0.0.1', '::ffff:127.0.0.1', '::1'].map((ip) => t.services.mpAuth.resetLoginLimits(ip)));
      }
      if (`${call.method} ${call.path}` === SUBMIT && lose > 0) {
        lose -= 1;
        return { network: 'fail' };
      }
      return res;
    },
  };
}

/** A new phone: fresh storage, wx.login answering stand-in codes for one WeChat user. */
function newPhone(adapter: Adapter): { openid: string } {
  const openid = fakeOpenid();
  const state = installWx({ adapter });
  state.nextLoginCode = () => t.standIn.issueLoginCode({ openid });
  return { openid };
}

async function clientIdOf(openid: string): Promise<number> {
  const [row] = await t.deps.db.query('SELECT id FROM clients WHERE openid = ?', [openid]);
  return Number(row.id);
}

async function serverDraft(clientId: number): Promise<Record<string, unknown>> {
  return (await t.services.questionnaires.getDraft(clientId, 'intent')).answers;
}

/** Answers the current section and moves on (the step saves the draft). */
async function fillSection(page: Rendered): Promise<string[]> {
  const done = await answerShown(page, ANSWERS);
  await settled(page);
  const section = page.data.sectionIndex;
  if (!page.data.isLast) {
    await page.tap('.next-btn');
    await until(page, () => page.data.sectionIndex !== section || page.data.phase !== 'form', 'the next section');
    await settled(page);
  }
  return done;
}

async function grantConsentsAsTheClient(): Promise<void> {
  const me = mpService<{ grantConsent(p: string): Promise<unknown> }>('services/me', baseUrl);
  await me.grantConsent('privacy');
  await me.grantConsent('health');
}

describe('questionnaire end to end (page → API → MySQL)', () => {
  it('fills the default questionnaire by taps, autosaves on the server, asks for the health consent, submits; the response and one points entry are in MySQL', async () => {
    const { openid } = newPhone(realApi());
    let page = await render(PAGE, { keepWx: true, baseUrl });
    expect(page.data.phase).toBe('intro');
    expect(page.wx.loginCodes).toHaveLength(1); // logged in silently on the first call

    await page.tap('.start-btn');
    await until(page, () => page.data.phase === 'form');
    const goals = await fillSection(page);
    expect(goals).toEqual(['areas', 'expected_effect', 'downtime', 'timeline']);

    // Autosave: what was answered so far is on the server, encrypted in questionnaire_drafts.
    const clientId = await clientIdOf(openid);
    expect(await serverDraft(clientId)).toEqual({ areas: ['nose', 'skin'], expected_effect: ['natural'], downtime: 'week', timeline: 'within_1m' });
    const [draftRow] = await t.deps.db.query('SELECT revision, answers_enc FROM questionnaire_drafts WHERE client_id = ?', [clientId]);
    expect(Number(draftRow.revision)).toBeGreaterThanOrEqual(1);
    expect(draftRow.answers_enc).toBeInstanceOf(Buffer);

    // Budget, then the health section: no consent yet, so off to the consent page first.
    await fillSection(page);
    await until(page, () => page.wx.navigations.length > 0, 'the consent page');
    expect(page.data.phase).toBe('consent');
    expect(page.wx.navigations[0]).toEqual({ type: 'redirectTo', url: `/packageMe/privacy/index?next=${encodeURIComponent('/packageSurvey/questionnaire/index?code=intent&section=2')}` });
    expect(shownQuestions(page)).toEqual([]);
    expect(await serverDraft(clientId)).toMatchObject({ budget_max: 50000, budget_min: 20000, budget_flex: 'some' });

    // The client consents; the consent page brings them back to the health section.
    await grantConsentsAsTheClient();
    page = await render(PAGE, { keepWx: true, baseUrl, query: { code: 'intent', section: '2' } });
    expect(page.data.sectionTitle).toBe('健康状况');
    expect(page.text()).toContain('您的健康信息仅医生可见，已加密保存');

    while (page.data.phase === 'form' && !page.data.isLast) await fillSection(page);
    expect(page.data.sectionTitle).toBe('您的想法与偏好');
    await fillSection(page);
    const draftBeforeSubmit = await serverDraft(clientId);
    expect(Object.keys(draftBeforeSubmit).sort()).toEqual(Object.keys(ANSWERS).sort());

    await page.tap('.submit-btn');
    await until(page, () => page.data.phase === 'done', 'the submission');
    expect(callsTo(SUBMIT)).toHaveLength(1);
    const points = page.data.result.points as number;
    expect(points).toBeGreaterThan(0);
    expect(page.text()).toContain(`+${points} 积分`);
    expect(page.text()).toContain('鼻部、皮肤');

    // Read back from MySQL: one response, the answers as given (health ones apart), one points entry.
    const responses = await t.deps.db.query('SELECT public_id, answers_enc, health_answers_enc, points_awarded FROM questionnaire_responses WHERE client_id = ?', [clientId]);
    expect(responses).toHaveLength(1);
    const r = responses[0];
    const plain = JSON.parse(t.services.cipher.decrypt(r.answers_enc, questionnaireAad.answers(r.public_id)));
    const health = JSON.parse(t.services.cipher.decrypt(r.health_answers_enc, questionnaireAad.healthAnswers(r.public_id)));
    expect({ ...plain, ...health }).toEqual(ANSWERS);
    expect(Object.keys(health).sort()).toEqual([...HEALTH].sort());
    const entries = await t.deps.db.query("SELECT delta FROM points_entries WHERE client_id = ? AND reason = 'questionnaire'", [clientId]);
    expect(entries).toEqual([{ delta: points }]);
    expect(Number(r.points_awarded)).toBe(points);
    // The draft is cleared once submitted.
    expect((await t.deps.db.query('SELECT answers_enc FROM questionnaire_drafts WHERE client_id = ?', [clientId]))[0].answers_enc).toBeNull();
  });

  it('when the session ends on the server mid-way, the next autosave logs in again and the draft is intact', async () => {
    const { openid } = newPhone(realApi());
    const page = await render(PAGE, { keepWx: true, baseUrl });
    await page.tap('.start-btn');
    await until(page, () => page.data.phase === 'form');
    await fillSection(page);
    const clientId = await clientIdOf(openid);
    const tokenBefore = (page.wx.storage.get('session.token') as { token: string }).token;

    // The session is revoked server-side (e.g. logged out everywhere) while the client keeps filling in.
    expect(await t.services.sessions.revokeAll({ kind: 'client', clientId })).toBe(1);
    await answerShown(page, { budget_max: 30000, budget_flex: 'strict' });
    await settled(page);

    expect(page.wx.loginCodes).toHaveLength(2);
    expect((page.wx.storage.get('session.token') as { token: string }).token).not.toBe(tokenBefore);
    expect(page.data.saveState).toBe('saved');
    expect(await serverDraft(clientId)).toEqual({
      areas: ['nose', 'skin'], expected_effect: ['natural'], downtime: 'week', timeline: 'within_1m', budget_max: 30000, budget_flex: 'strict',
    });
  });

  it('when the answer to the submission is lost, the retry carries the same id: one response, one points entry', async () => {
    const { openid } = newPhone(realApi({ loseSubmitAnswers: 1 }));
    await grantConsentsAsTheClient();
    const clientId = await clientIdOf(openid);
    // Everything but the last question was filled in earlier (saved as the page saves it).
    const q = mpService<{ saveDraft(code: string, body: object): Promise<unknown> }>('services/questionnaire', baseUrl);
    const { visit: _visit, ...earlier } = ANSWERS;
    await q.saveDraft('intent', { versionId: 'hB3niM6JkomjdAkJjIFQFQ', answers: earlier });

    const page = await render(PAGE, { keepWx: true, baseUrl });
    expect(page.data.sectionTitle).toBe('您的想法与偏好');
    await page.tap('.submit-btn');
    expect(errorOf(page, 'visit')).toBe('请选择一项'); // shown before sending
    expect(callsTo(SUBMIT)).toHaveLength(0);

    await answerShown(page, { visit: 'soon' });
    await settled(page);
    await page.tap('.submit-btn');
    await until(page, () => page.data.phase === 'done', 'the submission');

    const ids = callsTo(SUBMIT).map((c) => (c.body as { submissionId: string }).submissionId);
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(ids[0]);
    const points = page.data.result.points as number;
    expect(points).toBeGreaterThan(0); // the first result, answered again
    expect(await t.deps.db.query('SELECT COUNT(*) AS n FROM questionnaire_responses WHERE client_id = ?', [clientId])).toEqual([{ n: 1 }]);
    expect(await t.deps.db.query("SELECT delta FROM points_entries WHERE client_id = ? AND reason = 'questionnaire'", [clientId])).toEqual([{ delta: points }]);
  });
});
