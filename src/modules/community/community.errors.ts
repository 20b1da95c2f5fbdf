import { defineErrors, type CodesOf } from '../../shared/errors';

/** Community posts: compliance check, approval, schedule. */
export const CommunityErrors = defineErrors({
  // Banned advertising wording; details: [{ category, words }].
  POST_NOT_COMPLIANT: 422,
  // The action does not fit the post's status (e.g. editing an approved post, approving a draft).
  POST_STATUS_CONFLICT: 409,
  // Approval is a second pair of eyes: an author never approves their own post.
  POST_SELF_APPROVAL: 403,
  // Only a post's author (or the director) edits, submits or cancels it.
  POST_NOT_AUTHOR: 403,
  // A one-time post whose time has passed cannot be approved.
  POST_TIME_PASSED: 409,
});

// Its codes join the names a route may declare (RouteSpec.errors).
declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof CommunityErrors> {}
}
