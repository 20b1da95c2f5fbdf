import { defineErrors, type CodesOf } from '../../shared/errors';

/** Questionnaire templates, drafts and submissions. */
export const QuestionnaireErrors = defineErrors({
  // Per-question problems in details [{ field: 'answers.<id>', message, type }]; 400 like VALIDATION_FAILED.
  QUESTIONNAIRE_INVALID_ANSWERS: 400,
  // A template definition that fails the structure or meaning checks; details name the path and reason.
  QUESTIONNAIRE_DEFINITION_INVALID: 400,
  // The template has no published version yet.
  QUESTIONNAIRE_NOT_PUBLISHED: 409,
  // Answers against a version that is not the one clients get now (older, or never published).
  QUESTIONNAIRE_VERSION_NOT_CURRENT: 409,
  // A published version never changes: edit a new draft version instead.
  QUESTIONNAIRE_VERSION_NOT_DRAFT: 409,
  // One draft version per template at a time.
  QUESTIONNAIRE_DRAFT_EXISTS: 409,
  // The draft was saved meanwhile from another device (its revision moved on).
  QUESTIONNAIRE_DRAFT_CONFLICT: 409,
  QUESTIONNAIRE_CODE_TAKEN: 409,
  // The same submission id with different answers is an error, never a silent success (same code as points).
  IDEMPOTENCY_KEY_REUSED: 409,
});

// Its codes join the names a route may declare (RouteSpec.errors).
declare module '../../shared/errors' {
  interface ErrorCodeRegistry extends CodesOf<typeof QuestionnaireErrors> {}
}
