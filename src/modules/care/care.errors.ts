import { defineErrors } from '../../shared/errors';

/** Follow-up plans. */
export const CareErrors = defineErrors({
  // The repurchase reminder's time comes from the project's effect duration, not an offset.
  FOLLOWUP_OFFSET_FIXED: 409,
});
