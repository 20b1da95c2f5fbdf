/**
 * 储值: the client's stored-value balance (released referral cashback) and its ledger, and turning
 * an amount into a voucher of equal value (GET /api/mp/wallet, POST /api/mp/wallet/vouchers).
 */
import { request } from '../utils/request';
import type { ApiOk, ItemOf } from './api';

export type WalletPage = ApiOk<'/api/mp/wallet'>;
export type WalletLine = ItemOf<WalletPage>;
export type WalletLineKind = WalletLine['kind'];
export type ConvertResult = ApiOk<'/api/mp/wallet/vouchers', 'post'>;

export const WALLET_LINE_LABELS: Record<WalletLineKind, string> = {
  referral_month: '推荐返现',
  referral_cashback: '推荐返现',
  cashback_clawback: '返现调整',
  order_payment: '储值消费',
  order_refund: '退款退回储值',
  voucher: '兑换代金券',
};

export function getWallet(page = 1, pageSize = 20): Promise<WalletPage> {
  return request<WalletPage>({ path: '/api/mp/wallet', query: { page, pageSize } });
}

/** Retry-safe: the same requestId answers with the same voucher. */
export function convertToVoucher(amountFen: number, requestId: string): Promise<ConvertResult> {
  return request<ConvertResult>({ method: 'POST', path: '/api/mp/wallet/vouchers', data: { amountFen, requestId }, idempotent: true });
}
