import { defineErrors, type CodesOf } from '../../shared/errors';

/** Referral refusals that reach a caller over HTTP. */
export const ReferralErrors = defineErrors({
  // WeChat could not make the QR code (quota, token, unpublished page); details.retryAfterSeconds.
  REFERRAL_QR_UNAVAILABLE: 503,
});

/**
 * Why a login's referral code did not bind (reported in the login answer, never an error: binding
 * never fails a login).
 */
export const BIND_REFUSALS = [
  'REFERRAL_CODE_UNKNOWN', // no client has this code
  'REFERRAL_OWNER_INACTIVE', // the code's owner deleted their account
  'REFERRAL_SELF', // the client's own code
  'REFERRAL_CYCLE', // the code's owner was (directly or through others) referred by this client
  'REFERRAL_NOT_NEW_CLIENT', // only a client created by this login can be bound, and never the WeChat identity of a deleted account
  'REFERRAL_ALREADY_BOUND', // this WeChat identity was bound before (also under a deleted account)
  'REFERRAL_UNAVAILABLE', // binding failed for a reason of ours; the login went on unbound
] as const;
export type BindRefusal = (typeof BIND_REFUSALS)[number];

/**
 * Why a binding found valid at login was voided later (when the friend's phone became known): the
 * phone was bound as someone's friend before, or belonged to a deleted account (an old client).
 */
export type VoidReason = 'REFERRAL_PHONE_ALREADY_BOUND' | 'REFERRAL_NOT_NEW_CLIENT';

// Its codes join the names a route may declare (RouteSpec.errors).
declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof ReferralErrors> {}
}
