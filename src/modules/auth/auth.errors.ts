import { defineErrors, type CodesOf } from '../../shared/errors';

/** Mini-program login refusals, and the staff session that may only enrol TOTP. RATE_LIMITED (429) comes from CommonErrors. */
export const AuthErrors = defineErrors({
  /** The wx.login code is unknown to WeChat or older than its 5 minutes. */
  LOGIN_CODE_INVALID: 401,
  /** The wx.login code was already exchanged; codes are single-use. */
  LOGIN_CODE_USED: 401,
  /** WeChat marked the user high-risk (errcode 40226). */
  WECHAT_BLOCKED_USER: 403,
  /** The account was deleted at the client's request; it cannot be logged into again. */
  LOGIN_ACCOUNT_DELETED: 403,
  /** WeChat is busy, rate-limiting our AppID, or unreachable; details.retryAfterSeconds says when to retry. */
  WECHAT_UNAVAILABLE: 503,
  /** A staff role that must have TOTP logged in without it: this session may only enrol it. */
  STAFF_TOTP_ENROLMENT_REQUIRED: 403,
});

// Its codes join the names a route may declare (RouteSpec.errors).
declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof AuthErrors> {}
}
