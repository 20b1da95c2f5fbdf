import { defineErrors, type CodesOf } from '../../shared/errors';

/** Project catalog, orders and refunds. */
export const OrderErrors = defineErrors({
  // The same external order number with different content is an error, never a silent success.
  ORDER_NO_REUSED: 409,
  REFUND_NO_REUSED: 409,
  // Refunds of an order never add up to more than was paid.
  REFUND_EXCEEDS_PAID: 409,
  // Nothing is left to void: the order was refunded in full already.
  ORDER_ALREADY_REFUNDED: 409,
  PROJECT_INACTIVE: 409,
  PROJECT_CODE_TAKEN: 409,
});

// Its codes join the names a route may declare (RouteSpec.errors).
declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof OrderErrors> {}
}
