import { defineErrors, type CodesOf } from '../../shared/errors';

export const WeComErrors = defineErrors({
  /** The callback's msg_signature does not sign its content. */
  WECOM_CALLBACK_SIGNATURE_INVALID: 401,
  /** The callback's timestamp is too far from now: a replay. */
  WECOM_CALLBACK_STALE: 400,
  /** The callback body is not WeCom's XML, or does not decrypt to an event. */
  WECOM_CALLBACK_MALFORMED: 400,
  /** The official WeCom API is not configured (WECOM_MODE=bot or no corp id). */
  WECOM_OFFICIAL_OFF: 404,
  /** The client has no consultant with a WeCom userid for a one-tap code. */
  WECOM_NO_CONSULTANT: 409,
  /** WeCom refused or did not answer. */
  WECOM_UPSTREAM: 502,
});

// Its codes join the names a route may declare (RouteSpec.errors).
declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof WeComErrors> {}
}
