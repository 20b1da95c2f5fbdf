import { shanghaiDate } from '../../shared/clock';
import type { BenefitKind } from './rewards.entity';

/** What a voucher issued by a rule gives. Money in fen; `projects` are project codes (null: any project). */
export interface VoucherBenefit {
  kind: BenefitKind;
  title: string;
  /** amount_off: the amount taken off. */
  valueFen?: number | null;
  /** percent_off: the percentage taken off (1–99) … */
  percent?: number | null;
  /** … up to this many fen. */
  capFen?: number | null;
  /** free_service and gift: what the client receives (e.g. 皮肤检测). */
  service?: string | null;
  projects?: string[] | null;
}

/**
 * The discount a voucher gives on an order amount at 核销, in fen. Percent off is rounded down to
 * the fen (the client never gets more than the stated percentage) and then capped; amount off never
 * exceeds the order. A free service or a gift takes nothing off an order: null.
 */
export function discountFen(b: Pick<VoucherBenefit, 'kind' | 'valueFen' | 'percent' | 'capFen'>, orderAmountFen: number | null): number | null {
  if (b.kind === 'amount_off') return orderAmountFen === null ? Number(b.valueFen) : Math.min(Number(b.valueFen), orderAmountFen);
  if (b.kind === 'percent_off') {
    if (orderAmountFen === null) return null;
    const raw = Math.floor((orderAmountFen * Number(b.percent)) / 100);
    return b.capFen === null || b.capFen === undefined ? raw : Math.min(raw, Number(b.capFen));
  }
  return null;
}

/** ¥100 / ¥99.50: fen as yuan, without trailing zeros after the point. */
export function yuan(fen: number): string {
  const whole = Math.floor(fen / 100);
  const rest = fen % 100;
  return rest === 0 ? `¥${whole}` : `¥${whole}.${String(rest).padStart(2, '0').replace(/0$/, '')}`;
}

/** 20% off is 8折 in Chinese shops; 15% off is 8.5折. */
function zhe(percent: number): string {
  const tenths = 100 - percent;
  return `${tenths % 10 === 0 ? tenths / 10 : (tenths / 10).toFixed(1)}折`;
}

/** The benefit in a few words, as the client reads it: "¥100 代金券", "8折（最高减¥500）", "免费皮肤检测". */
export function benefitText(b: VoucherBenefit): string {
  switch (b.kind) {
    case 'amount_off':
      return `${yuan(Number(b.valueFen))} 代金券`;
    case 'percent_off':
      return b.capFen ? `${zhe(Number(b.percent))}券（最高减${yuan(Number(b.capFen))}）` : `${zhe(Number(b.percent))}券`;
    case 'free_service':
      return `免费${b.service ?? ''}`;
    case 'gift':
      return `礼品：${b.service ?? b.title}`;
  }
}

/**
 * What the messages the rules send say about the voucher: its title, value and last valid day on
 * the Shanghai calendar (an expiry at midnight belongs to the day before).
 */
export function voucherSentence(v: VoucherBenefit & { expiresAt: Date }): string {
  const lastDay = shanghaiDate(new Date(v.expiresAt.getTime() - 1));
  return `「${v.title}」${benefitText(v)}，有效期至 ${lastDay}`;
}

/** Checks a benefit's fields fit its kind; returns the field at fault and why, or null. */
export function benefitProblem(b: VoucherBenefit): { field: string; message: string } | null {
  const intIn = (v: unknown, min: number, max: number) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
  if (b.kind === 'amount_off' && !intIn(b.valueFen, 1, 100_000_000)) return { field: 'valueFen', message: 'an amount-off voucher needs valueFen (1 fen or more)' };
  if (b.kind === 'percent_off') {
    if (!intIn(b.percent, 1, 99)) return { field: 'percent', message: 'a percent-off voucher needs percent 1–99' };
    if (b.capFen !== null && b.capFen !== undefined && !intIn(b.capFen, 1, 100_000_000)) return { field: 'capFen', message: 'the cap is 1 fen or more' };
  }
  if ((b.kind === 'free_service' || b.kind === 'gift') && !b.service) return { field: 'service', message: 'say what the client receives' };
  if (!b.title || b.title.length > 64) return { field: 'title', message: 'a title of 1–64 characters' };
  return null;
}
