import { defineErrors, type CodesOf } from '../../shared/errors';

/** Plans, intent letters, appointments and the pipeline metrics. */
export const ConsultationErrors = defineErrors({
  // Accepted plans are frozen: a second acceptance, a revision, a proposal or a withdrawal is refused.
  PLAN_ALREADY_ACCEPTED: 409,
  PLAN_WITHDRAWN: 409,
  // The client acted on revision N while N+1 exists (or on one that does not exist yet).
  PLAN_REVISION_OUTDATED: 409,
  // The questionnaire response given for a plan is not one of this client's.
  PLAN_RESPONSE_NOT_FOUND: 400,
  APPOINTMENT_IN_PAST: 400,
  APPOINTMENT_OUTSIDE_HOURS: 400,
  APPOINTMENT_NOT_ON_SLOT: 400,
  APPOINTMENT_TOO_FAR_AHEAD: 400,
  APPOINTMENT_LIMIT_REACHED: 409,
  // A doctor named for a booking who is not an active doctor.
  APPOINTMENT_DOCTOR_INVALID: 400,
  // The doctor does not work at that time (no schedule, outside the day's hours, a day off).
  APPOINTMENT_DOCTOR_UNAVAILABLE: 400,
  // Every place of a slot the appointment covers is taken (no double booking).
  APPOINTMENT_SLOT_FULL: 409,
  // Confirm, move, cancel, complete or no-show in a status (or at a time) that does not allow it.
  APPOINTMENT_STATE_INVALID: 409,
  METRICS_RANGE_INVALID: 400,
});

// Its codes join the names a route may declare (RouteSpec.errors).
declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof ConsultationErrors> {}
}
