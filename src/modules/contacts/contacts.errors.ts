import { defineErrors, type CodesOf } from '../../shared/errors';

/** WeCom contact binding. */
export const ContactErrors = defineErrors({
  // One client per contact and one contact per client: unlink first, then link anew.
  CONTACT_ALREADY_BOUND: 409,
  CLIENT_ALREADY_BOUND: 409,
});

// Its codes join the names a route may declare (RouteSpec.errors).
declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof ContactErrors> {}
}
