/**
 * 积分商城: the catalog, redemption (retry-safe by a client-generated requestId) and the client's
 * vouchers with their one-time code (GET/POST /api/mp/rewards…, /api/mp/vouchers…).
 */
import { isApiError, request, type ApiError } from '../utils/request';
import type { ApiOk, ItemOf } from './api';

export type Catalog = ApiOk<'/api/mp/rewards'>;
export type RewardItem = ItemOf<Catalog>;
export type RewardKind = RewardItem['kind'];
export type Vouchers = ApiOk<'/api/mp/vouchers'>;
export type Voucher = ApiOk<'/api/mp/vouchers/{id}'>;
export type VoucherStatus = Voucher['status'];

export const KIND_LABELS: Record<RewardKind, string> = {
  project_voucher: '项目抵扣',
  care_product: '术后护理',
  salon_seat: '沙龙名额',
};

/** Vouchers the hospital's rules give (care gift, birthday, win-back …): their kind is the voucher's own. */
const BENEFIT_LABELS: Record<string, string> = {
  amount_off: '代金券',
  percent_off: '折扣券',
  free_service: '体验券',
  gift: '礼品',
};

export function kindLabel(kind: string): string {
  return KIND_LABELS[kind as RewardKind] ?? BENEFIT_LABELS[kind] ?? '礼品';
}

/** What the client can do with a voucher now; 'expired' also covers an issued voucher past its date. */
export type VoucherState = 'usable' | 'used' | 'cancelled' | 'expired';

export function voucherState(v: Pick<Voucher, 'status' | 'expiresAt'>, now: number = Date.now()): VoucherState {
  if (v.status === 'used') return 'used';
  if (v.status === 'cancelled') return 'cancelled';
  if (v.status === 'expired' || new Date(v.expiresAt).getTime() <= now) return 'expired';
  return 'usable';
}

export const VOUCHER_STATE_LABELS: Record<VoucherState, string> = {
  usable: '待使用',
  used: '已使用',
  cancelled: '已取消',
  expired: '已过期',
};

/** The one-time code in groups for reading aloud at the front desk: K7M2 P9QX 4H. */
export function groupCode(code: string): string {
  return code.replace(/(.{4})(?=.)/g, '$1 ');
}

export function getCatalog(): Promise<Catalog> {
  return request<Catalog>({ path: '/api/mp/rewards' });
}

export function listVouchers(page = 1, pageSize = 20): Promise<Vouchers> {
  return request<Vouchers>({ path: '/api/mp/vouchers', query: { page, pageSize } });
}

export function getVoucher(id: string): Promise<Voucher> {
  return request<Voucher>({ path: `/api/mp/vouchers/${encodeURIComponent(id)}` });
}

/** Cancels an unused voucher; the points and the stock come back. */
export function cancelVoucher(id: string): Promise<Voucher> {
  // Idempotent in effect: a repeat answers 409 VOUCHER_CANCELLED, never a second refund.
  return request<ApiOk<'/api/mp/vouchers/{id}/cancel', 'post'>>({ method: 'POST', path: `/api/mp/vouchers/${encodeURIComponent(id)}/cancel`, idempotent: true });
}

// ------------------------------------------------------------------ redemption

// No expiry: reusing the id of a redemption that did go through only returns its voucher again, so the
// id is kept until an answer comes — a fresh one could spend the points a second time.
const PENDING_KEY = 'loyalty.pendingRedeem';

type Pending = Record<string, { requestId: string; at: number }>;

function readPending(): Pending {
  try {
    const v = wx.getStorageSync(PENDING_KEY) as Pending | '';
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

function writePending(p: Pending): void {
  try {
    wx.setStorageSync(PENDING_KEY, p);
  } catch {
    // Storage unavailable: the id still lives for this attempt's own retries.
  }
}

/** A random UUID v4 (wx has no crypto.randomUUID); it only has to be unique among the client's redemptions. */
export function uuid4(): string {
  const b: number[] = [];
  for (let i = 0; i < 16; i++) b.push(Math.floor(Math.random() * 256));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The requestId of an unanswered redemption of this item, if one is pending. */
export function pendingRedeemId(itemId: string): string | undefined {
  return readPending()[itemId]?.requestId;
}

/**
 * Redeems an item. The requestId is kept (in storage) until the API has answered, so a redemption
 * whose answer was lost — even after request()'s own retries, or after leaving the page — is sent
 * again with the same id and returns the same voucher instead of spending the points twice.
 */
export async function redeem(itemId: string): Promise<Voucher> {
  const reused = pendingRedeemId(itemId);
  const requestId = reused ?? uuid4();
  if (!reused) writePending({ ...readPending(), [itemId]: { requestId, at: Date.now() } });
  try {
    const voucher = await request<ApiOk<'/api/mp/rewards/{id}/redeem', 'post'>>({
      method: 'POST', path: `/api/mp/rewards/${encodeURIComponent(itemId)}/redeem`, data: { requestId }, idempotent: true,
    });
    forget(itemId, requestId);
    return voucher;
  } catch (e) {
    // An answer from the API settles it (refused or not); only a lost answer keeps the id.
    if (isApiError(e) && e.status > 0) forget(itemId, requestId);
    throw e;
  }
}

function forget(itemId: string, requestId: string): void {
  const p = readPending();
  if (p[itemId]?.requestId !== requestId) return;
  delete p[itemId];
  writePending(p);
}

/** Why a redemption was refused, in words for the client (title + body), from the API error. */
export function redeemRefusal(e: ApiError, item: Pick<RewardItem, 'pointsPrice' | 'title'>): { title: string; content: string; lost: boolean } {
  switch (e.code) {
    case 'POINTS_INSUFFICIENT': {
      const d = (e.details ?? {}) as { balance?: number; needed?: number };
      const needed = typeof d.needed === 'number' ? d.needed : item.pointsPrice;
      const short = typeof d.balance === 'number' ? Math.max(needed - d.balance, 1) : undefined;
      const content = short !== undefined
        ? `兑换需要 ${needed} 积分，您现有 ${d.balance} 积分，还差 ${short} 积分。完成问卷、消费或推荐好友都能获得积分。`
        : `兑换需要 ${needed} 积分，您的积分暂时不够。`;
      return { title: short !== undefined ? `积分不足，还差 ${short} 积分` : '积分不足', content, lost: false };
    }
    case 'REWARD_OUT_OF_STOCK':
      return { title: '已兑完', content: `「${item.title}」刚刚被兑完了，您的积分没有扣除。看看其他礼品吧。`, lost: false };
    case 'REWARD_NOT_AVAILABLE':
      return { title: '暂不可兑换', content: `「${item.title}」已下架或不在兑换时间内，您的积分没有扣除。`, lost: false };
    case 'REWARD_LIMIT_REACHED': {
      const limit = (e.details as { limit?: number } | undefined)?.limit;
      return { title: '已达兑换上限', content: limit ? `此礼品每人限兑 ${limit} 份，您已兑满。` : '此礼品您已兑满。', lost: false };
    }
    default:
      if (e.status === 0) {
        return {
          title: '兑换结果未确认',
          content: `${e.friendly}。稍后点「继续兑换」即可完成这次兑换，不会重复扣积分。`,
          lost: true,
        };
      }
      return { title: '兑换没有成功', content: e.friendly, lost: false };
  }
}
