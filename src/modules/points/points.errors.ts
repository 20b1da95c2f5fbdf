import { defineErrors, type CodesOf } from '../../shared/errors';

/** The points ledger. */
export const PointsErrors = defineErrors({
  // A balance never goes negative.
  POINTS_INSUFFICIENT: 409,
  // The same idempotency key with different content is an error, never a silent success.
  IDEMPOTENCY_KEY_REUSED: 409,
});

// Its codes join the names a route may declare (RouteSpec.errors).
declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof PointsErrors> {}
}
