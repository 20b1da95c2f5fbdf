import { defineErrors, type CodesOf } from '../../shared/errors';

/** Rewards catalog, redemption and vouchers. */
export const RewardErrors = defineErrors({
  REWARD_OUT_OF_STOCK: 409,
  // Inactive, or outside its validity dates.
  REWARD_NOT_AVAILABLE: 409,
  REWARD_LIMIT_REACHED: 409,
  REWARD_DATES_INVALID: 400,
  VOUCHER_USED: 409,
  VOUCHER_EXPIRED: 409,
  VOUCHER_CANCELLED: 409,
  VOUCHER_NOT_YET_VALID: 409,
  // A voucher limited to projects, used on another one.
  VOUCHER_NOT_FOR_PROJECT: 409,
});

// Its codes join the names a route may declare (RouteSpec.errors).
declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof RewardErrors> {}
}
