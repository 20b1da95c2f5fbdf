/**
 * 积分: the client's balance, what expires soon, and the ledger (GET /api/mp/points, /entries).
 */
import { request } from '../utils/request';

export interface ExpiringLot {
  points: number;
  expiresAt: string;
}

export interface PointsSummary {
  balance: number;
  expiringSoon: { points: number; withinDays: number; lots: ExpiringLot[] };
}

export type PointsReason = 'questionnaire' | 'spend' | 'review_shared' | 'referral' | 'manual_adjust' | 'redeem' | 'redeem_cancel' | 'expire';

export interface PointsEntry {
  delta: number;
  reason: PointsReason;
  balanceAfter: number;
  expiresAt: string | null;
  remaining: number | null;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  page: number;
  hasMore: boolean;
}

/** How each ledger reason reads to the client. */
export const REASON_LABELS: Record<PointsReason, string> = {
  questionnaire: '完成意向问卷',
  spend: '消费得积分',
  review_shared: '分享好评',
  referral: '推荐好友奖励',
  manual_adjust: '积分调整',
  redeem: '兑换礼品',
  redeem_cancel: '取消兑换，积分退回',
  expire: '积分过期',
};

export function reasonLabel(reason: string): string {
  return REASON_LABELS[reason as PointsReason] ?? '积分变动';
}

export function getPointsSummary(): Promise<PointsSummary> {
  return request<PointsSummary>({ path: '/api/mp/points' });
}

export function getPointsEntries(page = 1, pageSize = 20): Promise<Page<PointsEntry>> {
  return request<Page<PointsEntry>>({ path: '/api/mp/points/entries', query: { page, pageSize } });
}
