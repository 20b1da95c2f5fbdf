/**
 * 积分商城 (packageLoyalty/rewards): the catalog and redemption — confirmation, the voucher it
 * opens, and the refusals: too few points (with the shortfall), sold out, the per-client limit,
 * and a network drop (retried with the same requestId; never a second redemption).
 */
import { loggedIn, mpModule, renderPage } from '../helpers/render';
import { callsTo, flush, type ApiCall, type ApiAnswer, type NetworkDrop } from '../helpers/wx';
import { DEMO_LOYALTY, IDS, LOYALTY_API } from './demo';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const REDEEM_FACIAL = `POST /api/mp/rewards/${IDS.facial}/redeem`;

/** A stand-in for the API's redemption: one voucher per requestId (as RewardsService does), answers optionally lost. */
function redemptionServer(opts: { lose?: number } = {}) {
  const byRequest = new Map<string, typeof DEMO_LOYALTY.voucher>();
  let lose = opts.lose ?? 0;
  return {
    byRequest,
    handler(call: ApiCall): ApiAnswer | NetworkDrop {
      const { requestId } = call.body as { requestId: string };
      if (!byRequest.has(requestId)) byRequest.set(requestId, { ...DEMO_LOYALTY.voucher, id: `vcNew${String(byRequest.size).padStart(17, '0')}` });
      // The redemption happened; only the answer is lost on the way back.
      if (lose > 0) {
        lose -= 1;
        return { network: 'fail' };
      }
      return { status: 201, body: byRequest.get(requestId) };
    },
  };
}

/** Retries wait on timers: none here (the backoff itself is request.ts's, tested with it); restored after each test. */
let savedDelays: number[] | undefined;
function noRetryWaits(): void {
  const { config } = mpModule<{ config: { retryDelaysMs: number[] } }>('utils/config');
  savedDelays ??= config.retryDelaysMs;
  config.retryDelaysMs = [0, 0];
}
afterEach(() => {
  if (savedDelays) mpModule<{ config: { retryDelaysMs: number[] } }>('utils/config').config.retryDelaysMs = savedDelays;
  savedDelays = undefined;
});

/** Lets the event loop run (timers included) until `done` holds; fails after ~2000 turns. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !done(); i++) {
    await new Promise((r) => setTimeout(r, 0));
    await flush(3);
  }
  expect(done()).toBe(true);
}

describe('积分商城', () => {

  it('lists what can be redeemed with the price, stock and what the client can do with each', async () => {
    const page = await renderPage('packageLoyalty/rewards/index', { storage: loggedIn(), api: LOYALTY_API });

    expect(page.texts('.balance')).toEqual(['1,280']);
    expect(page.texts('.reward-title')).toEqual(['术后修复面膜（5片装）', '美丽学院线下沙龙名额', '¥500 项目抵扣券', '医用冷敷贴']);
    expect(page.texts('.redeem')).toEqual(['兑换', '兑换', '还差720积分', '已兑完']);
    expect(page.texts('.stock')).toEqual(['仅剩6份', '已兑完']);
    expect(page.text()).toContain('术后护理');
    expect(page.text()).toContain('沙龙名额');
  });

  it('filters the catalog by kind', async () => {
    const page = await renderPage('packageLoyalty/rewards/index', { storage: loggedIn(), api: LOYALTY_API });
    await page.tap('.filter', 3);
    expect(page.texts('.reward-title')).toEqual(['美丽学院线下沙龙名额']);
    await page.tap('.filter', 0);
    expect(page.texts('.reward-title')).toHaveLength(4);
  });

  it('redeems after confirmation with a client-generated requestId and opens the new voucher', async () => {
    const server = redemptionServer();
    const page = await renderPage('packageLoyalty/rewards/index', { storage: loggedIn(), api: { ...LOYALTY_API, [REDEEM_FACIAL]: server.handler } });

    await page.tap('.redeem', 0);

    expect(page.wx.modals[0]).toMatchObject({ title: '确认兑换', content: '使用 300 积分兑换「术后修复面膜（5片装）」？兑换后可在「我的券」中查看券码。' });
    const [call] = callsTo(REDEEM_FACIAL);
    expect(call.body).toEqual({ requestId: expect.stringMatching(UUID_V4) });
    expect(page.wx.toasts).toContainEqual({ title: '兑换成功', icon: 'success' });
    const voucherId = server.byRequest.get((call.body as { requestId: string }).requestId)!.id;
    expect(page.wx.navigations).toEqual([{ type: 'navigateTo', url: `/packageLoyalty/voucher/index?id=${voucherId}&fresh=1` }]);
    // Settled: nothing is left to continue.
    expect(page.wx.storage.get('loyalty.pendingRedeem')).toEqual({});
  });

  it('redeems nothing when the client changes their mind at the confirmation', async () => {
    const page = await renderPage('packageLoyalty/rewards/index', { storage: loggedIn(), api: LOYALTY_API });
    page.wx.modalAnswers.push('cancel');
    await page.tap('.redeem', 0);
    expect(callsTo(REDEEM_FACIAL)).toHaveLength(0);
    expect(page.wx.navigations).toEqual([]);
  });

  it('says how many points are missing, without calling the API, when the balance is known to be short', async () => {
    const page = await renderPage('packageLoyalty/rewards/index', { storage: loggedIn(), api: LOYALTY_API });

    await page.tap('.redeem', 2);

    expect(page.wx.modals).toEqual([
      expect.objectContaining({
        title: '积分不足，还差 720 积分',
        content: '兑换需要 2,000 积分，您现有 1,280 积分。完成问卷、消费或推荐好友都能获得积分。',
        showCancel: false,
      }),
    ]);
    expect(callsTo(`POST /api/mp/rewards/${IDS.deduct}/redeem`)).toHaveLength(0);
  });

  it('explains a POINTS_INSUFFICIENT refusal with the shortfall from the API, and shows the real balance', async () => {
    // The page showed 1,280, but points were spent elsewhere meanwhile.
    const page = await renderPage('packageLoyalty/rewards/index', {
      storage: loggedIn(),
      api: {
        ...LOYALTY_API,
        'GET /api/mp/points': [{ status: 200, body: DEMO_LOYALTY.points }, { status: 200, body: { ...DEMO_LOYALTY.points, balance: 100 } }],
        [REDEEM_FACIAL]: { status: 409, body: { error: { code: 'POINTS_INSUFFICIENT', message: 'Not enough points', details: { balance: 100, needed: 300 } } } },
      },
    });

    await page.tap('.redeem', 0);

    expect(page.wx.modals[1]).toMatchObject({
      title: '积分不足，还差 200 积分',
      content: '兑换需要 300 积分，您现有 100 积分，还差 200 积分。完成问卷、消费或推荐好友都能获得积分。',
    });
    expect(page.texts('.balance')).toEqual(['100']);
    expect(page.texts('.redeem')[0]).toBe('还差200积分');
    expect(page.wx.navigations).toEqual([]);
    // A refusal settles the request: a later tap is a new redemption.
    expect(page.wx.storage.get('loyalty.pendingRedeem')).toEqual({});
  });

  it('tells the client a reward sold out meanwhile, that no points were taken, and marks it sold out', async () => {
    const soldOut = { ...DEMO_LOYALTY.catalog, items: DEMO_LOYALTY.catalog.items.map((i) => (i.id === IDS.facial ? { ...i, stock: 0 } : i)) };
    const page = await renderPage('packageLoyalty/rewards/index', {
      storage: loggedIn(),
      api: {
        ...LOYALTY_API,
        'GET /api/mp/rewards': [{ status: 200, body: DEMO_LOYALTY.catalog }, { status: 200, body: soldOut }],
        [REDEEM_FACIAL]: { status: 409, body: { error: { code: 'REWARD_OUT_OF_STOCK', message: 'This reward is out of stock' } } },
      },
    });

    await page.tap('.redeem', 0);

    expect(page.wx.modals[1]).toMatchObject({ title: '已兑完', content: '「术后修复面膜（5片装）」刚刚被兑完了，您的积分没有扣除。看看其他礼品吧。' });
    expect(page.texts('.redeem')[0]).toBe('已兑完');
    expect(page.texts('.stock')[0]).toBe('已兑完');

    // A sold-out reward cannot be tapped into a redemption.
    await page.tap('.redeem', 0);
    expect(page.wx.modals).toHaveLength(2);
    expect(callsTo(REDEEM_FACIAL)).toHaveLength(1);
  });

  it('explains the per-client limit', async () => {
    const page = await renderPage('packageLoyalty/rewards/index', {
      storage: loggedIn(),
      api: {
        ...LOYALTY_API,
        [REDEEM_FACIAL]: { status: 409, body: { error: { code: 'REWARD_LIMIT_REACHED', message: 'limit', details: { limit: 2 } } } },
      },
    });
    await page.tap('.redeem', 0);
    expect(page.wx.modals[1]).toMatchObject({ title: '已达兑换上限', content: '此礼品每人限兑 2 份，您已兑满。' });
  });

  it('retries a redemption whose answer was lost with the same requestId, and gets the one voucher', async () => {
    const server = redemptionServer({ lose: 1 });
    const page = await renderPage('packageLoyalty/rewards/index', { storage: loggedIn(), api: { ...LOYALTY_API, [REDEEM_FACIAL]: server.handler } });
    noRetryWaits();

    await page.tap('.redeem', 0);
    await until(() => page.wx.navigations.length > 0);

    const calls = callsTo(REDEEM_FACIAL);
    expect(calls).toHaveLength(2);
    expect(calls[1].body).toEqual(calls[0].body);
    expect(server.byRequest.size).toBe(1);
    const voucher = [...server.byRequest.values()][0];
    expect(page.wx.navigations).toEqual([{ type: 'navigateTo', url: `/packageLoyalty/voucher/index?id=${voucher.id}&fresh=1` }]);
  });

  it('keeps the requestId when every try lost its answer, and continues that same redemption on the next tap', async () => {
    const server = redemptionServer({ lose: 3 });
    const page = await renderPage('packageLoyalty/rewards/index', { storage: loggedIn(), api: { ...LOYALTY_API, [REDEEM_FACIAL]: server.handler } });
    noRetryWaits();

    await page.tap('.redeem', 0);
    await until(() => page.wx.modals.length === 2);

    expect(callsTo(REDEEM_FACIAL)).toHaveLength(3);
    expect(page.wx.modals[1]).toMatchObject({ title: '兑换结果未确认' });
    expect(page.wx.modals[1].content).toContain('不会重复扣积分');
    expect(page.texts('.redeem')[0]).toBe('继续兑换');
    expect(page.wx.navigations).toEqual([]);

    await page.tap('.redeem', 0);

    expect(page.wx.modals[2]).toMatchObject({ title: '继续上次的兑换', confirmText: '继续兑换' });
    const calls = callsTo(REDEEM_FACIAL);
    expect(calls).toHaveLength(4);
    expect(new Set(calls.map((c) => (c.body as { requestId: string }).requestId)).size).toBe(1);
    expect(server.byRequest.size).toBe(1);
    const voucher = [...server.byRequest.values()][0];
    expect(page.wx.navigations).toEqual([{ type: 'navigateTo', url: `/packageLoyalty/voucher/index?id=${voucher.id}&fresh=1` }]);
    await page.flush();
    expect(page.texts('.redeem')[0]).toBe('兑换');
  });

  it('continues an unanswered redemption with its requestId after the client left the page and came back', async () => {
    const server = redemptionServer({ lose: 3 });
    const api = { ...LOYALTY_API, [REDEEM_FACIAL]: server.handler };
    const first = await renderPage('packageLoyalty/rewards/index', { storage: loggedIn(), api });
    noRetryWaits();
    await first.tap('.redeem', 0);
    await until(() => first.wx.modals.length === 2);
    expect(callsTo(REDEEM_FACIAL)).toHaveLength(3);
    first.unmount();
    const firstId = (callsTo(REDEEM_FACIAL)[0].body as { requestId: string }).requestId;

    const again = await renderPage('packageLoyalty/rewards/index', { keepWx: true, api });
    expect(again.texts('.redeem')[0]).toBe('继续兑换');
    await again.tap('.redeem', 0);

    const calls = callsTo(REDEEM_FACIAL);
    expect(calls).toHaveLength(4);
    expect((calls[3].body as { requestId: string }).requestId).toBe(firstId);
    expect(server.byRequest.size).toBe(1);
    expect(again.wx.navigations).toHaveLength(1);
  });

  it('opens one redemption for a double tap', async () => {
    const server = redemptionServer();
    const page = await renderPage('packageLoyalty/rewards/index', { storage: loggedIn(), api: { ...LOYALTY_API, [REDEEM_FACIAL]: server.handler } });
    const tap = { currentTarget: { dataset: { id: IDS.facial } } };

    await Promise.all([page.instance.onRedeem(tap), page.instance.onRedeem(tap)]);
    await page.flush();

    expect(page.wx.modals).toHaveLength(1);
    expect(callsTo(REDEEM_FACIAL)).toHaveLength(1);
  });

  it('shows a friendly error and an empty shop message', async () => {
    const page = await renderPage('packageLoyalty/rewards/index', {
      storage: loggedIn(),
      api: { ...LOYALTY_API, 'GET /api/mp/rewards': { status: 200, body: { items: [] } } },
    });
    expect(page.text()).toContain('礼品正在上新');

    const failing = await renderPage('packageLoyalty/rewards/index', {
      storage: loggedIn(),
      api: { ...LOYALTY_API, 'GET /api/mp/rewards': { status: 429, body: { error: { code: 'RATE_LIMITED', message: 'slow down' } } } },
    });
    expect(failing.text()).toContain('操作太频繁了，请稍等片刻再试');
  });
});
