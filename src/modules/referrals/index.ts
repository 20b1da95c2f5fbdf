import type { Task } from '../../shared/task';
import type { ReferralsService } from './referrals.service';

export { ReferralsService } from './referrals.service';
export type { ReferralsDeps } from './referrals.shared';
export type {
  BindInput, BindOutcome, FriendStatus, FriendView, FriendsView, StatusConsentView, TierView, ReferralSummary, CashbackMonthView, LeaderboardView,
  CashbackConsistencyReport, ReleaseReport, CashbackWallet, PrizeAward,
} from './referrals.types';
export { ReferralErrors, BIND_REFUSALS } from './referrals.errors';
export type { BindRefusal, VoidReason } from './referrals.errors';
export { periodKeys, tierFor, cashbackFen, cashBaseFen, maskName } from './referrals.rules';
export type { ReferralPeriod, Tier } from './referrals.rules';
export { registerReferralRoutes } from './referrals.routes';
export * from './referrals.entity';

/**
 * Every 10 minutes: releases referral rewards whose refund window has passed (cashback and both
 * sides' points), then pushes leaderboard changes to Redis. Safe to run twice (keys per reward). For allTasks().
 */
export const referralReleaseTask: Task<{ referrals: ReferralsService }> = {
  id: 'referral-release',
  schedule: '*/10 * * * *',
  description: 'Release held referral rewards whose refund window has passed',
  run: async ({ services, now }) => ({ items: (await services.referrals.releaseDue(now)).released }),
};

/** Daily at 01:20 Shanghai: the closed month's and quarter's 冲榜 prizes, once per period (safe with two schedulers). For allTasks(). */
export const referralPrizesTask: Task<{ referrals: ReferralsService }> = {
  id: 'referral-prizes',
  schedule: '20 1 * * *',
  description: 'Issue the referral leaderboard prizes of the closed month and quarter (top N, once per period)',
  run: async ({ services, now }) => ({ items: (await services.referrals.awardPrizes(now)).reduce((n, a) => n + a.winners, 0) }),
};
