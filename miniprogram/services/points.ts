/**
 * 积分: the client's balance, what expires soon, and the ledger (GET /api/mp/points, /entries).
 */
import { request } from '../utils/request';
import type { ApiOk, ItemOf } from './api';

export type PointsSummary = ApiOk<'/api/mp/points'>;
export type ExpiringLot = ItemOf<PointsSummary['expiringSoon']['lots']>;
export type PointsEntries = ApiOk<'/api/mp/points/entries'>;
export type PointsEntry = ItemOf<PointsEntries>;
export type PointsReason = PointsEntry['reason'];

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

export function getPointsEntries(page = 1, pageSize = 20): Promise<PointsEntries> {
  return request<PointsEntries>({ path: '/api/mp/points/entries', query: { page, pageSize } });
}
