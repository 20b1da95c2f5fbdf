import Joi from 'joi';
import { idParams, publicIdParam, publicIdSchema } from '../../shared/http/schemas';
import { exportFormat } from '../../shared/http/export';
export { idParams };
import { LEAD_GRADES, QUESTION_TYPES, RISK_LEVELS } from './questionnaires.definition';
import type { AnswerValue } from './questionnaires.answers';

const code = Joi.string().pattern(/^[a-z][a-z0-9_-]{1,31}$/).messages({ 'string.pattern.base': '{{#label}} must be 2–32 lower-case letters, digits, _ or -' });
export const codeParams = Joi.object<{ code: string }>({ code: code.required() });

/**
 * Answers by question id. Only the envelope is checked here; what each answer must be comes from
 * the version and is checked by the service, which names every bad answer (QUESTIONNAIRE_INVALID_ANSWERS).
 */
const answers = Joi.object()
  .pattern(
    Joi.string().max(64),
    Joi.alternatives(Joi.string().max(4000), Joi.number(), Joi.array().items(Joi.string().max(64)).max(100)).allow(null),
  )
  .max(300);

export const draftBody = Joi.object<{ versionId: string; answers: Record<string, AnswerValue | null>; revision?: number }>({
  versionId: publicIdParam,
  answers: answers.required(),
  revision: Joi.number().integer().min(0).description('the revision this save builds on; a newer one on the server → 409 QUESTIONNAIRE_DRAFT_CONFLICT'),
}).required();

export const submitBody = Joi.object<{ submissionId: string; versionId: string; answers: Record<string, AnswerValue | null> }>({
  submissionId: Joi.string().guid({ version: ['uuidv4', 'uuidv7'] }).required().description('client-generated; a retry with the same id returns the same result'),
  versionId: publicIdParam,
  answers: answers.required(),
}).required();

// A definition is checked in full by the service (structure and meaning), so its errors name the reason.
const definition = Joi.object().unknown(true).description('sections, questions and rules; see questionnaires.definition.ts');

export const createTemplateBody = Joi.object<{ code: string; definition: Record<string, unknown> }>({
  code: code.required(),
  definition: definition.required(),
}).required();
export const newVersionBody = Joi.object<{ fromVersionId?: string }>({
  fromVersionId: publicIdSchema.description('copy this version (default: the published one, else the newest)'),
}).required();
export const updateVersionBody = Joi.object<{ definition: Record<string, unknown> }>({ definition: definition.required() }).required();

export const leadsQuery = Joi.object({
  grade: Joi.array().items(Joi.string().valid(...LEAD_GRADES)).single().max(4),
  project: Joi.string().pattern(/^[a-z0-9][a-z0-9_-]{0,63}$/),
  consultantId: publicIdSchema.description('director only: one consultant’s leads'),
  unassigned: Joi.boolean().description('director only: leads without a consultant'),
  clientId: publicIdSchema.description('one client’s latest submission (within what the role may see)'),
  page: Joi.number().integer().min(1).max(10000).default(1),
  pageSize: Joi.number().integer().min(1).max(100).default(20),
});

/** The lead list's file: the list's filters, no paging (every lead the role may see). */
export const leadsExportQuery = leadsQuery.fork(['page', 'pageSize'], (f) => f.forbidden()).keys({ format: exportFormat });

// Answers, for the OpenAPI document.
const option = Joi.object({ value: Joi.string(), label: Joi.string(), none: Joi.boolean().optional() }).unknown(true);
const question = Joi.object({
  id: Joi.string(), type: Joi.string().valid(...QUESTION_TYPES), title: Joi.string(), required: Joi.boolean().optional(), sensitive: Joi.boolean().optional(),
  options: Joi.array().items(option).optional(), showIf: Joi.object().unknown(true).optional(),
}).unknown(true);
export const clientTemplateResponse = Joi.object({
  code: Joi.string(),
  versionId: Joi.string(),
  version: Joi.number().integer(),
  title: Joi.string(),
  intro: Joi.string().optional(),
  healthConsentRequired: Joi.boolean(),
  sections: Joi.array().items(Joi.object({ id: Joi.string(), title: Joi.string(), description: Joi.string().optional(), sensitive: Joi.boolean().optional(), questions: Joi.array().items(question) })),
});
// Any question id; the kept answers (empty ones are dropped when saved).
const answersView = Joi.object().pattern(Joi.string(), Joi.alternatives(Joi.string(), Joi.number(), Joi.array().items(Joi.string())));
export const draftResponse = Joi.object({
  versionId: Joi.string(),
  answers: answersView,
  revision: Joi.number().integer(),
  startedAt: Joi.date().allow(null),
  updatedAt: Joi.date().allow(null),
  submitted: Joi.boolean().description('a response was submitted before (the draft is kept to resume or refill)'),
  carriedOver: Joi.boolean().description('saved on an older version: answers that no longer fit were left out'),
});
const clientSummary = Joi.object({
  areas: Joi.array().items(Joi.object({ value: Joi.string(), label: Joi.string() })),
  budgetMaxFen: Joi.number().integer().allow(null),
  budgetMinFen: Joi.number().integer().allow(null),
  message: Joi.string(),
});
export const submissionResponse = Joi.object({
  id: Joi.string(),
  versionId: Joi.string(),
  submittedAt: Joi.date(),
  pointsEarned: Joi.number().integer(),
  replayed: Joi.boolean(),
  summary: clientSummary,
});
export const ownLatestResponse = submissionResponse.keys({ replayed: Joi.forbidden() });

const versionRef = Joi.object({ id: Joi.string(), number: Joi.number().integer(), status: Joi.string().valid('draft', 'published'), createdAt: Joi.date(), publishedAt: Joi.date().allow(null), current: Joi.boolean() });
export const templateView = Joi.object({
  id: Joi.string(), code: Joi.string(), title: Joi.string(), publishedVersionId: Joi.string().allow(null), versions: Joi.array().items(versionRef),
});
export const templatesResponse = Joi.object({ items: Joi.array().items(templateView) });
export const versionView = versionRef.keys({ templateId: Joi.string(), code: Joi.string(), definition: Joi.object().unknown(true) });

const flagView = Joi.object({ code: Joi.string(), label: Joi.string() });
const keyAnswer = Joi.object({ id: Joi.string(), title: Joi.string(), answer: Joi.any() });
export const leadsResponse = Joi.object({
  items: Joi.array().items(Joi.object({
    client: Joi.object({
      id: Joi.string(), name: Joi.string().allow(null), gender: Joi.string(), age: Joi.number().integer().allow(null), stage: Joi.string(),
      consultant: Joi.object({ id: Joi.string(), displayName: Joi.string() }).allow(null),
    }),
    responseId: Joi.string(),
    submittedAt: Joi.date(),
    leadGrade: Joi.string().valid(...LEAD_GRADES),
    intentScore: Joi.number().integer(),
    intentComponents: Joi.object().pattern(Joi.string(), Joi.number()),
    riskTolerance: Joi.string().valid(...RISK_LEVELS),
    projects: Joi.array().items(Joi.object({ value: Joi.string(), label: Joi.string() })),
    budgetMaxFen: Joi.number().integer().allow(null),
    budgetMinFen: Joi.number().integer().allow(null),
    budgetBand: Joi.string().allow(null),
    expectationFlags: Joi.array().items(flagView),
    completenessPct: Joi.number().integer(),
    keyAnswers: Joi.array().items(keyAnswer),
  })),
  page: Joi.number().integer(),
  pageSize: Joi.number().integer(),
  total: Joi.number().integer(),
});

export const staffResponseView = Joi.object({
  id: Joi.string(),
  client: Joi.object({ id: Joi.string() }),
  template: Joi.object({ code: Joi.string(), title: Joi.string() }),
  versionId: Joi.string(),
  versionNumber: Joi.number().integer(),
  submittedAt: Joi.date(),
  intentScore: Joi.number().integer(),
  intentComponents: Joi.object().pattern(Joi.string(), Joi.number()),
  leadGrade: Joi.string().valid(...LEAD_GRADES),
  riskTolerance: Joi.string().valid(...RISK_LEVELS),
  completenessPct: Joi.number().integer(),
  expectationFlags: Joi.array().items(flagView),
  sections: Joi.array().items(Joi.object({
    id: Joi.string(), title: Joi.string(), sensitive: Joi.boolean(),
    answers: Joi.array().items(Joi.object({ id: Joi.string(), title: Joi.string(), type: Joi.string(), value: Joi.any(), display: Joi.any() })),
  })),
  safetyFlags: Joi.array().items(flagView.keys({ severity: Joi.string().valid('caution', 'contraindication') })).optional().description('doctors and the director only'),
  healthErased: Joi.boolean().optional().description('the client withdrew the health consent; health answers and safety flags are gone'),
  redacted: Joi.array().items(Joi.string()).optional().description('what this role may not see (health answers, safety flags)'),
});
