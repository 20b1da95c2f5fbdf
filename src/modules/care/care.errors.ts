import { defineErrors, type CodesOf } from '../../shared/errors';

/** Follow-up plans and treatments. */
export const CareErrors = defineErrors({
  // The repurchase reminder's time comes from the project's effect duration, not an offset.
  FOLLOWUP_OFFSET_FIXED: 409,
  // A refunded or voided order pays for no treatment.
  TREATMENT_ORDER_REFUNDED: 409,
  // The order line a treatment consumes must be in the order.
  TREATMENT_NOT_IN_ORDER: 422,
  TREATMENT_DOCTOR_INVALID: 422,
  TREATMENT_IN_FUTURE: 422,
  // One request id records one treatment; reusing it for another is a client bug.
  TREATMENT_REQUEST_REUSED: 409,
});

// Its codes join the names a route may declare (RouteSpec.errors).
declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof CareErrors> {}
}
