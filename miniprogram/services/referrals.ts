/**
 * 推荐有礼: the client's referral code and share path, tier and cashback, invited friends, the
 * leaderboard, and the mini-program code image for the poster (GET /api/mp/referrals/…).
 */
import { request } from '../utils/request';
import type { Page } from './points';

export interface ReferralSummary {
  code: string;
  /** For onShareAppMessage: the share page with the code as `ref`. */
  sharePath: string;
  qrCodePath: string;
  tier: {
    period: 'month' | 'quarter';
    periodKey: string;
    converted: number;
    rateBp: number;
    next: { converted: number; rateBp: number } | null;
  };
  friends: number;
  cashback: { balanceFen: number; heldFen: number };
  heldPoints: number;
  /** When the client was referred: whether their referrer may see their status. */
  referredBy: StatusConsent | null;
}

export interface StatusConsent {
  sharesStatus: boolean;
  decidedAt: string | null;
}

/** Only what a friend agreed to share: never what they bought or paid. */
export type FriendStatus = 'joined' | 'reward_pending' | 'reward_earned';

export interface Friend {
  name: string;
  boundAt: string;
  status: FriendStatus;
}

/** Friends who agreed to share their status, and how many others (a count only). */
export interface Friends extends Page<Friend> {
  others: number;
}

/** One month of own cashback (totals only: never one line per friend's purchase). */
export interface CashbackMonth {
  /** YYYY-MM, Asia/Shanghai. */
  month: string;
  earnedFen: number;
  /** Taken back after refunds: zero or negative. */
  adjustedFen: number;
}

export interface Cashback extends Page<CashbackMonth> {
  balanceFen: number;
  heldFen: number;
}

export type LeaderboardPeriod = 'month' | 'quarter';

export interface Leaderboard {
  period: LeaderboardPeriod;
  periodKey: string;
  top: { rank: number; name: string; converted: number; isMe: boolean }[];
  me: { rank: number | null; converted: number };
}

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
