/** Session actions pages need: log in now (e.g. a retry button), log out. */
import { answerReferralConsent, ensureLogin, logout as endSession, referralConsentPending, takeReferralNotice } from '../utils/auth';

export { answerReferralConsent, referralConsentPending, takeReferralNotice };

export function loginNow(): Promise<void> {
  return ensureLogin();
}

export function logout(): Promise<void> {
  return endSession();
}
