import { defineErrors, type CodesOf } from '../../shared/errors';

/** Staff accounts: login, lockout, passwords and account management. */
export const StaffErrors = defineErrors({
  // One answer for unknown user, wrong password and inactive account, so none can be told apart.
  INVALID_CREDENTIALS: 401,
  ACCOUNT_LOCKED: 423,
  USERNAME_TAKEN: 409,
  // The product must always keep one active director (院长), who alone manages staff.
  LAST_DIRECTOR: 409,
  // Changing one's own password: the current one given was wrong (counts toward the lockout).
  CURRENT_PASSWORD_WRONG: 403,
  // The director's reset does not ask for the current password, so it is for others only: a
  // stolen director session must not be able to take the account over for good.
  OWN_PASSWORD_RESET: 403,
  // TOTP second factor: the password was right but the account needs a code (not a failed attempt).
  STAFF_OTP_REQUIRED: 401,
  // A wrong, reused or expired TOTP code, or an unknown or used recovery code, at login (a failed attempt).
  STAFF_OTP_INVALID: 401,
  // Enrolment and turning TOTP off: the code given does not match (the session stays valid).
  STAFF_TOTP_CODE_WRONG: 400,
  STAFF_TOTP_ALREADY_ENABLED: 409,
  STAFF_TOTP_NOT_STARTED: 409,
  STAFF_TOTP_NOT_ENABLED: 409,
  // The role must keep a second factor (STAFF_TOTP_REQUIRED_ROLES), so it cannot be turned off.
  STAFF_TOTP_REQUIRED: 403,
  // As with passwords: the director's reset is for others; their own goes through DELETE /api/staff/me/totp.
  OWN_TOTP_RESET: 403,
});

// Its codes join the names a route may declare (RouteSpec.errors).
declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof StaffErrors> {}
}
