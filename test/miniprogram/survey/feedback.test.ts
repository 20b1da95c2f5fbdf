/** 满意度 (packageSurvey/survey) and 投诉 (packageSurvey/complaint). */
import { loggedIn } from '../helpers/render';
import { callsTo } from '../helpers/wx';
import { render, until } from './helpers';

const SURVEY_ID = 'SurveyPublicId00000001';
const LABELS: Record<string, string> = {
  attitude: '服务态度', professionalism: '医生专业水平', environment: '就诊环境与卫生', communication: '术前沟通', waiting: '等候时间',
  explanation: '风险与费用说明', painManagement: '疼痛控制', aftercare: '术后关怀', value: '性价比', privacy: '隐私保护',
};

function survey(over: Record<string, unknown> = {}): any {
  return {
    id: SURVEY_ID, status: 'open', expiresAt: new Date(Date.now() + 5 * 86400_000).toISOString(),
    order: { id: 'OrderPublicId000000001', paidAt: new Date(Date.now() - 2 * 86400_000).toISOString(), doctor: { name: '李医生' }, projects: [{ id: 'ProjectPublicId0000001', name: '玻尿酸填充' }] },
    questions: Object.entries(LABELS).map(([key, label]) => ({ key, label })),
    answer: null, canShare: false, sharedAt: null, ...over,
  };
}

function answered(nps: number, score: number, canShare: boolean): any {
  return survey({
    status: 'answered', canShare,
    answer: { indicators: Object.fromEntries(Object.keys(LABELS).map((k) => [k, score])), nps, comment: '很专业', answeredAt: new Date().toISOString(), via: 'miniprogram' },
  });
}

/** Gives every indicator `stars` stars (five star elements per indicator, in order). */
async function rateAll(page: any, stars: number): Promise<void> {
  const rows = page.comp.querySelectorAll('.indicator').length;
  for (let i = 0; i < rows; i++) await page.tap('.star', i * 5 + (stars - 1));
}

describe('满意度评价', () => {
  it('rates the ten indicators and the NPS, and sends them once with the comment', async () => {
    const page = await render('packageSurvey/survey/index', {
      storage: loggedIn(),
      api: {
        'GET /api/mp/surveys': { status: 200, body: { items: [survey()] } },
        'GET /api/mp/surveys/:id': { status: 200, body: survey() },
        'POST /api/mp/surveys/:id/answers': { status: 200, body: { survey: answered(10, 5, true), replayed: false } },
      },
    });
    expect(page.text()).toContain('玻尿酸填充');
    expect(page.texts('.indicator')).toHaveLength(10);
    expect(page.texts('.nps-point')).toHaveLength(11);

    await page.tap('.submit-btn');
    expect(callsTo(`POST /api/mp/surveys/${SURVEY_ID}/answers`)).toHaveLength(0);
    expect(page.wx.toasts.at(-1)?.title).toBe('还有 11 项没有评价');

    await rateAll(page, 5);
    await page.tap('.star', 2); // 服务态度: 3 stars after all
    expect(page.texts('.indicator')[0]).toContain('一般');
    await page.tap('.nps-point', 10);
    await page.input('.comment', '很专业');
    await page.tap('.submit-btn');

    const body = callsTo(`POST /api/mp/surveys/${SURVEY_ID}/answers`)[0].body as any;
    expect(body).toEqual({ indicators: { ...Object.fromEntries(Object.keys(LABELS).map((k) => [k, 5])), attitude: 3 }, nps: 10, comment: '很专业' });
    expect(page.text()).toContain('谢谢您的评价');
    expect(page.text()).toContain('愿意分享您的经历吗？');
  });

  it('lets a promoter say where they shared, without WeChat chats or Moments, and tells the points', async () => {
    const page = await render('packageSurvey/survey/index', {
      storage: loggedIn(),
      query: { id: SURVEY_ID },
      api: {
        'GET /api/mp/surveys/:id': { status: 200, body: answered(9, 5, true) },
        'POST /api/mp/surveys/:id/share': { status: 200, body: { sharedAt: new Date().toISOString(), channel: 'xiaohongshu', points: 50, replayed: false } },
      },
    });
    expect(page.texts('.channel')).toEqual(['小红书', '大众点评', '抖音', '微博', '其他平台']);
    await page.tap('.channel', 0);
    expect(callsTo(`POST /api/mp/surveys/${SURVEY_ID}/share`)[0].body).toEqual({ channel: 'xiaohongshu' });
    expect(page.wx.toasts.at(-1)?.title).toBe('谢谢分享，获得 50 积分');
    expect(page.has('.share')).toBe(false);
  });

  it('after a poor rating, says a supervisor will call', async () => {
    const page = await render('packageSurvey/survey/index', { storage: loggedIn(), query: { id: SURVEY_ID }, api: { 'GET /api/mp/surveys/:id': { status: 200, body: answered(3, 2, false) } } });
    expect(page.text()).toContain('主管会在 24 小时内联系您');
    expect(page.has('.share')).toBe(false);
  });

  it('says an expired survey has expired and points to the feedback page', async () => {
    const page = await render('packageSurvey/survey/index', { storage: loggedIn(), query: { id: SURVEY_ID }, api: { 'GET /api/mp/surveys/:id': { status: 200, body: survey({ status: 'expired' }) } } });
    expect(page.text()).toContain('这份问卷已于');
    expect(page.has('.submit-btn')).toBe(false);
    await page.tap('.complaint-link .link');
    expect(page.wx.navigations.at(-1)).toEqual({ type: 'navigateTo', url: '/packageSurvey/complaint/index' });
  });

  it('says when there is nothing to rate', async () => {
    const page = await render('packageSurvey/survey/index', { storage: loggedIn(), api: { 'GET /api/mp/surveys': { status: 200, body: { items: [] } } } });
    expect(page.text()).toContain('暂时没有需要评价的服务');
  });
});

describe('投诉 / 意见反馈', () => {
  const filed = (call: any) => ({
    status: 201,
    body: { complaint: { id: 'CasePublicId0000000001', category: call.body.category, status: 'open', createdAt: new Date().toISOString(), resolvedAt: null }, replayed: false },
  });

  it('needs a category and a few words before sending', async () => {
    const page = await render('packageSurvey/complaint/index', { storage: loggedIn(), api: { 'GET /api/mp/complaints': { status: 200, body: { items: [] } } } });
    await page.input('.complaint-text', '太慢');
    await page.tap('.submit-btn');
    expect(callsTo('POST /api/mp/complaints')).toHaveLength(0);
    expect(page.text()).toContain('请选择问题类型');
    expect(page.text()).toContain('请至少写 5 个字');
  });

  it('files a complaint once, with the same request id on a retry after a lost answer, and lists it', async () => {
    const page = await render('packageSurvey/complaint/index', {
      storage: loggedIn(),
      query: { orderId: 'OrderPublicId000000001' },
      api: {
        'GET /api/mp/complaints': [
          { status: 200, body: { items: [{ id: 'CasePublicId0000000000', category: 'waiting', status: 'resolved', createdAt: '2026-01-05T02:00:00.000Z', resolvedAt: '2026-01-05T08:00:00.000Z' }] } },
          { status: 200, body: { items: [{ id: 'CasePublicId0000000001', category: 'complication', status: 'open', createdAt: new Date().toISOString(), resolvedAt: null }] } },
        ],
        'POST /api/mp/complaints': [{ network: 'fail' }, filed],
      },
    });
    expect(page.texts('.history-item')[0]).toContain('已处理');

    await page.tap('.category', 1);
    await page.input('.complaint-text', '术后第三天还是很肿，有点担心');
    await page.tap('.submit-btn');
    await until(page, () => page.data.sent);

    const calls = callsTo('POST /api/mp/complaints');
    expect(calls).toHaveLength(2);
    expect(calls[1].body).toEqual(calls[0].body);
    expect(calls[0].body).toMatchObject({ category: 'complication', text: '术后第三天还是很肿，有点担心', orderId: 'OrderPublicId000000001' });
    expect(page.text()).toContain('主管会在 24 小时内联系您');
    expect(page.texts('.history-item')[0]).toContain('术后不适或并发症');
    expect(page.texts('.history-item')[0]).toContain('处理中');
    expect(page.wx.storage.has('complaint.pendingRequestId')).toBe(false);
  });

  it('keeps the text and the request id when sending fails, so the next try is the same complaint', async () => {
    const page = await render('packageSurvey/complaint/index', {
      storage: loggedIn(),
      api: {
        'GET /api/mp/complaints': { status: 200, body: { items: [] } },
        'POST /api/mp/complaints': [{ status: 503, body: { error: { code: 'NOT_READY', message: 'starting' } } }, filed],
      },
    });
    await page.tap('.category', 0);
    await page.input('.complaint-text', '效果和说的不一样');
    await page.tap('.submit-btn');
    expect(page.wx.toasts.at(-1)?.title).toBe('服务正在启动，请稍后再试，内容已为您保留');
    expect(page.data.text).toBe('效果和说的不一样');

    await page.tap('.submit-btn');
    const ids = callsTo('POST /api/mp/complaints').map((c) => (c.body as any).requestId);
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(ids[0]);
    expect(page.data.sent).toBe(true);
  });
});
