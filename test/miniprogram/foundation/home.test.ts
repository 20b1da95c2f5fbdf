/** 首页: the client's stage and next step, composed from five API answers (services/home.ts). */
import { renderPage, loggedIn, appDefinition } from '../helpers/render';
import { installWx, mockApi, callsTo, flush, type ApiScript } from '../helpers/wx';

const HOUR = 3600_000;
const profile = (over: object = {}) => ({
  id: 'c1', name: '林小美', gender: 'female', birthDate: '1994-05-20', phone: '138****5678', address: null, referralCode: 'MEI8K2Q', stage: 'lead',
  consents: { privacy: { policyVersion: '2026-01', current: true }, health: null, guardian: null }, ...over,
});
const notFound = { status: 404, body: { error: { code: 'NOT_FOUND', message: 'no submission' } } };
const plan = (status: string) => ({
  id: `plan-${status}`, status, currentRevision: 1, acceptedRevision: status === 'accepted' ? 1 : null, priceMinFen: 100000, priceMaxFen: 200000,
  proposedAt: new Date().toISOString(), acceptedAt: null, updatedAt: new Date().toISOString(), doctor: { name: '陈静' },
});
const appointment = (status: string, atMs: number) => ({
  id: `appt-${status}`, kind: 'consultation', status, at: new Date(atMs).toISOString(), durationMinutes: 30, note: null, letterId: null,
});
const submission = { id: 's1', versionId: 'v1', submittedAt: new Date().toISOString(), pointsEarned: 200, summary: { areas: [], budgetMinFen: null, budgetMaxFen: null, message: 'ok' } };

function api(over: ApiScript = {}): ApiScript {
  return {
    'GET /api/mp/me': { status: 200, body: profile() },
    'GET /api/mp/plans': { status: 200, body: { items: [] } },
    'GET /api/mp/appointments': { status: 200, body: { items: [], page: 1, hasMore: false } },
    'GET /api/mp/surveys': { status: 200, body: { items: [] } },
    'GET /api/mp/questionnaires/intent/submissions/latest': notFound,
    ...over,
  };
}

describe('home: next step by stage', () => {
  it('a new client is asked to fill the intent questionnaire, and the button opens it', async () => {
    const page = await renderPage('pages/index/index', { storage: loggedIn(), api: api() });
    expect(page.text()).toContain('林小美');
    expect(page.texts('.stage-tag')).toEqual(['新朋友']);
    expect(page.texts('.next-title')).toEqual(['先花3分钟，告诉我们您的想法']);
    expect(page.texts('.next-action')).toEqual(['开始填写']);
    await page.tap('.next-card');
    expect(page.wx.navigations).toEqual([{ type: 'navigateTo', url: '/packageSurvey/questionnaire/index' }]);
    // Every source was asked once.
    for (const route of ['GET /api/mp/me', 'GET /api/mp/plans', 'GET /api/mp/appointments', 'GET /api/mp/surveys', 'GET /api/mp/questionnaires/intent/submissions/latest']) {
      expect(callsTo(route)).toHaveLength(1);
    }
  });

  it('after the questionnaire: thanks, and an offer to book the consultation', async () => {
    const page = await renderPage('pages/index/index', {
      storage: loggedIn(),
      api: api({ 'GET /api/mp/me': { status: 200, body: profile({ stage: 'surveyed' }) }, 'GET /api/mp/questionnaires/intent/submissions/latest': { status: 200, body: submission } }),
    });
    expect(page.texts('.next-title')).toEqual(['问卷已收到，谢谢您']);
    expect(page.text()).not.toContain('开始填写');
    expect(page.texts('.progress-now')).toEqual(['面诊']);
  });

  it('a proposed plan: see the plan (with the doctor), the plan id in the link', async () => {
    const page = await renderPage('pages/index/index', {
      storage: loggedIn(),
      api: api({
        'GET /api/mp/me': { status: 200, body: profile({ stage: 'plan_proposed' }) },
        'GET /api/mp/plans': { status: 200, body: { items: [plan('proposed')] } },
        'GET /api/mp/questionnaires/intent/submissions/latest': { status: 200, body: submission },
      }),
    });
    expect(page.texts('.next-title')).toEqual(['医生为您制定了专属方案']);
    expect(page.texts('.next-text')[0]).toContain('陈静医生');
    expect(page.texts('.stage-tag')).toEqual(['方案待确认']);
    await page.tap('.next-action');
    expect(page.wx.navigations[0]).toEqual({ type: 'navigateTo', url: '/packageSurvey/plan/index?id=plan-proposed' });
  });

  it('an upcoming appointment comes first; the plan is still listed below', async () => {
    const page = await renderPage('pages/index/index', {
      storage: loggedIn(),
      api: api({
        'GET /api/mp/me': { status: 200, body: profile({ stage: 'booked' }) },
        'GET /api/mp/plans': { status: 200, body: { items: [plan('proposed')] } },
        'GET /api/mp/appointments': { status: 200, body: { items: [appointment('cancelled', Date.now() + 2 * HOUR), appointment('confirmed', Date.now() + 26 * HOUR)], page: 1, hasMore: false } },
      }),
    });
    expect(page.texts('.next-title')[0]).toMatch(/面诊$/);
    expect(page.texts('.next-text')).toEqual(['预约已确认，请提前10分钟到院，我们在这里等您']);
    expect(page.texts('.other-card .h3')).toEqual(['医生为您制定了专属方案']);
    await page.tap('.other-card');
    expect(page.wx.navigations[0].url).toBe('/packageSurvey/plan/index?id=plan-proposed');
  });

  it('an accepted plan without an appointment: book one', async () => {
    const page = await renderPage('pages/index/index', {
      storage: loggedIn(),
      api: api({ 'GET /api/mp/me': { status: 200, body: profile({ stage: 'plan_accepted' }) }, 'GET /api/mp/plans': { status: 200, body: { items: [plan('accepted')] } } }),
    });
    expect(page.texts('.next-title')).toEqual(['方案已确认，预约到院时间']);
  });

  it('follow-up due after a procedure: the satisfaction survey first', async () => {
    const survey = { id: 'sv1', status: 'open', expiresAt: new Date(Date.now() + 72 * HOUR).toISOString(), order: { id: 'o1', paidAt: null, doctor: null, projects: [{ id: 'p', name: '水光针' }] } };
    const page = await renderPage('pages/index/index', {
      storage: loggedIn(),
      api: api({ 'GET /api/mp/me': { status: 200, body: profile({ stage: 'post_op' }) }, 'GET /api/mp/surveys': { status: 200, body: { items: [survey] } } }),
    });
    expect(page.texts('.stage-tag')).toEqual(['术后恢复期']);
    expect(page.texts('.next-title')).toEqual(['邀您做一次满意度回访']);
    expect(page.texts('.next-text')[0]).toContain('水光针');
    await page.tap('.next-action');
    expect(page.wx.navigations[0].url).toBe('/packageSurvey/survey/index?id=sv1');
  });

  it('post-op without a survey due: a caring note', async () => {
    const page = await renderPage('pages/index/index', { storage: loggedIn(), api: api({ 'GET /api/mp/me': { status: 200, body: profile({ stage: 'post_op' }) }, 'GET /api/mp/questionnaires/intent/submissions/latest': { status: 200, body: submission } }) });
    expect(page.texts('.next-title')).toEqual(['术后恢复期，我们一直都在']);
  });
});

describe('home: failures', () => {
  it('one source failing shows a gentle banner and keeps what loaded; retry reloads', async () => {
    const page = await renderPage('pages/index/index', {
      storage: loggedIn(),
      api: api({ 'GET /api/mp/surveys': [{ status: 503, body: { error: { code: 'NOT_READY', message: 'x' } } }, { status: 200, body: { items: [] } }] }),
    });
    expect(page.texts('.error-message')).toEqual(['服务正在启动，请稍后再试']);
    expect(page.texts('.next-title')).toEqual(['先花3分钟，告诉我们您的想法']);
    await page.tap('.error-retry');
    expect(page.has('.error-message')).toBe(false);
    expect(callsTo('GET /api/mp/surveys')).toHaveLength(2);
  });

  it('an unknown questionnaire state (failed) does not ask for the questionnaire again', async () => {
    const page = await renderPage('pages/index/index', {
      storage: loggedIn(),
      api: api({ 'GET /api/mp/questionnaires/intent/submissions/latest': { status: 500, body: { error: { code: 'INTERNAL', message: 'x' } } } }),
    });
    expect(page.text()).not.toContain('开始填写');
    expect(page.texts('.error-message')).toEqual(['服务开小差了，请稍后再试']);
  });

  it('no network at all: the friendly network message, no next step', async () => {
    const { mpModule } = await import('../helpers/render');
    mpModule<{ config: { retryDelaysMs: number[] } }>('utils/config').config.retryDelaysMs = [0, 0];
    const page = await renderPage('pages/index/index', { storage: loggedIn(), api: { 'GET /api/mp/:x': { network: 'fail' }, 'GET /api/mp/:x/:y': { network: 'fail' }, 'GET /api/mp/:x/:y/:z/:w': { network: 'fail' } } });
    expect(page.texts('.error-message')).toEqual(['网络不太稳定，请检查网络后重试']);
    expect(page.has('.next-card')).toBe(false);
    // The quick entries still work offline.
    expect(page.texts('.entry-label')).toEqual(['意向问卷', '我的方案', '我的预约', '积分商城', '推荐有礼', '意见反馈']);
  });
});

describe('home: opened from a share with an invalid referral code', () => {
  it('the client is registered anyway and told gently on the home page', async () => {
    const wx = installWx({
      adapter: mockApi({
        ...api(),
        'POST /api/mp/auth/login': { status: 200, body: { token: 'tok', expiresIn: 7200, client: { id: 'c1', isNew: true }, referral: { bound: false, reason: 'REFERRAL_CODE_UNKNOWN' } } },
      }),
    });
    const app = appDefinition();
    app.onLaunch.call(app, { path: 'pages/index/index', query: { ref: 'NOSUCH1' }, scene: 1007 });
    await flush();
    expect(callsTo('POST /api/mp/auth/login')[0].body).toEqual({ code: 'code-1', launch: { referralCode: 'NOSUCH1', scene: 1007 } });

    const page = await renderPage('pages/index/index', { keepWx: true, query: { ref: 'NOSUCH1' } });
    expect(page.texts('.referral-notice .grow')).toEqual(['邀请码无效，您已正常注册，不影响使用']);
    expect(wx.toasts).toEqual([{ title: '邀请码无效，您已正常注册，不影响使用', icon: 'none' }]);
    // Registered: the page loaded with the new session.
    expect(page.texts('.next-title')).toEqual(['先花3分钟，告诉我们您的想法']);
    await page.tap('.notice-close');
    expect(page.has('.referral-notice')).toBe(false);
    // Told once only.
    await page.call('onShow');
    expect(page.has('.referral-notice')).toBe(false);
    expect(wx.toasts).toHaveLength(1);
  });
});

describe('home: quick entries and sharing', () => {
  it('each entry opens its page; the share carries the own referral code', async () => {
    const page = await renderPage('pages/index/index', { storage: loggedIn(), api: api() });
    await page.tap('.entry', 4);
    expect(page.wx.navigations).toEqual([{ type: 'navigateTo', url: '/packageLoyalty/referral/index' }]);
    expect(page.instance.onShareAppMessage()).toEqual({ title: expect.any(String), path: '/pages/index/index?ref=MEI8K2Q' });
    await page.call('onPullDownRefresh');
    expect(callsTo('GET /api/mp/me')).toHaveLength(2);
    expect(page.wx.other.stopPullDownRefresh).toHaveLength(1);
  });
});

describe('home: opened from a share with a referral code that bound the client', () => {
  const bound = () => ({
    ...api(),
    'POST /api/mp/auth/login': { status: 200, body: { token: 'tok', expiresIn: 7200, client: { id: 'c1', isNew: true }, referral: { bound: true } } },
    'PUT /api/mp/referrals/status-consent': { status: 200, body: { sharesStatus: true, decidedAt: '2026-03-01T04:00:00.000Z' } },
  });
  async function launchBound(script: ApiScript = bound()) {
    installWx({ adapter: mockApi(script) });
    const app = appDefinition();
    app.onLaunch.call(app, { path: 'pages/index/index', query: { ref: 'MEI8K2Q' }, scene: 1007 });
    await flush();
    return renderPage('pages/index/index', { keepWx: true, query: { ref: 'MEI8K2Q' } });
  }

  it('asks, unticked, whether the referrer may see the progress; a tick and 确定 send yes once, and the question is gone', async () => {
    const page = await launchBound();
    expect(page.has('.referral-consent')).toBe(true);
    expect(page.data.referralShare).toBe(false);

    await page.tap('.referral-share-check');
    await page.tap('.referral-consent-save');

    expect(callsTo('PUT /api/mp/referrals/status-consent').map((c) => c.body)).toEqual([{ sharesStatus: true }]);
    expect(page.has('.referral-consent')).toBe(false);
    await page.call('onShow');
    expect(page.has('.referral-consent')).toBe(false);
  });

  it('确定 without a tick sends no: nothing is shared unless the client says so', async () => {
    const page = await launchBound();
    await page.tap('.referral-consent-save');
    expect(callsTo('PUT /api/mp/referrals/status-consent').map((c) => c.body)).toEqual([{ sharesStatus: false }]);
    expect(page.has('.referral-consent')).toBe(false);
  });

  it('a failed save keeps the question and says so', async () => {
    const page = await launchBound({ ...bound(), 'PUT /api/mp/referrals/status-consent': { status: 500, body: { error: { code: 'INTERNAL', message: 'x' } } } });
    await page.tap('.referral-consent-save');
    expect(page.has('.referral-consent')).toBe(true);
    expect(page.wx.toasts.at(-1)).toMatchObject({ icon: 'none' });
  });
});
