/**
 * Demo API data of the loyalty pages (积分, 积分商城, 我的券, 推荐有礼), shaped like the API's
 * answers: the page tests start from it, and scripts/screenshots.ts renders the pages with it.
 */
import type { ApiScript } from '../helpers/wx';
import type { Rendered } from '../helpers/render';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const now = Date.now();
const iso = (offsetMs: number) => new Date(now + offsetMs).toISOString();

export const IDS = {
  facial: 'rwFacialMask0000000001',
  salon: 'rwSalonSeat00000000001',
  deduct: 'rwDeduct50000000000001',
  soldOut: 'rwSoldOut0000000000001',
  voucher: 'vcK7M2P9QX4H0000000001',
  usedVoucher: 'vcUsed0000000000000000',
};
// 22-character public ids, as the API serves them.
for (const id of Object.values(IDS)) if (id.length !== 22) throw new Error(`demo id ${id} is not 22 characters`);

export const CODE = 'K7M2P9QX4H';

export const DEMO_LOYALTY = {
  points: { balance: 1280, expiringSoon: { points: 120, withinDays: 30, lots: [{ points: 120, expiresAt: iso(12 * DAY) }] } },
  entries: {
    items: [
      { delta: -300, reason: 'redeem', balanceAfter: 1280, expiresAt: null, remaining: null, createdAt: iso(-2 * HOUR) },
      { delta: 400, reason: 'referral', balanceAfter: 1580, expiresAt: iso(360 * DAY), remaining: 400, createdAt: iso(-3 * DAY) },
      { delta: 880, reason: 'spend', balanceAfter: 1180, expiresAt: iso(300 * DAY), remaining: 760, createdAt: iso(-60 * DAY) },
      { delta: 300, reason: 'questionnaire', balanceAfter: 300, expiresAt: iso(12 * DAY), remaining: 120, createdAt: iso(-353 * DAY) },
    ],
    page: 1,
    hasMore: false,
  },
  catalog: {
    items: [
      {
        id: IDS.facial, kind: 'care_product', title: '术后修复面膜（5片装）', description: '医用级修复面膜，术后舒缓补水', pointsPrice: 300,
        stock: 6, perClientLimit: 2, validFrom: null, validTo: null, redeemedByMe: 0,
      },
      {
        id: IDS.salon, kind: 'salon_seat', title: '美丽学院线下沙龙名额', description: '医生面对面答疑，了解项目与恢复', pointsPrice: 800,
        stock: 20, perClientLimit: 1, validFrom: null, validTo: iso(20 * DAY), redeemedByMe: 0,
      },
      {
        id: IDS.deduct, kind: 'project_voucher', title: '¥500 项目抵扣券', description: '到院消费时抵扣，不可兑现', pointsPrice: 2000,
        stock: 50, perClientLimit: null, validFrom: null, validTo: null, redeemedByMe: 0,
      },
      {
        id: IDS.soldOut, kind: 'care_product', title: '医用冷敷贴', description: '', pointsPrice: 200,
        stock: 0, perClientLimit: null, validFrom: null, validTo: null, redeemedByMe: 0,
      },
    ],
  },
  voucher: {
    id: IDS.voucher, item: { id: IDS.facial, kind: 'care_product', title: '术后修复面膜（5片装）' }, points: 300, code: CODE,
    status: 'issued', expiresAt: iso(88 * DAY), usedAt: null, cancelledAt: null, createdAt: iso(-2 * HOUR),
  },
  usedVoucher: {
    id: IDS.usedVoucher, item: { id: IDS.salon, kind: 'salon_seat', title: '美丽学院线下沙龙名额' }, points: 800, code: 'a3Z9xw2bNq',
    status: 'used', expiresAt: iso(30 * DAY), usedAt: iso(-5 * DAY), cancelledAt: null, createdAt: iso(-40 * DAY),
  },
  referral: {
    code: 'MEI8K2Q', sharePath: '/pages/index/index?ref=MEI8K2Q', qrCodePath: '/api/mp/referrals/qrcode',
    tier: { period: 'month', periodKey: '2026-03', converted: 2, rateBp: 500, next: { converted: 3, rateBp: 1000 } },
    friends: 4, cashback: { balanceFen: 34000, heldFen: 12800 }, heldPoints: 400, referredBy: null,
  },
  friends: {
    items: [
      { name: '王*', boundAt: iso(-2 * DAY), status: 'joined' },
      { name: '李**', boundAt: iso(-20 * DAY), status: 'reward_pending' },
      { name: '赵*', boundAt: iso(-50 * DAY), status: 'reward_earned' },
    ],
    page: 1,
    hasMore: false,
    others: 1,
  },
  cashback: {
    balanceFen: 34000, heldFen: 12800,
    items: [{ month: '2026-03', earnedFen: 44000, adjustedFen: -10000 }],
    page: 1,
    hasMore: false,
  },
  // Stored value 储值: the released cashback, ¥100 of it spent on an order.
  wallet: {
    balanceFen: 34000,
    items: [
      { kind: 'order_payment', deltaFen: -10000, month: null, createdAt: iso(-3 * DAY) },
      { kind: 'referral_month', deltaFen: 44000, month: '2026-03', createdAt: null },
    ],
    page: 1,
    hasMore: false,
  },
  leaderboardMonth: {
    period: 'month', periodKey: '2026-03',
    top: [
      { rank: 1, name: '陈*', converted: 5, isMe: false },
      { rank: 2, name: '林**', converted: 2, isMe: true },
      { rank: 2, name: '周*', converted: 2, isMe: false },
      { rank: 4, name: '吴*', converted: 1, isMe: false },
    ],
    me: { rank: 2, converted: 2 },
  },
  leaderboardQuarter: {
    period: 'quarter', periodKey: '2026-Q1',
    top: [{ rank: 1, name: '陈*', converted: 9, isMe: false }],
    me: { rank: null, converted: 0 },
  },
};

/** Every GET the loyalty pages make, answered with the demo data. */
export const LOYALTY_API: ApiScript = {
  'GET /api/mp/points': { status: 200, body: DEMO_LOYALTY.points },
  'GET /api/mp/points/entries': { status: 200, body: DEMO_LOYALTY.entries },
  'GET /api/mp/rewards': { status: 200, body: DEMO_LOYALTY.catalog },
  'GET /api/mp/vouchers': { status: 200, body: { items: [DEMO_LOYALTY.voucher, DEMO_LOYALTY.usedVoucher], page: 1, hasMore: false } },
  'GET /api/mp/vouchers/:id': (call) => {
    const v = [DEMO_LOYALTY.voucher, DEMO_LOYALTY.usedVoucher].find((x) => call.path.endsWith(`/${x.id}`));
    return v ? { status: 200, body: v } : { status: 404, body: { error: { code: 'NOT_FOUND', message: 'Voucher not found' } } };
  },
  'GET /api/mp/referrals/me': { status: 200, body: DEMO_LOYALTY.referral },
  'GET /api/mp/referrals/friends': { status: 200, body: DEMO_LOYALTY.friends },
  'GET /api/mp/referrals/cashback': { status: 200, body: DEMO_LOYALTY.cashback },
  'GET /api/mp/wallet': { status: 200, body: DEMO_LOYALTY.wallet },
  'GET /api/mp/referrals/leaderboard?period=month': { status: 200, body: DEMO_LOYALTY.leaderboardMonth },
  'GET /api/mp/referrals/leaderboard?period=quarter': { status: 200, body: DEMO_LOYALTY.leaderboardQuarter },
  // A few bytes standing in for the PNG WeChat makes (the page only writes them to a file).
  'GET /api/mp/referrals/qrcode': () => ({ status: 200, body: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).buffer }),
};

/** An SVG data URL of a QR code of `text` (for the poster screenshot, where no wxfile:// exists). */
function qrSvg(modules: boolean[][]): string {
  const n = modules.length;
  const rects = modules.flatMap((row, r) => row.map((dark, c) => (dark ? `<rect x="${c + 4}" y="${r + 4}" width="1" height="1"/>` : ''))).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${n + 8} ${n + 8}" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/>${rects}</svg>`;
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}

/** The loyalty pages for `npm run screenshots` (entries of scripts/screenshots.ts's list). */
export const LOYALTY_SHOTS: { name: string; page: string; api?: ApiScript; query?: Record<string, string>; after?: (page: Rendered) => Promise<void> }[] = [
  { name: 'points', page: 'pages/points/index', api: LOYALTY_API },
  { name: 'rewards', page: 'packageLoyalty/rewards/index', api: LOYALTY_API },
  { name: 'vouchers', page: 'packageLoyalty/vouchers/index', api: LOYALTY_API },
  { name: 'voucher', page: 'packageLoyalty/voucher/index', api: LOYALTY_API, query: { id: IDS.voucher, fresh: '1' } },
  { name: 'voucher-used', page: 'packageLoyalty/voucher/index', api: LOYALTY_API, query: { id: IDS.usedVoucher } },
  { name: 'referral', page: 'packageLoyalty/referral/index', api: LOYALTY_API },
  {
    name: 'referral-poster',
    page: 'packageLoyalty/poster/index',
    api: LOYALTY_API,
    after: async (page) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { encodeQr } = require('../../../miniprogram/utils/qrcode') as typeof import('../../../miniprogram/utils/qrcode');
      page.instance.setData({ qrPath: qrSvg(encodeQr(`https://example-hospital.cn/r?ref=${DEMO_LOYALTY.referral.code}`).modules) });
    },
  },
  { name: 'leaderboard', page: 'packageLoyalty/leaderboard/index', api: LOYALTY_API },
];
