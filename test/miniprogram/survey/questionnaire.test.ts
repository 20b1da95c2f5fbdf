import { loggedIn } from '../helpers/render';
import { callsTo } from '../helpers/wx';
import { allTypesTemplate, choose, draft, errorOf, intentTemplate, pickDate, profile, question, render, scale, shownQuestions, type, until } from './helpers';

const PAGE = 'packageSurvey/questionnaire/index';
const Q = '/api/mp/questionnaires/intent';

function api(template: any, over: Record<string, any> = {}): Record<string, any> {
  return {
    [`GET ${Q}`]: { status: 200, body: template },
    [`GET ${Q}/draft`]: { status: 200, body: draft() },
    [`PUT ${Q}/draft`]: (call: any) => ({ status: 200, body: draft(call.body.answers, { revision: (call.body.revision ?? 0) + 1, updatedAt: '2026-03-08T06:30:00.000Z' }) }),
    'GET /api/mp/me': { status: 200, body: profile(true) },
    ...over,
  };
}

describe('questionnaire page: rendering', () => {
  it('renders every question type with its required mark, hints and ranges', async () => {
    const page = await render(PAGE, { storage: loggedIn(), api: api(allTypesTemplate()) });
    expect(page.text()).toContain('开始填写');
    await page.tap('.start-btn');

    expect(shownQuestions(page)).toEqual(['pick', 'many', 'eager', 'budget', 'nick', 'story', 'when', 'areas']);
    expect(question(page, 'pick').querySelectorAll('.q-option')).toHaveLength(2);
    expect(question(page, 'many').dom.textContent).toContain('可多选，最多 2 项');
    expect(question(page, 'eager').querySelectorAll('.q-scale-point')).toHaveLength(10);
    expect(question(page, 'eager').dom.textContent).toContain('非常');
    expect(question(page, 'budget').dom.textContent).toContain('元');
    expect(question(page, 'budget').dom.textContent).toContain('0–100000元');
    expect(question(page, 'story').dom.textContent).toContain('0/300');
    expect(question(page, 'when').dom.textContent).toContain('请选择日期');
    // Body areas: the figure has a place for nose, eyes and body; the scalp is a chip only.
    const picker = question(page, 'areas').querySelector('.q-body-area')!;
    expect(picker.querySelectorAll('.spot-dot')).toHaveLength(3);
    expect(picker.querySelectorAll('.area-chip')).toHaveLength(4);
    // Required marks on required questions only.
    const marked = shownQuestions(page).filter((id) => question(page, id).querySelector('.q-required'));
    expect(marked).toEqual(['pick', 'many', 'eager', 'budget', 'areas']);
  });

  it('shows a follow-up question only while the answer that opens it is given', async () => {
    const page = await render(PAGE, { storage: loggedIn(), api: api(allTypesTemplate()) });
    await page.tap('.start-btn');
    expect(shownQuestions(page)).not.toContain('why');

    await choose(page, 'pick', '是');
    expect(shownQuestions(page).slice(0, 2)).toEqual(['pick', 'why']);
    await choose(page, 'pick', '否');
    expect(shownQuestions(page)).not.toContain('why');
  });

  it('answers every type and keeps the answers as the API takes them', async () => {
    const page = await render(PAGE, { storage: loggedIn(), api: api(allTypesTemplate()) });
    await page.tap('.start-btn');
    await choose(page, 'pick', '是');
    await type(page, 'why', '想更自信');
    await choose(page, 'many', '甲');
    await choose(page, 'many', '乙');
    await choose(page, 'many', '丙'); // a third pick is refused: at most 2
    expect(page.wx.toasts.at(-1)?.title).toBe('最多选择 2 项');
    await scale(page, 'eager', 8);
    await type(page, 'budget', '50000');
    expect(question(page, 'budget').dom.textContent).toContain('约 5 万元');
    await type(page, 'story', '鼻梁偏低');
    await pickDate(page, 'when', '2099-05-20');
    await choose(page, 'areas', '鼻部');
    await choose(page, 'areas', '头皮');
    await page.call('saveNow');

    const saved = callsTo(`PUT ${Q}/draft`).at(-1)!.body as any;
    expect(saved.answers).toEqual({ pick: 'yes', why: '想更自信', many: ['a', 'b'], eager: 8, budget: 50000, story: '鼻梁偏低', when: '2099-05-20', areas: ['nose', 'scalp'] });
    expect(saved.versionId).toBe('AllTypesVersion0000001');
  });

  it('keeps "none of these" on its own', async () => {
    const page = await render(PAGE, { storage: loggedIn(), api: api(allTypesTemplate()) });
    await page.tap('.start-btn');
    await choose(page, 'many', '甲');
    await choose(page, 'many', '都没有');
    expect(question(page, 'many').instance.data.picked).toEqual(['none']);
    await choose(page, 'many', '乙');
    expect(question(page, 'many').instance.data.picked).toEqual(['b']);
  });
});

describe('questionnaire page: drafts', () => {
  it('saves the draft a moment after a change, building on the revision it loaded', async () => {
    const page = await render(PAGE, {
      storage: loggedIn(),
      api: api(intentTemplate(), { [`GET ${Q}/draft`]: { status: 200, body: draft({ areas: ['nose'] }, { revision: 4 }) } }),
    });
    expect(callsTo(`PUT ${Q}/draft`)).toHaveLength(0);

    await choose(page, 'downtime', '一周左右');

    const puts = callsTo(`PUT ${Q}/draft`);
    expect(puts).toHaveLength(1);
    expect(puts[0].body).toEqual({ versionId: 'hB3niM6JkomjdAkJjIFQFQ', answers: { areas: ['nose'], downtime: 'week' }, revision: 4 });
    expect(page.data.saveText).toBe('已自动保存 14:30');
  });

  it('resumes at the first section with something left to answer, with the saved answers filled in', async () => {
    const goals = { areas: ['nose', 'skin'], expected_effect: ['natural'], downtime: 'week', timeline: 'within_1m' };
    const page = await render(PAGE, { storage: loggedIn(), api: api(intentTemplate(), { [`GET ${Q}/draft`]: { status: 200, body: draft({ ...goals, budget_max: 30000 }) } }) });

    expect(page.wx.toasts[0].title).toBe('已为您恢复上次填写的内容');
    expect(page.data.sectionTitle).toBe('预算');
    expect(question(page, 'budget_max').instance.data.text).toBe('30000');
    await page.tap('.prev-btn');
    expect(page.data.sectionTitle).toBe('您的变美计划');
    expect(question(page, 'areas').instance.data.picked).toEqual(['nose', 'skin']);
  });

  it('after a draft conflict (another phone saved), takes the other answers and saves again on the newer revision', async () => {
    const page = await render(PAGE, {
      storage: loggedIn(),
      api: api(intentTemplate(), {
        [`GET ${Q}/draft`]: [
          { status: 200, body: draft({ areas: ['nose'] }, { revision: 2 }) },
          { status: 200, body: draft({ areas: ['nose'], timeline: 'within_3m' }, { revision: 5 }) },
        ],
        [`PUT ${Q}/draft`]: [
          { status: 409, body: { error: { code: 'QUESTIONNAIRE_DRAFT_CONFLICT', message: 'saved meanwhile', details: { field: 'body.revision', revision: 5 } } } },
          { status: 200, body: draft({}, { revision: 6 }) },
        ],
      }),
    });
    await choose(page, 'downtime', '一个月以内');

    const puts = callsTo(`PUT ${Q}/draft`);
    expect(puts).toHaveLength(2);
    expect(puts[1].body).toMatchObject({ revision: 5, answers: { areas: ['nose'], timeline: 'within_3m', downtime: 'month' } });
    expect(page.wx.toasts.map((t) => t.title)).toContain('已合并您在其他设备上的填写');
  });

  it('when the token expired mid-way, logs in again and saves the same draft', async () => {
    const page = await render(PAGE, {
      storage: loggedIn('old-token'),
      api: api(intentTemplate(), {
        [`GET ${Q}/draft`]: { status: 200, body: draft({ areas: ['nose'] }, { revision: 2 }) },
        'POST /api/mp/auth/login': { status: 200, body: { token: 'new-token', expiresIn: 3600, client: { id: 'ClientPublicId00000001', isNew: false } } },
        [`PUT ${Q}/draft`]: [
          { status: 401, body: { error: { code: 'TOKEN_INVALID', message: 'expired' } } },
          (call: any) => ({ status: 200, body: draft(call.body.answers, { revision: 3 }) }),
        ],
      }),
    });
    await choose(page, 'downtime', '一周左右');

    const puts = callsTo(`PUT ${Q}/draft`);
    expect(puts).toHaveLength(2);
    expect(puts[0].headers.Authorization).toBe('Bearer old-token');
    expect(puts[1].headers.Authorization).toBe('Bearer new-token');
    expect(puts[1].body).toEqual(puts[0].body);
    expect(callsTo('POST /api/mp/auth/login')).toHaveLength(1);
    expect(page.data.saveState).toBe('saved');
  });

  it('when the network is down, says the draft will be saved later and saves it with the next change', async () => {
    const page = await render(PAGE, {
      storage: loggedIn(),
      api: api(intentTemplate(), {
        [`GET ${Q}/draft`]: { status: 200, body: draft({ areas: ['nose'] }, { revision: 2 }) },
        [`PUT ${Q}/draft`]: [{ network: 'fail' }, { network: 'fail' }, { network: 'fail' }, (call: any) => ({ status: 200, body: draft(call.body.answers, { revision: 3 }) })],
      }),
    });
    await choose(page, 'downtime', '一周左右');
    await until(page, () => page.data.saveState !== 'saving');
    expect(callsTo(`PUT ${Q}/draft`)).toHaveLength(3);
    expect(page.data.saveState).toBe('offline');
    expect(page.text()).toContain('网络不稳定，恢复后会自动保存');

    await choose(page, 'timeline', '一个月内');
    await until(page, () => page.data.saveState !== 'saving');
    const last = callsTo(`PUT ${Q}/draft`).at(-1)!;
    expect(last.body).toMatchObject({ answers: { areas: ['nose'], downtime: 'week', timeline: 'within_1m' }, revision: 2 });
    expect(page.data.saveState).toBe('saved');
  });
});

describe('questionnaire page: health consent', () => {
  it('sends a client without the health consent to the consent page before the health questions', async () => {
    const goals = { areas: ['nose'], expected_effect: ['natural'], downtime: 'week', timeline: 'within_1m', budget_max: 30000, budget_flex: 'some' };
    const page = await render(PAGE, {
      storage: loggedIn(),
      api: api(intentTemplate(), { [`GET ${Q}/draft`]: { status: 200, body: draft(goals) }, 'GET /api/mp/me': { status: 200, body: profile(false) } }),
    });

    expect(page.data.phase).toBe('consent');
    expect(shownQuestions(page)).toEqual([]);
    expect(page.text()).toContain('接下来是健康相关的问题');
    expect(page.wx.navigations).toEqual([
      { type: 'redirectTo', url: `/packageMe/privacy/index?next=${encodeURIComponent('/packageSurvey/questionnaire/index?code=intent&section=2')}` },
    ]);
  });

  it('coming back with the consent, opens the health section it left from', async () => {
    const page = await render(PAGE, { storage: loggedIn(), query: { code: 'intent', section: '2' }, api: api(intentTemplate(), { [`GET ${Q}/draft`]: { status: 200, body: draft({ areas: ['nose'] }) } }) });
    expect(page.data.phase).toBe('form');
    expect(page.data.sectionTitle).toBe('健康状况');
    expect(shownQuestions(page)).toContain('allergies');
    expect(page.text()).toContain('仅医生可见');
  });
});

describe('questionnaire page: consent withdrawn meanwhile', () => {
  it('saves the other answers without the health ones, and asks for the consent again', async () => {
    const page = await render(PAGE, {
      storage: loggedIn(),
      query: { code: 'intent', section: '2' },
      api: api(intentTemplate(), {
        [`GET ${Q}/draft`]: { status: 200, body: draft({ areas: ['nose'], health_general: 'good' }) },
        'GET /api/mp/me': [{ status: 200, body: profile(true) }, { status: 200, body: profile(false) }],
        [`PUT ${Q}/draft`]: [
          { status: 403, body: { error: { code: 'HEALTH_CONSENT_REQUIRED', message: 'consent first', details: { requiredVersion: '2026-01' } } } },
          (call: any) => ({ status: 200, body: draft(call.body.answers, { revision: 4 }) }),
        ],
      }),
    });
    expect(page.data.sectionTitle).toBe('健康状况');
    await choose(page, 'pregnancy', '都不是');
    await until(page, () => page.wx.navigations.length > 0, 'the consent page');

    const puts = callsTo(`PUT ${Q}/draft`);
    expect(puts[0].body).toMatchObject({ answers: { areas: ['nose'], health_general: 'good', pregnancy: 'no' } });
    expect(puts[1].body).toMatchObject({ answers: { areas: ['nose'] } });
    expect(Object.keys((puts[1].body as any).answers)).toEqual(['areas']);
    expect(page.wx.navigations[0].url).toBe(`/packageMe/privacy/index?next=${encodeURIComponent('/packageSurvey/questionnaire/index?code=intent&section=2')}`);
  });
});

describe('questionnaire page: submitting', () => {
  const complete = () => ({
    areas: ['nose', 'skin'], expected_effect: ['natural'], downtime: 'week', timeline: 'within_1m', budget_max: 50000, budget_min: 20000, budget_flex: 'some',
    health_general: 'good', chronic: ['none'], allergies: ['none'], medications: ['none'], pregnancy: 'no', past_experience: 'never',
    risk_understanding: 'clear', recovery_understanding: 'clear', maintenance: 'regular', result_expectation: 'varies', heard_from: ['xiaohongshu'],
    influences: ['doctor'], motivation: ['confidence'], eagerness: 9, risk_attitude: 'balanced', preference: 'natural', decision_style: 'quick',
  });
  const accepted = (call: any) => ({
    status: 201,
    body: {
      id: 'ResponsePublicId000001', versionId: call.body.versionId, submittedAt: '2026-03-08T06:30:00.000Z', pointsEarned: 200, replayed: false,
      summary: { areas: [{ value: 'nose', label: '鼻部' }], budgetMaxFen: 5000000, budgetMinFen: 2000000, message: '医生会尽快为您准备建议' },
    },
  });

  it('shows a missing required answer before sending anything', async () => {
    const page = await render(PAGE, { storage: loggedIn(), api: api(intentTemplate(), { [`GET ${Q}/draft`]: { status: 200, body: draft(complete()) } }) });
    expect(page.data.sectionTitle).toBe('您的想法与偏好'); // the one question left is on the last section
    await page.tap('.submit-btn');

    expect(callsTo(`POST ${Q}/submissions`)).toHaveLength(0);
    expect(errorOf(page, 'visit')).toBe('请选择一项');
    expect(page.wx.toasts.at(-1)?.title).toBe('还有 1 道题需要完成');
  });

  it('shows the server\'s per-question error (a range only it checks) next to the question, on its section', async () => {
    const page = await render(PAGE, {
      storage: loggedIn(),
      api: api(intentTemplate(), {
        [`GET ${Q}/draft`]: { status: 200, body: draft({ ...complete(), visit: 'soon' }) },
        [`POST ${Q}/submissions`]: {
          status: 400,
          body: { error: { code: 'QUESTIONNAIRE_INVALID_ANSWERS', message: 'Some answers are not valid', details: [{ field: 'answers.budget_max', message: 'budget_max must be at most 2000000', type: 'answer.range' }] } },
        },
      }),
    });
    await page.tap('.submit-btn');

    expect(callsTo(`POST ${Q}/submissions`)).toHaveLength(1);
    expect(page.data.sectionTitle).toBe('预算');
    expect(errorOf(page, 'budget_max')).toBe('请填写 0–2,000,000元 之间的数值');
    expect(page.wx.toasts.at(-1)?.title).toBe('有几道题需要修改，请看题目下方的提示');

    // Changing the answer clears the message.
    await type(page, 'budget_max', '40000');
    expect(errorOf(page, 'budget_max')).toBe('');
  });

  it('when the network drops on submit, tries again with the same submission id, and keeps it until success', async () => {
    const page = await render(PAGE, {
      storage: loggedIn(),
      api: api(intentTemplate(), {
        [`GET ${Q}/draft`]: { status: 200, body: draft({ ...complete(), visit: 'soon' }) },
        [`POST ${Q}/submissions`]: [{ network: 'fail' }, { network: 'timeout' }, { network: 'fail' }, { network: 'fail' }, accepted],
      }),
    });
    await page.tap('.submit-btn');
    await until(page, () => !page.data.submitting);
    // Three tries (the wrapper retries a call that carries its id), then the client is told.
    expect(callsTo(`POST ${Q}/submissions`)).toHaveLength(3);
    expect(page.wx.toasts.at(-1)?.title).toBe('网络不太稳定，请检查网络后重试，您的回答已保存');
    expect(page.data.phase).toBe('form');

    await page.tap('.submit-btn');
    await until(page, () => !page.data.submitting);
    const ids = callsTo(`POST ${Q}/submissions`).map((c) => (c.body as any).submissionId);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(page.data.phase).toBe('done');
    expect(page.text()).toContain('+200 积分');
    expect(page.text()).toContain('¥20,000 – ¥50,000');
    expect(page.wx.storage.has('questionnaire.pendingSubmissionId.intent')).toBe(false);
  });

  it('sends only the answers of shown questions', async () => {
    const page = await render(PAGE, {
      storage: loggedIn(),
      api: api(intentTemplate(), {
        // treatment_detail was answered, then health_general changed: it is hidden now.
        [`GET ${Q}/draft`]: { status: 200, body: draft({ ...complete(), visit: 'soon', treatment_detail: '高血压' }) },
        [`POST ${Q}/submissions`]: accepted,
      }),
    });
    await page.tap('.submit-btn');
    const body = callsTo(`POST ${Q}/submissions`)[0].body as any;
    expect(body.answers.treatment_detail).toBeUndefined();
    expect(body.answers.visit).toBe('soon');
  });
});
