import { defineErrors } from '../../shared/errors';

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
