import { defineErrors, type CodesOf } from '../../shared/errors';

/** Delivery and mini-program subscriptions. */
export const DeliveryErrors = defineErrors({
  // A client banks credits for a bounded number of templates (the mini-program uses a handful).
  SUBSCRIPTION_TEMPLATES_LIMIT: 409,
});

// Its codes join the names a route may declare (RouteSpec.errors).
declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof DeliveryErrors> {}
}
