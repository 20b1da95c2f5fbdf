/** Session actions pages need: log in now (e.g. a retry button), log out. */
import { ensureLogin, logout as endSession, takeReferralNotice } from '../utils/auth';

export { takeReferralNotice };

export function loginNow(): Promise<void> {
  return ensureLogin();
}

export function logout(): Promise<void> {
  return endSession();
}
