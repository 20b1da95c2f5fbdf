/**
 * 储值: the client's stored-value balance (released referral cashback) and its ledger, and turning
 * an amount into a voucher of equal value (GET /api/mp/wallet, POST /api/mp/wallet/vouchers).
 */
import { request } from '../utils/request';

export type WalletLineKind = 'referral_month' | 'order_payment' | 'order_refund' | 'voucher' | 'referral_cashback' | 'cashback_clawback';

export interface WalletLine {
  kind: WalletLineKind;
  deltaFen: number;
  /** Referral cashback: the month (YYYY-MM) the line totals. */
  month: string | null;
  createdAt: string | null;
}

export interface WalletPage {
  balanceFen: number;
  items: WalletLine[];
  page: number;
  hasMore: boolean;
}

export interface ConvertResult {
  balanceFen: number;
  replayed: boolean;
  voucher: { publicId: string; code: string; valueFen: number; expiresAt: string | null };
}

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
