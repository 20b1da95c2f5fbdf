/** 我的券 (packageLoyalty/vouchers) and one voucher with its one-time code as a QR (packageLoyalty/voucher). */
import { loggedIn, renderPage } from '../helpers/render';
import { callsTo } from '../helpers/wx';
import { CODE, DEMO_LOYALTY, IDS, LOYALTY_API } from './demo';
import { scanQr } from './qr-screen';

const DAY = 24 * 3600_000;
const expired = { ...DEMO_LOYALTY.voucher, id: 'vcExpired0000000000000', code: 'Hjk2345678', expiresAt: new Date(Date.now() - DAY).toISOString() };
const cancelled = {
  ...DEMO_LOYALTY.voucher, id: 'vcCancelled00000000000', code: 'Mnp2345678', status: 'cancelled', cancelledAt: '2026-02-01T04:00:00.000Z',
};

describe('我的券', () => {
  const list = { status: 200, body: { items: [DEMO_LOYALTY.voucher, DEMO_LOYALTY.usedVoucher, expired, cancelled], page: 1, hasMore: false } };

  it('shows the usable vouchers first, the used and lapsed ones in their own tab', async () => {
    const page = await renderPage('packageLoyalty/vouchers/index', { storage: loggedIn(), api: { ...LOYALTY_API, 'GET /api/mp/vouchers': list } });

    expect(page.texts('.tab-usable')).toEqual(['可使用 (1)']);
    expect(page.texts('.voucher-title')).toEqual(['术后修复面膜（5片装）']);
    expect(page.texts('.voucher-state')).toEqual(['待使用']);

    await page.tap('.tab-other');

    expect(page.texts('.voucher-title')).toEqual(['美丽学院线下沙龙名额', '术后修复面膜（5片装）', '术后修复面膜（5片装）']);
    expect(page.texts('.voucher-state')).toEqual(['已使用', '已过期', '已取消']);
    // An issued voucher past its date is expired for the client, whatever its stored status.
    expect(page.texts('.voucher-note')[2]).toBe('2026年2月1日已取消，积分已退回');
  });

  it('opens a voucher on tap', async () => {
    const page = await renderPage('packageLoyalty/vouchers/index', { storage: loggedIn(), api: LOYALTY_API });
    await page.tap('.voucher');
    expect(page.wx.navigations).toEqual([{ type: 'navigateTo', url: `/packageLoyalty/voucher/index?id=${IDS.voucher}` }]);
  });

  it('invites to the rewards shop when there is no usable voucher', async () => {
    const page = await renderPage('packageLoyalty/vouchers/index', {
      storage: loggedIn(),
      api: { ...LOYALTY_API, 'GET /api/mp/vouchers': { status: 200, body: { items: [DEMO_LOYALTY.usedVoucher], page: 1, hasMore: false } } },
    });
    expect(page.text()).toContain('暂时没有可使用的券');
    await page.tap('.empty >>> .empty-action');
    expect(page.wx.navigations).toEqual([{ type: 'navigateTo', url: '/packageLoyalty/rewards/index' }]);
  });

  it('loads more vouchers at the bottom', async () => {
    const many = Array.from({ length: 20 }, (_, i) => ({ ...DEMO_LOYALTY.voucher, id: `vcMany${String(i).padStart(16, '0')}` }));
    const page = await renderPage('packageLoyalty/vouchers/index', {
      storage: loggedIn(),
      api: {
        ...LOYALTY_API,
        'GET /api/mp/vouchers?page=1&pageSize=20': { status: 200, body: { items: many, page: 1, hasMore: true } },
        'GET /api/mp/vouchers?page=2&pageSize=20': { status: 200, body: { items: [DEMO_LOYALTY.voucher], page: 2, hasMore: false } },
      },
    });
    expect(page.texts('.voucher')).toHaveLength(20);
    await page.call('onReachBottom');
    expect(page.texts('.voucher')).toHaveLength(21);
    expect(page.has('.load-more')).toBe(false);
  });
});

describe('券码 (one voucher)', () => {
  it('shows the one-time code as a QR code the front desk can scan, and in readable groups', async () => {
    const page = await renderPage('packageLoyalty/voucher/index', { storage: loggedIn(), api: LOYALTY_API, query: { id: IDS.voucher, fresh: '1' } });

    expect(scanQr(page)).toBe(CODE);
    expect(page.texts('.code')).toEqual(['K7M2 P9QX 4H']);
    expect(page.texts('.voucher-title')).toEqual(['术后修复面膜（5片装）']);
    expect(page.texts('.voucher-state')).toEqual(['待使用']);
    expect(page.text()).toContain('兑换成功！到院时出示下方券码即可使用。');
    expect(page.text()).toContain('到院后请向前台工作人员出示此码，扫码核销后即可使用');
    expect(callsTo(`GET /api/mp/vouchers/${IDS.voucher}`)).toHaveLength(1);
  });

  it('copies the code on long press', async () => {
    const page = await renderPage('packageLoyalty/voucher/index', { storage: loggedIn(), api: LOYALTY_API, query: { id: IDS.voucher } });
    await page.trigger('.code', 'longpress');
    expect(page.wx.clipboard).toBe(CODE);
  });

  it('cancels an unused voucher after confirmation: the points come back', async () => {
    const page = await renderPage('packageLoyalty/voucher/index', {
      storage: loggedIn(),
      query: { id: IDS.voucher },
      api: {
        ...LOYALTY_API,
        [`POST /api/mp/vouchers/${IDS.voucher}/cancel`]: { status: 200, body: { ...DEMO_LOYALTY.voucher, status: 'cancelled', cancelledAt: '2026-03-01T06:30:00.000Z' } },
      },
    });

    await page.tap('.cancel');

    expect(page.wx.modals[0]).toMatchObject({ title: '取消兑换', content: '取消后这张券将失效，300 积分会退回到您的账户。确定取消吗？' });
    expect(callsTo(`POST /api/mp/vouchers/${IDS.voucher}/cancel`)).toHaveLength(1);
    expect(page.wx.toasts).toContainEqual({ title: '已取消，300积分已退回', icon: 'none' });
    expect(page.texts('.voucher-state')).toEqual(['已取消']);
    expect(page.texts('.voucher-note')).toEqual(['已于3月1日 周日 14:30取消，300积分已退回']);
    expect(page.has('.cancel')).toBe(false);
    expect(page.text()).not.toContain('扫码核销后即可使用');
  });

  it('keeps the voucher when the client answers no', async () => {
    const page = await renderPage('packageLoyalty/voucher/index', { storage: loggedIn(), api: LOYALTY_API, query: { id: IDS.voucher } });
    page.wx.modalAnswers.push('cancel');
    await page.tap('.cancel');
    expect(callsTo(`POST /api/mp/vouchers/${IDS.voucher}/cancel`)).toHaveLength(0);
    expect(page.texts('.voucher-state')).toEqual(['待使用']);
  });

  it('explains a refused cancellation (already used at the front desk) and shows the voucher as it is now', async () => {
    const page = await renderPage('packageLoyalty/voucher/index', {
      storage: loggedIn(),
      query: { id: IDS.voucher },
      api: {
        ...LOYALTY_API,
        [`GET /api/mp/vouchers/${IDS.voucher}`]: [
          { status: 200, body: DEMO_LOYALTY.voucher },
          { status: 200, body: { ...DEMO_LOYALTY.voucher, status: 'used', usedAt: '2026-03-01T06:30:00.000Z' } },
        ],
        [`POST /api/mp/vouchers/${IDS.voucher}/cancel`]: { status: 409, body: { error: { code: 'VOUCHER_USED', message: 'This voucher has already been used' } } },
      },
    });

    await page.tap('.cancel');

    expect(page.wx.toasts).toContainEqual({ title: '这张券已经使用过了', icon: 'none' });
    expect(page.texts('.voucher-state')).toEqual(['已使用']);
    expect(page.has('.cancel')).toBe(false);
  });

  it('shows a used voucher greyed out and stamped, without the cancel button', async () => {
    const page = await renderPage('packageLoyalty/voucher/index', { storage: loggedIn(), api: LOYALTY_API, query: { id: IDS.usedVoucher } });
    expect(page.texts('.qr-stamp')).toEqual(['已使用']);
    expect(page.comp.dom.innerHTML).toContain('qr--dimmed');
    expect(page.has('.cancel')).toBe(false);
    expect(page.texts('.voucher-note')[0]).toMatch(/^已于\d+月\d+日 周. \d\d:\d\d使用$/);
  });

  it('refreshes when shown again, so a voucher used at the front desk shows as used', async () => {
    const page = await renderPage('packageLoyalty/voucher/index', {
      storage: loggedIn(),
      query: { id: IDS.voucher },
      api: {
        ...LOYALTY_API,
        [`GET /api/mp/vouchers/${IDS.voucher}`]: [
          { status: 200, body: DEMO_LOYALTY.voucher },
          { status: 200, body: { ...DEMO_LOYALTY.voucher, status: 'used', usedAt: '2026-03-01T06:30:00.000Z' } },
        ],
      },
    });
    expect(page.texts('.voucher-state')).toEqual(['待使用']);
    await page.call('onShow');
    expect(page.texts('.voucher-state')).toEqual(['已使用']);
  });

  it('says a voucher that is not the client\'s (or gone) was not found', async () => {
    const page = await renderPage('packageLoyalty/voucher/index', { storage: loggedIn(), api: LOYALTY_API, query: { id: 'vcSomeoneElse000000000' } });
    expect(page.text()).toContain('没有找到这张券');
    expect(page.has('.code')).toBe(false);
    await page.tap('.empty >>> .empty-action');
    expect(page.wx.navigations).toEqual([{ type: 'redirectTo', url: '/packageLoyalty/vouchers/index' }]);
  });
});
