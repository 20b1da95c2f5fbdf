import { defineErrors, type CodesOf } from '../../shared/errors';

/** Follow-up plans. */
export const CareErrors = defineErrors({
  // The repurchase reminder's time comes from the project's effect duration, not an offset.
  FOLLOWUP_OFFSET_FIXED: 409,
});

// Its codes join the names a route may declare (RouteSpec.errors).
declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof CareErrors> {}
}
