import Joi from 'joi';
import { pageQuery as anyPageQuery } from '../../shared/http/schemas';
import type { ReferralPeriod } from './referrals.rules';

// The request schemas carry their validated shape (Joi.object<T>), so the handlers' input is typed from them.

/** Paging of a list (the shared schema, with its shape). */
export const pageQuery: Joi.ObjectSchema<{ page: number; pageSize: number }> = anyPageQuery;
/** Routes that take no query still refuse unknown keys (e.g. an attempt to name another client). */
export const noQuery = Joi.object<Record<never, never>>({});
export const leaderboardQuery = Joi.object<{ period: ReferralPeriod }>({
  period: Joi.string().valid('month', 'quarter').default('month').description('calendar month or quarter, Asia/Shanghai'),
});

const tierView = Joi.object({
  period: Joi.string().valid('month', 'quarter'),
  periodKey: Joi.string().description('YYYY-MM or YYYY-Qn'),
  converted: Joi.number().integer().description('converted referrals so far in the period'),
  rateBp: Joi.number().integer().description('cashback rate of the next paid order of a friend, basis points'),
  next: Joi.object({ converted: Joi.number().integer(), rateBp: Joi.number().integer() }).allow(null),
});
export const statusConsentView = Joi.object({
  sharesStatus: Joi.boolean().description('the referrer sees this client as joined / reward pending / reward earned'),
  decidedAt: Joi.date().allow(null),
});
export const statusConsentBody = Joi.object<{ sharesStatus: boolean }>({ sharesStatus: Joi.boolean().strict().required() }).required();
export const summaryResponse = Joi.object({
  code: Joi.string().description('the client\'s referral code 推荐码'),
  sharePath: Joi.string().description('path for onShareAppMessage, with the code as `ref`'),
  qrCodePath: Joi.string().description('GET this (with the session) for the QR code image'),
  tier: tierView,
  friends: Joi.number().integer(),
  cashback: Joi.object({
    balanceFen: Joi.number().integer().description('released cashback; negative after a clawback larger than the balance (offset against future cashback)'),
    heldFen: Joi.number().integer().description('cashback waiting for the refund window to pass'),
  }),
  heldPoints: Joi.number().integer().description('referral points waiting for the refund window (as referrer, and welcome points as a referred friend)'),
  referredBy: statusConsentView.allow(null).description('for a referred client: whether the referrer may see their status'),
});
export const friendsResponse = Joi.object({
  items: Joi.array().items(Joi.object({
    name: Joi.string().description('masked'),
    boundAt: Joi.date(),
    status: Joi.string().valid('joined', 'reward_pending', 'reward_earned'),
  })).description('only friends who agreed to share their status'),
  page: Joi.number().integer(),
  hasMore: Joi.boolean(),
  others: Joi.number().integer().description('friends who did not agree: a count only'),
});
export const cashbackResponse = Joi.object({
  balanceFen: Joi.number().integer(),
  heldFen: Joi.number().integer(),
  items: Joi.array().items(Joi.object({
    month: Joi.string().description('YYYY-MM, Asia/Shanghai'),
    earnedFen: Joi.number().integer().description('cashback credited in the month'),
    adjustedFen: Joi.number().integer().description('taken back in the month after refunds (zero or negative)'),
  })).description('monthly totals, newest first: never one line per reward'),
  page: Joi.number().integer(),
  hasMore: Joi.boolean(),
});
export const leaderboardResponse = Joi.object({
  period: Joi.string().valid('month', 'quarter'),
  periodKey: Joi.string(),
  top: Joi.array().items(Joi.object({ rank: Joi.number().integer(), name: Joi.string(), converted: Joi.number().integer(), isMe: Joi.boolean() })),
  me: Joi.object({ rank: Joi.number().integer().allow(null), converted: Joi.number().integer() }),
});
export const consistencyResponse = Joi.object({
  accounts: Joi.number().integer(),
  drift: Joi.array().items(Joi.object({ clientId: Joi.number().integer(), balanceFen: Joi.number().integer(), sumFen: Joi.number().integer() })),
  rewards: Joi.array().items(Joi.object({
    rewardId: Joi.number().integer(), status: Joi.string(), expectedFen: Joi.number().integer(), sumFen: Joi.number().integer(),
  })),
});
