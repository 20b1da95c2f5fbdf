import { defineErrors, type CodesOf } from '../../shared/errors';

/** The stored-value ledger 储值. */
export const WalletErrors = defineErrors({
  // A stored-value balance never goes negative: a payment or conversion larger than it is refused.
  WALLET_INSUFFICIENT: 409,
  // The same request id with different content is an error, never a silent success.
  WALLET_REQUEST_REUSED: 409,
  // Stored-value payments on an order add up to at most the order.
  WALLET_EXCEEDS_ORDER: 409,
  // Only an order with no refund can be paid from stored value (so a refund's share is fixed).
  WALLET_ORDER_REFUNDED: 409,
});

// Its codes join the names a route may declare (RouteSpec.errors).
declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof WalletErrors> {}
}
