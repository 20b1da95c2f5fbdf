import { defineErrors, type CodesOf } from '../../shared/errors';

/** Satisfaction surveys, complaints and cases. */
export const FeedbackErrors = defineErrors({
  // A survey is answered once; the same answer again replays, a different one is refused.
  SURVEY_ALREADY_ANSWERED: 409,
  SURVEY_EXPIRED: 409,
  // Sharing needs an answered survey with an NPS of 9 or 10.
  SURVEY_NOT_SHAREABLE: 409,
  // The order is not the client's, or it was voided.
  SURVEY_ORDER_INVALID: 409,
  CASE_ALREADY_RESOLVED: 409,
  // The compensation chosen cannot be given (its voucher rule is switched off).
  COMPENSATION_UNAVAILABLE: 409,
  // The same request id with a different complaint.
  IDEMPOTENCY_KEY_REUSED: 409,
});

// Its codes join the names a route may declare (RouteSpec.errors).
declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof FeedbackErrors> {}
}
