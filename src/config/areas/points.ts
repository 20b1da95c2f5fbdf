import Joi from 'joi';
import { area, int, setting } from '../setting';

const perYuan = (category: string) => setting(`POINTS_PER_YUAN_${category.toUpperCase()}`, Joi.number().min(0).max(100).precision(2), {
  default: 1, doc: `Points per yuan paid for ${category} projects (up to two decimals; rounded down per order)`,
});

export const points = area('Points 积分', {
  questionnaire: int('POINTS_QUESTIONNAIRE', { min: 0, max: 100000, default: 100, doc: 'Points for completing the intent questionnaire (once per template version)' }),
  perYuan: { skin: perYuan('skin'), light: perYuan('light'), surgery: perYuan('surgery') },
  reviewShared: int('POINTS_REVIEW_SHARED', { min: 0, max: 100000, default: 50, doc: 'Points for a good satisfaction review the client shared' }),
  referral: int('POINTS_REFERRAL', { min: 0, max: 100000, default: 200, doc: 'Points for the referrer when a referred friend qualifies' }),
  // 推荐新客双倍积分 (DOMAIN.md).
  referralNewClientMultiplier: int('POINTS_REFERRAL_NEW_CLIENT_MULTIPLIER', {
    min: 1, max: 10, default: 2, doc: 'Multiplier on POINTS_REFERRAL when the friend is a new client (推荐新客双倍积分)',
  }),
  expiryMonths: int('POINTS_EXPIRY_MONTHS', { min: 1, max: 120, default: 12, doc: 'Points expire this many months after they were earned, oldest first' }),
  expiringSoonDays: int('POINTS_EXPIRING_SOON_DAYS', { min: 1, max: 365, default: 30, doc: '"Expiring soon" window shown to the client (days)' }),
});

export const rewards = area('Rewards 兑换', {
  voucherValidDays: int('REWARD_VOUCHER_VALID_DAYS', {
    min: 1, max: 3650, default: 90, doc: 'A redeemed voucher is valid this many days (or until the reward\'s end date, if earlier)',
  }),
});

export const wallet = area('Stored value 储值', {
  voucherValidDays: int('WALLET_VOUCHER_VALID_DAYS', {
    min: 1, max: 3650, default: 365, doc: 'Stored value (储值, released referral cashback): days a voucher converted from it stays usable',
  }),
});
