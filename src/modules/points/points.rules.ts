import type { Config } from '../../config';
import { SHANGHAI_OFFSET_MS } from '../../shared/clock';

export type SpendCategory = 'skin' | 'light' | 'surgery';

/** Earning rules (DOMAIN.md, points and referral) as configuration; every number comes from Config. */
export interface EarningRules {
  questionnaire: number;
  perYuan: Record<SpendCategory, number>;
  reviewShared: number;
  referral: number;
  referralNewClientMultiplier: number;
  expiryMonths: number;
  expiringSoonDays: number;
}

export function rulesFromConfig(config: Config): EarningRules {
  return { ...config.points, perYuan: { ...config.points.perYuan } };
}

/** Points for a paid amount: per-yuan rate (two decimals) applied in integer arithmetic, rounded down. */
export function spendPoints(rules: EarningRules, amountFen: number, category: SpendCategory): number {
  const ratePerHundredth = Math.round(rules.perYuan[category] * 100);
  return Math.floor((amountFen * ratePerHundredth) / 10000);
}

/** 推荐新客双倍积分: the referrer's points are multiplied when the friend is a new client. */
export function referralPoints(rules: EarningRules, isNewClient: boolean): number {
  return rules.referral * (isNewClient ? rules.referralNewClientMultiplier : 1);
}


/**
 * When points earned at `at` expire: the same wall-clock time `expiryMonths` later on the
 * Asia/Shanghai calendar, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb).
 */
export function expiryOf(rules: EarningRules, at: Date): Date {
  const local = new Date(at.getTime() + SHANGHAI_OFFSET_MS);
  const y = local.getUTCFullYear();
  const m = local.getUTCMonth() + rules.expiryMonths;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const target = new Date(local);
  target.setUTCDate(1);
  target.setUTCFullYear(y, m, Math.min(local.getUTCDate(), lastDay));
  return new Date(target.getTime() - SHANGHAI_OFFSET_MS);
}
