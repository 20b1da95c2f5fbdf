import { defineErrors } from '../../shared/errors';

/** Staff accounts: login, lockout and account management. */
export const StaffErrors = defineErrors({
  // One answer for unknown user, wrong password and inactive account, so none can be told apart.
  INVALID_CREDENTIALS: 401,
  ACCOUNT_LOCKED: 423,
  USERNAME_TAKEN: 409,
  // The product must always keep one active director (院长), who alone manages staff.
  LAST_DIRECTOR: 409,
});
