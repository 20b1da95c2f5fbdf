import { defineErrors, type CodesOf } from '../../shared/errors';

/** Codes the client archive answers with (status by code; rendered by the error middleware). */
export const ClientErrors = defineErrors({
  PHONE_IN_USE: 409,
  PHONE_CODE_INVALID: 400,
  PHONE_INVALID: 400,
  PHONE_BINDING_BLOCKED: 403,
  WECHAT_UNAVAILABLE: 503,
  POLICY_VERSION_OUTDATED: 409,
  GUARDIAN_CONSENT_REQUIRED: 403,
  HEALTH_CONSENT_REQUIRED: 403,
  CONSULTANT_NOT_FOUND: 400,
});

// Its codes join the names a route may declare (RouteSpec.errors).
declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof ClientErrors> {}
}
