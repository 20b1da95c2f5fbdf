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
});

// Its codes join the names a route may declare (RouteSpec.errors).
declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof StaffErrors> {}
}
