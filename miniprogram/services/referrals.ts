/**
 * 推荐有礼: the client's referral code and share path, tier and cashback, invited friends, the
 * leaderboard, and the mini-program code image for the poster (GET /api/mp/referrals/…).
 */
import { request } from '../utils/request';
import type { ApiOk, ItemOf } from './api';

export type ReferralSummary = ApiOk<'/api/mp/referrals/me'>;
/** When the client was referred: whether their referrer may see their status. */
export type StatusConsent = ApiOk<'/api/mp/referrals/status-consent', 'put'>;
/** Friends who agreed to share their status (never what they bought or paid), and how many others (a count only). */
export type Friends = ApiOk<'/api/mp/referrals/friends'>;
export type Friend = ItemOf<Friends>;
export type FriendStatus = Friend['status'];
/** Own cashback by month (YYYY-MM, Asia/Shanghai; totals only, never one line per friend's purchase). */
export type Cashback = ApiOk<'/api/mp/referrals/cashback'>;
export type CashbackMonth = ItemOf<Cashback>;
export type Leaderboard = ApiOk<'/api/mp/referrals/leaderboard'>;
export type LeaderboardPeriod = Leaderboard['period'];

export const FRIEND_STATUS_LABELS: Record<FriendStatus, string> = {
  joined: '已加入',
  reward_pending: '奖励待发放',
  reward_earned: '奖励已发放',
};

/** Basis points as a percentage for people: 500 → "5%", 1250 → "12.5%". */
export function ratePercent(bp: number): string {
  return `${Number((bp / 100).toFixed(2))}%`;
}

export function getReferralSummary(): Promise<ReferralSummary> {
  return request<ReferralSummary>({ path: '/api/mp/referrals/me' });
}

export function getFriends(page = 1, pageSize = 20): Promise<Friends> {
  return request<Friends>({ path: '/api/mp/referrals/friends', query: { page, pageSize } });
}

/** As a referred client: let the referrer see my status, or not. */
export function setStatusConsent(sharesStatus: boolean): Promise<StatusConsent> {
  return request<StatusConsent>({ method: 'PUT', path: '/api/mp/referrals/status-consent', data: { sharesStatus }, idempotent: true });
}

export function getCashback(page = 1, pageSize = 20): Promise<Cashback> {
  return request<Cashback>({ path: '/api/mp/referrals/cashback', query: { page, pageSize } });
}

export function getLeaderboard(period: LeaderboardPeriod): Promise<Leaderboard> {
  return request<Leaderboard>({ path: '/api/mp/referrals/leaderboard', query: { period } });
}

function writeFile(filePath: string, data: ArrayBuffer): Promise<void> {
  return new Promise((resolve, reject) => {
    wx.getFileSystemManager().writeFile({
      filePath,
      data,
      success: () => resolve(),
      fail: (err) => reject(err),
    });
  });
}

/**
 * The client's mini-program code (wxacode, scene ref=CODE) as a local file for <image> and the
 * photo album: fetched with the session (the API serves it only to its owner), written under
 * USER_DATA_PATH. Rejects with ApiError (e.g. REFERRAL_QR_UNAVAILABLE when WeChat refuses).
 */
export async function loadReferralQrImage(summary: Pick<ReferralSummary, 'code' | 'qrCodePath'>): Promise<string> {
  const image = await request<ArrayBuffer>({ path: summary.qrCodePath, responseType: 'arraybuffer' });
  const filePath = `${wx.env.USER_DATA_PATH}/referral-qr-${summary.code}.png`;
  await writeFile(filePath, image);
  return filePath;
}
