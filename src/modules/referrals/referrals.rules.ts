import { shanghaiDate } from '../../shared/clock';
import { refundShareFen } from '../wallet';

export type ReferralPeriod = 'month' | 'quarter';
export interface Tier {
  minConverted: number;
  rateBp: number;
}

/** The Asia/Shanghai month (YYYY-MM) and quarter (YYYY-Qn) an instant falls in. */
export function periodKeys(at: Date): Record<ReferralPeriod, string> {
  const day = shanghaiDate(at);
  return { month: day.slice(0, 7), quarter: `${day.slice(0, 4)}-Q${Math.ceil(Number(day.slice(5, 7)) / 3)}` };
}

/** The tier for a number of converted referrals so far in the period (tiers ascending, the first at 0). */
export function tierFor(tiers: readonly Tier[], converted: number): { rateBp: number; next: Tier | null } {
  let i = 0;
  while (i + 1 < tiers.length && tiers[i + 1].minConverted <= converted) i++;
  return { rateBp: tiers[i]?.rateBp ?? 0, next: tiers[i + 1] ?? null };
}

/** Cashback for an amount at a rate in basis points, in integer fen, rounded down. */
export function cashbackFen(amountFen: number, rateBp: number): number {
  return Math.floor((Math.max(0, amountFen) * rateBp) / 10000);
}

/**
 * The cashback base of a friend's order: the real money in it. What the order was paid, less what
 * stored value paid of it (cashback spent again would earn cashback: a loop), less the cash part of
 * its refunds — a refund gives stored value back its share first (refundShareFen), so that share is
 * not taken from the base twice. A full refund or void leaves nothing. Pure.
 */
export function cashBaseFen(paidFen: number, storedValueFen: number, refundedTotalFen: number, full: boolean): number {
  if (full || refundedTotalFen >= paidFen) return 0;
  const cashRefunded = refundedTotalFen - refundShareFen(storedValueFen, paidFen, refundedTotalFen, false);
  return Math.max(0, paidFen - storedValueFen - cashRefunded);
}

/** 张三丰 → 张**, Alice → A****: the first character and at most four stars; no name → 微信用户. */
export function maskName(name: string | null): string {
  const chars = [...(name ?? '').trim()];
  if (!chars.length) return '微信用户';
  return `${chars[0]}${'*'.repeat(Math.min(Math.max(chars.length - 1, 1), 4))}`;
}

/** Competition ranking (1, 2, 2, 4) of entries already sorted by score, highest first. */
export function competitionRanks<T extends { score: number }>(sorted: readonly T[]): (T & { rank: number })[] {
  const out: (T & { rank: number })[] = [];
  for (const e of sorted) {
    const prev = out[out.length - 1];
    out.push({ ...e, rank: prev && prev.score === e.score ? prev.rank : out.length + 1 });
  }
  return out;
}

/** Reward rows that count as a converted referral (a refund in full cancels or claws it back). */
export const CONVERTED = "status IN ('held', 'released')";

/** The month or quarter before a period key: 2026-01 → 2025-12, 2026-Q1 → 2025-Q4. */
export function previousPeriodKey(period: ReferralPeriod, key: string): string {
  const year = Number(key.slice(0, 4));
  if (period === 'month') {
    const month = Number(key.slice(5, 7));
    return month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, '0')}`;
  }
  const quarter = Number(key.slice(6, 7));
  return quarter === 1 ? `${year - 1}-Q4` : `${year}-Q${quarter - 1}`;
}

/** 2026-11 → 2026年11月, 2026-Q4 → 2026年第4季度. */
export function periodLabel(period: ReferralPeriod, key: string): string {
  return period === 'month' ? `${key.slice(0, 4)}年${Number(key.slice(5, 7))}月` : `${key.slice(0, 4)}年第${key.slice(6, 7)}季度`;
}
