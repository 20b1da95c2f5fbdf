import { defineErrors } from '../../shared/errors';

/** WeCom contact binding (issue 5). */
export const ContactErrors = defineErrors({
  // One client per contact and one contact per client: unlink first, then link anew.
  CONTACT_ALREADY_BOUND: 409,
  CLIENT_ALREADY_BOUND: 409,
});
