/** 积分 tab (pages/points/index): balance, what expires soon, the ledger and its pages, errors. */
import { loggedIn, renderPage } from '../helpers/render';
import { callsTo } from '../helpers/wx';
import { DEMO_LOYALTY, LOYALTY_API } from './demo';

const entry = (delta: number, reason: string, createdAt: string, extra: Record<string, unknown> = {}) => ({
  delta, reason, balanceAfter: 0, expiresAt: null, remaining: null, createdAt, ...extra,
});

describe('积分 tab', () => {
  it('shows the balance, the points expiring soon with their date, and the ledger newest first', async () => {
    const page = await renderPage('pages/points/index', {
      storage: loggedIn(),
      api: {
        ...LOYALTY_API,
        'GET /api/mp/points': {
          status: 200,
          body: { balance: 12800, expiringSoon: { points: 120, withinDays: 30, lots: [{ points: 120, expiresAt: '2026-03-08T04:00:00.000Z' }] } },
        },
        'GET /api/mp/points/entries': {
          status: 200,
          body: {
            items: [
              entry(-300, 'redeem', '2026-02-20T02:00:00.000Z'),
              entry(200, 'questionnaire', '2026-01-01T17:00:00.000Z', { expiresAt: '2027-01-01T16:00:00.000Z', remaining: 200 }),
            ],
            page: 1,
            hasMore: false,
          },
        },
      },
    });

    expect(page.texts('.points-balance')).toEqual(['12,800']);
    expect(page.texts('.points-expiring')[0]).toBe('30天内有 120 积分将过期，记得及时使用哦');
    // Business calendar: 04:00 UTC is noon in Shanghai, same day.
    expect(page.texts('.expiring-lot')).toEqual(['120 积分2026年3月8日过期']);
    expect(page.texts('.entry')).toEqual([
      '兑换礼品2026年2月20日-300',
      // 17:00 UTC on 1 Jan is 01:00 on 2 Jan in Shanghai.
      '完成意向问卷2026年1月2日 · 有效期至2027年1月2日+200',
    ]);
    expect(page.text()).toContain('没有更多了');
    expect(callsTo('GET /api/mp/points/entries')[0].query).toEqual({ page: '1', pageSize: '20' });
    expect(callsTo('GET /api/mp/points')[0].headers.Authorization).toBe('Bearer test-token');
  });

  it('says nothing expires soon and offers the questionnaire when there is no history yet', async () => {
    const page = await renderPage('pages/points/index', {
      storage: loggedIn(),
      api: {
        'GET /api/mp/points': { status: 200, body: { balance: 0, expiringSoon: { points: 0, withinDays: 30, lots: [] } } },
        'GET /api/mp/points/entries': { status: 200, body: { items: [], page: 1, hasMore: false } },
      },
    });

    expect(page.texts('.points-balance')).toEqual(['0']);
    expect(page.text()).toContain('近30天内没有将过期的积分');
    expect(page.has('.expiring-lot')).toBe(false);
    expect(page.text()).toContain('还没有积分记录');
    await page.tap('.empty-entries >>> .empty-action');
    expect(page.wx.navigations).toContainEqual({ type: 'navigateTo', url: '/packageSurvey/questionnaire/index' });
  });

  it('loads the next page of the ledger at the bottom, and says when there is no more', async () => {
    const first = Array.from({ length: 20 }, (_, i) => entry(10, 'spend', new Date(Date.UTC(2026, 1, 20 - i, 4)).toISOString()));
    const page = await renderPage('pages/points/index', {
      storage: loggedIn(),
      api: {
        'GET /api/mp/points': { status: 200, body: DEMO_LOYALTY.points },
        'GET /api/mp/points/entries?page=1&pageSize=20': { status: 200, body: { items: first, page: 1, hasMore: true } },
        'GET /api/mp/points/entries?page=2&pageSize=20': { status: 200, body: { items: [entry(-5, 'expire', '2025-12-01T04:00:00.000Z')], page: 2, hasMore: false } },
      },
    });
    expect(page.texts('.entry')).toHaveLength(20);
    expect(page.texts('.load-more')).toEqual(['加载更多']);

    await page.call('onReachBottom');

    expect(page.texts('.entry')).toHaveLength(21);
    expect(page.texts('.entry')[20]).toBe('积分过期2025年12月1日-5');
    expect(page.has('.load-more')).toBe(false);
    expect(page.text()).toContain('没有更多了');
    // At the end, reaching the bottom again asks for nothing.
    await page.call('onReachBottom');
    expect(callsTo('GET /api/mp/points/entries')).toHaveLength(2);
  });

  it('shows a friendly error when the API cannot be reached, and recovers on retry', async () => {
    const page = await renderPage('pages/points/index', {
      storage: loggedIn(),
      api: {
        'GET /api/mp/points': [{ status: 503, body: { error: { code: 'NOT_READY', message: 'starting' } } }, { status: 200, body: DEMO_LOYALTY.points }],
        'GET /api/mp/points/entries': { status: 200, body: DEMO_LOYALTY.entries },
      },
    });
    expect(page.text()).toContain('服务正在启动，请稍后再试');
    expect(page.text()).not.toContain('还没有积分记录');

    await page.tap('.error >>> .error-retry');

    expect(page.text()).not.toContain('服务正在启动');
    expect(page.texts('.points-balance')).toEqual(['1,280']);
    expect(page.texts('.entry')).toHaveLength(4);
  });

  it('refreshes the balance each time the tab is shown and on pull-down', async () => {
    const page = await renderPage('pages/points/index', {
      storage: loggedIn(),
      api: {
        ...LOYALTY_API,
        'GET /api/mp/points': [{ status: 200, body: DEMO_LOYALTY.points }, { status: 200, body: { ...DEMO_LOYALTY.points, balance: 980 } }, { status: 200, body: { ...DEMO_LOYALTY.points, balance: 1000 } }],
      },
    });
    expect(page.texts('.points-balance')).toEqual(['1,280']);

    await page.call('onShow');
    expect(page.texts('.points-balance')).toEqual(['980']);

    await page.call('onPullDownRefresh');
    expect(page.texts('.points-balance')).toEqual(['1,000']);
    expect(page.wx.other.stopPullDownRefresh).toHaveLength(1);
  });

  it('opens the rewards shop, the vouchers and the referral page from its shortcuts', async () => {
    const page = await renderPage('pages/points/index', { storage: loggedIn(), api: LOYALTY_API });
    await page.tap('.go-rewards');
    await page.tap('.go-vouchers');
    await page.tap('.go-referral');
    await page.tap('.use-now');
    expect(page.wx.navigations).toEqual([
      { type: 'navigateTo', url: '/packageLoyalty/rewards/index' },
      { type: 'navigateTo', url: '/packageLoyalty/vouchers/index' },
      { type: 'navigateTo', url: '/packageLoyalty/referral/index' },
      { type: 'navigateTo', url: '/packageLoyalty/rewards/index' },
    ]);
  });
});
