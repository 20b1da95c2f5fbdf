import { defineErrors } from '../../shared/errors';

/** Delivery and mini-program subscriptions. */
export const DeliveryErrors = defineErrors({
  // A client banks credits for a bounded number of templates (the mini-program uses a handful).
  SUBSCRIPTION_TEMPLATES_LIMIT: 409,
});
