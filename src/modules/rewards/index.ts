import type { Task } from '../../shared/task';
import type { RewardsService } from './rewards.service';

export { RewardsService } from './rewards.service';
export type { RewardsDeps, RewardItemInput, RewardItemPatch, RewardItemView, CatalogItem, VoucherView, RedeemInput } from './rewards.service';
export type { IssueRequest, IssueTarget, IssuedVoucher, RuleBenefit } from './rewards.issue';
export { validUntil } from './rewards.issue';
export type { VoucherRuleView, VoucherRulePatch } from './rewards.rules';
export type { VoucherBenefit } from './rewards.benefits';
export { discountFen, benefitText, voucherSentence, yuan } from './rewards.benefits';
export { RewardErrors } from './rewards.errors';
export { registerRewardRoutes } from './rewards.routes';
export { VoucherExports } from './rewards.export';
export * from './rewards.entity';

/** Nightly: vouchers past their date are recorded as expired (status and time), in batches. For allTasks(). */
export const voucherExpiryTask: Task<{ rewards: RewardsService }> = {
  id: 'voucher-expiry',
  schedule: '5 0 * * *',
  description: 'Record vouchers past their validity as expired',
  run: async ({ services, now }) => ({ items: await services.rewards.expireVouchers(now) }),
};
