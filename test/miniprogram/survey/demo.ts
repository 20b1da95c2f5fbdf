/**
 * Demo API data of the consultation pages (意向问卷, 我的方案, 意向书, 预约, 满意度, 投诉), shaped
 * like the API's answers, and the screenshots scripts/screenshots.ts takes of them.
 */
import { DEFAULT_INTENT_DEFINITION } from '../../../migrations/1795400200000-Questionnaires';
import type { ApiScript } from '../helpers/wx';
import type { Rendered } from '../helpers/render';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const now = Date.now();
const iso = (offsetMs: number) => new Date(now + offsetMs).toISOString();
/** `days` from today at hh:00 Beijing time, as an ISO instant. */
const beijing = (days: number, hh: number) => {
  const d = new Date(now + 8 * HOUR + days * DAY);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), hh) - 8 * HOUR).toISOString();
};

const Q = '/api/mp/questionnaires/intent';
const VERSION_ID = 'hB3niM6JkomjdAkJjIFQFQ';
const PLAN_ID = 'p1Hk2mPq9RtVwXyZaBcDeF';
const LETTER_ID = 'l1Hk2mPq9RtVwXyZaBcDeF';
const SURVEY_ID = 'v1Hk2mPq9RtVwXyZaBcDeF';

function intentTemplate(): Record<string, unknown> {
  const { rules: _rules, ...def } = JSON.parse(JSON.stringify(DEFAULT_INTENT_DEFINITION)) as Record<string, unknown>;
  return { code: 'intent', versionId: VERSION_ID, version: 1, healthConsentRequired: true, ...def };
}

const draft = (answers: Record<string, unknown>, revision = 3) => ({
  versionId: VERSION_ID, answers, revision, startedAt: iso(-HOUR), updatedAt: iso(-HOUR), submitted: false, carriedOver: false,
});

const ANSWERED = {
  areas: ['nose', 'skin'], expected_effect: ['natural'], downtime: 'week', timeline: 'within_1m', budget_max: 50000, budget_min: 20000, budget_flex: 'some',
  health_general: 'good', chronic: ['none'], allergies: ['none'], medications: ['none'], pregnancy: 'no', past_experience: 'never',
  risk_understanding: 'clear', recovery_understanding: 'clear', maintenance: 'regular', result_expectation: 'varies', heard_from: ['xiaohongshu'],
  influences: ['doctor', 'safety'], motivation: ['confidence', 'event'], eagerness: 8, risk_attitude: 'balanced', preference: 'natural', decision_style: 'compare',
};

const questionnaire = (answers: Record<string, unknown>): ApiScript => ({
  [`GET ${Q}`]: { status: 200, body: intentTemplate() },
  [`GET ${Q}/draft`]: { status: 200, body: draft(answers) },
  [`PUT ${Q}/draft`]: (call) => ({ status: 200, body: { ...draft((call.body as { answers: Record<string, unknown> }).answers, 4), updatedAt: iso(0) } }),
  [`POST ${Q}/submissions`]: {
    status: 201,
    body: {
      id: 'r1Hk2mPq9RtVwXyZaBcDeF', versionId: VERSION_ID, submittedAt: iso(0), pointsEarned: 200, replayed: false,
      summary: {
        areas: [{ value: 'nose', label: '鼻部' }, { value: 'skin', label: '皮肤（斑点、痘印、松弛、肤色）' }], budgetMaxFen: 5_000_000, budgetMinFen: 2_000_000,
        message: '感谢您的信任！医生会认真阅读您的回答，专属顾问将在 1 个工作日内联系您。',
      },
    },
  },
});

const OPTIONS = {
  surgical: { projectCodes: ['rhinoplasty'], description: '膨体隆鼻 + 耳软骨鼻尖塑形：鼻梁更挺、鼻尖更自然，一次到位，效果持久。' },
  nonSurgical: { projectCodes: ['hyaluronic_filler'], description: '玻尿酸注射隆鼻：无需开刀，当天可恢复日常，效果维持约 12 个月，可随时调整。' },
};
const RISK_PLAN = '您有局部麻醉药过敏史：术前做皮试，改用替代麻醉方案；术前 7 天停用阿司匹林等抗凝药；术后 48 小时内冰敷，第 7 天复诊拆线。';

const plan = {
  id: PLAN_ID, status: 'proposed', currentRevision: 2, acceptedRevision: null, priceMinFen: 1_800_000, priceMaxFen: 3_500_000,
  proposedAt: iso(-2 * HOUR), acceptedAt: null, updatedAt: iso(-2 * HOUR), doctor: { name: '陈静' },
  revision: { revision: 2, options: OPTIONS, priceMinFen: 1_800_000, priceMaxFen: 3_500_000, recoveryDays: 14, riskPlan: RISK_PLAN, createdAt: iso(-3 * HOUR), proposedAt: iso(-2 * HOUR) },
  revisions: [{ revision: 1, proposedAt: iso(-3 * DAY) }, { revision: 2, proposedAt: iso(-2 * HOUR) }],
  changeRequests: [{ id: 'q1Hk2mPq9RtVwXyZaBcDeF', revision: 1, comment: '希望恢复期能短一些，也想了解不开刀的办法。', createdAt: iso(-2 * DAY) }],
  letterId: null,
};

const appointment = (over: Record<string, unknown>) => ({
  id: 'a1Hk2mPq9RtVwXyZaBcDeF', kind: 'consultation', status: 'confirmed', at: beijing(1, 14), durationMinutes: 30, note: null, letterId: null,
  confirmedAt: iso(-HOUR), cancelledAt: null, createdAt: iso(-DAY), updatedAt: iso(-HOUR), ...over,
});

const letter = {
  id: LETTER_ID, planId: PLAN_ID, revision: 2, confirmedAt: iso(-HOUR),
  snapshot: {
    planId: PLAN_ID, revision: 2, doctor: { name: '陈静' }, options: OPTIONS, priceMinFen: 1_800_000, priceMaxFen: 3_500_000, recoveryDays: 14,
    riskPlan: RISK_PLAN, proposedAt: iso(-2 * HOUR), confirmedAt: iso(-HOUR),
    appointment: { id: 'a2Hk2mPq9RtVwXyZaBcDeF', kind: 'consultation', at: beijing(3, 10), durationMinutes: 30 },
  },
  appointment: appointment({ id: 'a2Hk2mPq9RtVwXyZaBcDeF', status: 'requested', at: beijing(3, 10), letterId: LETTER_ID, confirmedAt: null }),
};

const INDICATORS: [string, string][] = [
  ['attitude', '服务态度'], ['professionalism', '医生专业水平'], ['environment', '就诊环境与卫生'], ['communication', '术前沟通'], ['waiting', '等候时间'],
  ['explanation', '风险与费用说明'], ['painManagement', '疼痛控制'], ['aftercare', '术后关怀'], ['value', '性价比'], ['privacy', '隐私保护'],
];
const survey = (over: Record<string, unknown> = {}) => ({
  id: SURVEY_ID, status: 'open', expiresAt: iso(5 * DAY),
  order: { id: 'o1Hk2mPq9RtVwXyZaBcDeF', paidAt: iso(-2 * DAY), doctor: { name: '陈静' }, projects: [{ id: 'j1Hk2mPq9RtVwXyZaBcDeF', name: '玻尿酸填充' }] },
  questions: INDICATORS.map(([key, label]) => ({ key, label })), answer: null, canShare: false, sharedAt: null, ...over,
});

/** The screenshots of the consultation pages (same shape as scripts/screenshots.ts's Shot). */
export const SURVEY_SHOTS: { name: string; page: string; api?: ApiScript; query?: Record<string, string>; after?: (page: Rendered) => Promise<void> }[] = [
  { name: 'questionnaire-intro', page: 'packageSurvey/questionnaire/index', api: questionnaire({}) },
  { name: 'questionnaire-areas', page: 'packageSurvey/questionnaire/index', api: questionnaire({ areas: ['nose', 'skin'], expected_effect: ['natural'] }) },
  {
    name: 'questionnaire-missing',
    page: 'packageSurvey/questionnaire/index',
    api: questionnaire({ areas: ['nose'], expected_effect: ['natural'], downtime: 'week', timeline: 'within_1m', budget_max: 30000, budget_min: 40000 }),
    after: async (page) => page.tap('.next-btn'),
  },
  { name: 'questionnaire-health', page: 'packageSurvey/questionnaire/index', query: { code: 'intent', section: '2' }, api: questionnaire({ areas: ['nose'], health_general: 'good', allergies: ['local_anesthetic'] }) },
  { name: 'questionnaire-mindset', page: 'packageSurvey/questionnaire/index', api: questionnaire({ ...ANSWERED, eagerness: undefined, risk_attitude: undefined, preference: undefined, decision_style: undefined }) },
  { name: 'questionnaire-done', page: 'packageSurvey/questionnaire/index', api: questionnaire({ ...ANSWERED, visit: 'soon' }), after: async (page) => page.tap('.submit-btn') },
  { name: 'plan', page: 'packageSurvey/plan/index', api: { 'GET /api/mp/plans/:id': { status: 200, body: plan } } },
  { name: 'plan-accept', page: 'packageSurvey/plan/index', api: { 'GET /api/mp/plans/:id': { status: 200, body: plan } }, after: async (page) => page.tap('.accept-btn') },
  { name: 'letter', page: 'packageSurvey/letter/index', query: { id: LETTER_ID }, api: { 'GET /api/mp/intent-letters/:id': { status: 200, body: letter } } },
  {
    name: 'appointments',
    page: 'packageSurvey/appointments/index',
    api: {
      'GET /api/mp/appointments': {
        status: 200,
        body: {
          items: [
            appointment({ id: 'a3Hk2mPq9RtVwXyZaBcDeF', status: 'requested', at: beijing(3, 10), letterId: LETTER_ID, note: '想先了解鼻部方案' }),
            appointment({}),
            appointment({ id: 'a4Hk2mPq9RtVwXyZaBcDeF', status: 'completed', at: beijing(-30, 15) }),
          ],
          page: 1,
          hasMore: false,
        },
      },
    },
  },
  { name: 'appointments-new', page: 'packageSurvey/appointments/index', query: { new: '1' } },
  { name: 'survey', page: 'packageSurvey/survey/index', query: { id: SURVEY_ID }, api: { 'GET /api/mp/surveys/:id': { status: 200, body: survey() } } },
  {
    name: 'survey-thanks',
    page: 'packageSurvey/survey/index',
    query: { id: SURVEY_ID },
    api: {
      'GET /api/mp/surveys/:id': {
        status: 200,
        body: survey({
          status: 'answered', canShare: true,
          answer: { indicators: Object.fromEntries(INDICATORS.map(([k]) => [k, 5])), nps: 10, comment: '陈医生特别耐心，环境也很舒服。', answeredAt: iso(-HOUR), via: 'miniprogram' },
        }),
      },
    },
  },
  {
    name: 'complaint',
    page: 'packageSurvey/complaint/index',
    api: {
      'GET /api/mp/complaints': {
        status: 200,
        body: { items: [{ id: 'c9Hk2mPq9RtVwXyZaBcDeF', category: 'waiting', status: 'resolved', createdAt: iso(-20 * DAY), resolvedAt: iso(-20 * DAY + 5 * HOUR) }] },
      },
    },
  },
];
