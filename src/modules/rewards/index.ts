export { RewardsService } from './rewards.service';
export type { RewardsDeps, RewardItemInput, RewardItemPatch, RewardItemView, CatalogItem, VoucherView } from './rewards.service';
export { RewardErrors } from './rewards.errors';
export { registerRewardRoutes } from './rewards.routes';
export * from './rewards.entity';
