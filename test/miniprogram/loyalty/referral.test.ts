/**
 * 推荐有礼 (packageLoyalty/referral), the poster with the mini-program code from the API
 * (packageLoyalty/poster) and the leaderboard (packageLoyalty/leaderboard).
 */
import fs from 'node:fs';
import path from 'node:path';
import { loggedIn, MP_ROOT, renderPage } from '../helpers/render';
import { callsTo, wxState } from '../helpers/wx';
import { DEMO_LOYALTY, LOYALTY_API } from './demo';

const QR_UNAVAILABLE = { status: 503, body: { error: { code: 'REFERRAL_QR_UNAVAILABLE', message: 'later', details: { retryAfterSeconds: 5 } } } };

describe('推荐有礼', () => {
  it('shows the code, this month\'s tier and what the next one needs, cashback and held rewards', async () => {
    const page = await renderPage('packageLoyalty/referral/index', { storage: loggedIn(), api: LOYALTY_API });

    expect(page.texts('.referral-code')).toEqual(['MEI8K2Q']);
    expect(page.texts('.tier')).toEqual(['本月已成功推荐 2 位 · 当前返现比例 5%']);
    expect(page.texts('.next-tier')).toEqual(['再成功推荐 1 位，返现比例升至 10%']);
    expect(page.texts('.cashback-balance')).toEqual(['¥340']);
    expect(page.texts('.cashback-held')).toEqual(['¥128']);
    expect(page.texts('.held-note')[0]).toContain('另有 400 积分待到账');
    expect(page.text()).toContain('当前 5%');
  });

  it('lists the friends who share their status (joined, reward pending, reward earned), the others as a count, and the cashback ledger', async () => {
    const page = await renderPage('packageLoyalty/referral/index', { storage: loggedIn(), api: LOYALTY_API });

    expect(page.texts('.friend-name')).toEqual(['王*', '李**', '赵*']);
    expect(page.texts('.friend-status')).toEqual(['已加入', '奖励待发放', '奖励已发放']);
    expect(page.texts('.other-friends')).toEqual(['另有 1 位好友未公开进度']);
    // Nothing about a friend tells what they bought, that they came or that they refunded.
    expect(page.texts('.friend').join()).not.toMatch(/消费|退款|到访/);
    // Not referred: no question about the own referrer.
    expect(page.has('.share-status-check')).toBe(false);

    await page.tap('.tab-cashback');

    // Monthly totals: no line per friend's purchase or refund.
    expect(page.texts('.cashback-entry')).toEqual(['2026年3月推荐返现返现调整 -¥100+¥340']);
    expect(page.has('.friend')).toBe(false);
  });

  it('shares a card whose path carries the referral code, and copies the code', async () => {
    const page = await renderPage('packageLoyalty/referral/index', { storage: loggedIn(), api: LOYALTY_API });

    expect(page.instance.onShareAppMessage()).toEqual({ title: '送你一份新客礼遇，一起安心变美', path: '/pages/index/index?ref=MEI8K2Q' });
    // simulate's <button> keeps no open-type: check the markup that makes the tap open WeChat's share sheet.
    const wxml = fs.readFileSync(path.join(MP_ROOT, 'packageLoyalty/referral/index.wxml'), 'utf8');
    expect(wxml).toMatch(/<button class="[^"]*\bshare\b[^"]*"[^>]*open-type="share"/);
    expect(page.has('.share')).toBe(true);
    await page.tap('.copy');
    expect(page.wx.clipboard).toBe('MEI8K2Q');
  });

  it('says the top rate is reached when there is no next tier, and welcomes a client with no friends yet', async () => {
    const page = await renderPage('packageLoyalty/referral/index', {
      storage: loggedIn(),
      api: {
        ...LOYALTY_API,
        'GET /api/mp/referrals/me': {
          status: 200,
          body: { ...DEMO_LOYALTY.referral, tier: { period: 'quarter', periodKey: '2026-Q1', converted: 7, rateBp: 1500, next: null }, friends: 0, cashback: { balanceFen: 0, heldFen: 0 }, heldPoints: 0 },
        },
        'GET /api/mp/referrals/friends': { status: 200, body: { items: [], page: 1, hasMore: false, others: 0 } },
      },
    });
    expect(page.texts('.tier')).toEqual(['本季度已成功推荐 7 位 · 当前返现比例 15%']);
    expect(page.texts('.next-tier')).toEqual(['您已达到最高返现比例，感谢您的信任']);
    expect(page.has('.held-note')).toBe(false);
    expect(page.text()).toContain('还没有好友接受邀请');
  });

  it('loads more friends at the bottom', async () => {
    const friends = Array.from({ length: 20 }, (_, i) => ({ name: `客${i}*`, boundAt: '2026-02-01T04:00:00.000Z', status: 'joined' }));
    const page = await renderPage('packageLoyalty/referral/index', {
      storage: loggedIn(),
      api: {
        ...LOYALTY_API,
        'GET /api/mp/referrals/friends?page=1&pageSize=20': { status: 200, body: { items: friends, page: 1, hasMore: true, others: 0 } },
        'GET /api/mp/referrals/friends?page=2&pageSize=20': { status: 200, body: { items: [{ name: '末*', boundAt: '2026-01-01T04:00:00.000Z', status: 'reward_earned' }], page: 2, hasMore: false, others: 0 } },
      },
    });
    await page.call('onReachBottom');
    expect(page.texts('.friend-name')).toHaveLength(21);
    expect(page.texts('.friend-status')[20]).toBe('奖励已发放');
  });

  it('a referred client sees their own answer and can change it: the tap sends it to the API', async () => {
    const page = await renderPage('packageLoyalty/referral/index', {
      storage: loggedIn(),
      api: {
        ...LOYALTY_API,
        'GET /api/mp/referrals/me': { status: 200, body: { ...DEMO_LOYALTY.referral, referredBy: { sharesStatus: false, decidedAt: null } } },
        'PUT /api/mp/referrals/status-consent': { status: 200, body: { sharesStatus: true, decidedAt: '2026-03-01T04:00:00.000Z' } },
      },
    });
    expect(page.data.sharesStatus).toBe(false);

    await page.tap('.share-status-check');

    expect(callsTo('PUT /api/mp/referrals/status-consent').map((c) => c.body)).toEqual([{ sharesStatus: true }]);
    expect(page.data.sharesStatus).toBe(true);
  });

  it('opens the poster and the leaderboard', async () => {
    const page = await renderPage('packageLoyalty/referral/index', { storage: loggedIn(), api: LOYALTY_API });
    await page.tap('.go-poster');
    await page.tap('.go-leaderboard');
    expect(page.wx.navigations).toEqual([
      { type: 'navigateTo', url: '/packageLoyalty/poster/index' },
      { type: 'navigateTo', url: '/packageLoyalty/leaderboard/index' },
    ]);
  });

  it('shows a friendly error when the summary cannot be loaded, and shares without a code meanwhile', async () => {
    const page = await renderPage('packageLoyalty/referral/index', {
      storage: loggedIn(),
      api: { ...LOYALTY_API, 'GET /api/mp/referrals/me': { status: 500, body: { error: { code: 'INTERNAL', message: 'x' } } } },
    });
    expect(page.text()).toContain('服务开小差了，请稍后再试');
    expect(page.instance.onShareAppMessage().path).toBe('/pages/index/index');
  });
});

describe('推荐海报', () => {
  it('fetches the mini-program code with the session as an image, writes it to a local file and shows it', async () => {
    const page = await renderPage('packageLoyalty/poster/index', { storage: loggedIn(), api: LOYALTY_API });

    const [qr] = callsTo('GET /api/mp/referrals/qrcode');
    expect(qr.headers.Authorization).toBe('Bearer test-token');
    const written = wxState().other.writeFile as { filePath: string; data: ArrayBuffer }[];
    expect(written).toHaveLength(1);
    expect(written[0].filePath).toBe('wxfile://usr/referral-qr-MEI8K2Q.png');
    expect(Array.from(new Uint8Array(written[0].data)).slice(0, 4)).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(page.data.qrPath).toBe('wxfile://usr/referral-qr-MEI8K2Q.png');
    expect(page.has('.qr-image')).toBe(true);
    expect(page.texts('.poster-code')).toEqual(['推荐码 MEI8K2Q']);
    expect(page.instance.onShareAppMessage().path).toBe('/pages/index/index?ref=MEI8K2Q');
  });

  it('saves the code to the photo album', async () => {
    const page = await renderPage('packageLoyalty/poster/index', { storage: loggedIn(), api: LOYALTY_API });
    await page.tap('.save');
    expect(page.wx.savedImages).toEqual(['wxfile://usr/referral-qr-MEI8K2Q.png']);
    expect(page.wx.toasts).toContainEqual({ title: '已保存到相册', icon: 'success' });
  });

  it('guides the client to the settings when album access was refused', async () => {
    const page = await renderPage('packageLoyalty/poster/index', { storage: loggedIn(), api: LOYALTY_API });
    const wx = (globalThis as unknown as { wx: Record<string, unknown> }).wx;
    const openSetting = jest.fn();
    wx.openSetting = openSetting;
    wx.saveImageToPhotosAlbum = (o: { fail: (e: { errMsg: string }) => void }) => o.fail({ errMsg: 'saveImageToPhotosAlbum:fail auth deny' });

    await page.tap('.save');

    expect(page.wx.modals[0]).toMatchObject({ title: '需要相册权限', confirmText: '去设置' });
    expect(openSetting).toHaveBeenCalledTimes(1);
  });

  it('keeps the code and the share card when WeChat cannot make the mini-program code, and retries on request', async () => {
    const page = await renderPage('packageLoyalty/poster/index', {
      storage: loggedIn(),
      api: { ...LOYALTY_API, 'GET /api/mp/referrals/qrcode': [QR_UNAVAILABLE, LOYALTY_API['GET /api/mp/referrals/qrcode'] as never] },
    });

    expect(page.texts('.qr-error')).toEqual(['小程序码暂时生成不了，请稍后再试']);
    expect(page.has('.qr-image')).toBe(false);
    expect(page.texts('.poster-code')).toEqual(['推荐码 MEI8K2Q']);
    expect(page.text()).toContain('分享卡片同样带有您的推荐码');
    await page.tap('.save');
    expect(page.wx.savedImages).toEqual([]);

    await page.tap('.retry-qr');

    expect(page.has('.qr-image')).toBe(true);
    expect(page.has('.qr-error')).toBe(false);
  });
});

describe('推荐排行榜', () => {
  it('shows this month\'s top referrers with masked names, ties sharing a rank, and the client\'s own rank', async () => {
    const page = await renderPage('packageLoyalty/leaderboard/index', { storage: loggedIn(), api: LOYALTY_API });

    expect(callsTo('GET /api/mp/referrals/leaderboard')[0].query).toEqual({ period: 'month' });
    expect(page.texts('.rank-row')).toEqual(['1陈*推荐 5 位', '2林**我推荐 2 位', '2周*推荐 2 位', '4吴*推荐 1 位']);
    expect(page.texts('.me-rank')).toEqual(['第 2 名']);
    expect(page.text()).toContain('2026年3月 · 我的排名');
    expect(page.comp.querySelectorAll('.rank-me')).toHaveLength(1);
  });

  it('switches to the quarter, where the client is not ranked yet', async () => {
    const page = await renderPage('packageLoyalty/leaderboard/index', { storage: loggedIn(), api: LOYALTY_API });

    await page.tap('.tab-quarter');

    expect(callsTo('GET /api/mp/referrals/leaderboard').map((c) => c.query.period)).toEqual(['month', 'quarter']);
    expect(page.text()).toContain('2026年第1季度 · 我的排名');
    expect(page.texts('.me-rank')).toEqual(['暂未上榜']);
    expect(page.text()).toContain('已成功推荐 0 位好友，邀请好友一起来冲榜吧');
    expect(page.texts('.rank-row')).toEqual(['1陈*推荐 9 位']);
  });

  it('invites to be first on an empty board', async () => {
    const page = await renderPage('packageLoyalty/leaderboard/index', {
      storage: loggedIn(),
      api: { ...LOYALTY_API, 'GET /api/mp/referrals/leaderboard?period=month': { status: 200, body: { period: 'month', periodKey: '2026-03', top: [], me: { rank: null, converted: 0 } } } },
    });
    expect(page.text()).toContain('本月还没有人上榜');
    await page.tap('.empty >>> .empty-action');
    expect(page.wx.navigations).toEqual([{ type: 'navigateBack', delta: 1 }]);
  });
});
