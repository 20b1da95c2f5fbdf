import type { ClientActionLimits } from '../../shared/rate-limit';
import type { ApiRouter } from '../../shared/http/route';
import { principalOf } from '../../shared/http/route';
import type { QuestionnairesService } from './questionnaires.service';
import type { LeadExports } from './questionnaires.leads-export';
import { EXPORT_FILES, sendTable } from '../../shared/http/export';
import { actorFromContext } from '../audit';
import {
  clientTemplateResponse, codeParams, createTemplateBody, draftBody, draftResponse, idParams, leadsExportQuery, leadsQuery, leadsResponse, newVersionBody,
  ownLatestResponse, staffResponseView, submissionResponse, submitBody, templatesResponse, templateView, updateVersionBody, versionView,
} from './questionnaires.schema';

const MP = ['mini-program: questionnaires'];
const STAFF = ['staff: questionnaires'];
const DIRECTOR = ['director'] as const;
// Leads: who follows them up (consultants, own clients), doctors and the director (all).
const LEAD_READERS = ['director', 'doctor', 'consultant'] as const;

/** HTTP ↔ QuestionnairesService. Mini-program routes act on the logged-in client only. */
export function registerQuestionnaireRoutes(api: ApiRouter, s: { questionnaires: QuestionnairesService; leadExports: LeadExports; limits: ClientActionLimits }): void {
  const q = s.questionnaires;
  const limits = s.limits;
  const me = (ctx: Parameters<typeof principalOf>[0]) => principalOf(ctx, 'client').clientId;
  api
    .add(
      {
        method: 'get', path: '/api/mp/questionnaires/:code', summary: 'The published version of a questionnaire (e.g. intent) to fill in', tags: MP, auth: 'client',
        params: codeParams, response: clientTemplateResponse, errors: ['NOT_FOUND', 'QUESTIONNAIRE_NOT_PUBLISHED'],
      },
      ({ params }) => q.publishedFor(params.code),
    )
    .add(
      {
        method: 'get', path: '/api/mp/questionnaires/:code/draft', summary: 'Own saved answers, to resume (on any phone)', tags: MP, auth: 'client',
        params: codeParams, response: draftResponse, errors: ['NOT_FOUND', 'QUESTIONNAIRE_NOT_PUBLISHED'],
      },
      ({ ctx, params }) => q.getDraft(me(ctx), params.code),
    )
    .add(
      {
        method: 'put', path: '/api/mp/questionnaires/:code/draft', summary: 'Autosave own answers (health answers need the health-data consent)', tags: MP, auth: 'client',
        params: codeParams, body: draftBody, response: draftResponse,
        errors: ['QUESTIONNAIRE_INVALID_ANSWERS', 'QUESTIONNAIRE_VERSION_NOT_CURRENT', 'QUESTIONNAIRE_DRAFT_CONFLICT', 'HEALTH_CONSENT_REQUIRED', 'GUARDIAN_CONSENT_REQUIRED', 'NOT_FOUND'],
      },
      ({ ctx, params, body }) => q.saveDraft(me(ctx), params.code, body),
    )
    .add(
      {
        method: 'post', path: '/api/mp/questionnaires/:code/submissions', summary: 'Submit the questionnaire (retry-safe by submissionId); grants the points once per version',
        tags: MP, auth: 'client', params: codeParams, body: submitBody, status: 201, response: submissionResponse,
        errors: [
          'QUESTIONNAIRE_INVALID_ANSWERS', 'QUESTIONNAIRE_VERSION_NOT_CURRENT', 'QUESTIONNAIRE_NOT_PUBLISHED', 'IDEMPOTENCY_KEY_REUSED',
          'HEALTH_CONSENT_REQUIRED', 'GUARDIAN_CONSENT_REQUIRED', 'NOT_FOUND', 'RATE_LIMITED',
        ],
      },
      async ({ ctx, params, body }) => {
        await limits.hit('questionnaireSubmit', { client: me(ctx), ip: ctx.ip });
        return q.submit(me(ctx), params.code, body, actorFromContext(ctx));
      },
    )
    .add(
      {
        method: 'get', path: '/api/mp/questionnaires/:code/submissions/latest', summary: 'Own newest submission: a friendly summary (no grade or score)', tags: MP, auth: 'client',
        params: codeParams, response: ownLatestResponse, errors: ['NOT_FOUND'],
      },
      ({ ctx, params }) => q.latestOwn(me(ctx), params.code),
    )
    .add(
      { method: 'get', path: '/api/staff/questionnaire-templates', summary: 'Questionnaire templates with their versions', tags: STAFF, auth: 'staff', response: templatesResponse },
      async () => ({ items: await q.listTemplates() }),
    )
    .add(
      {
        method: 'post', path: '/api/staff/questionnaire-templates', summary: 'Create a template with its first draft version (director); an invalid definition is refused with the reasons',
        tags: STAFF, auth: 'staff', roles: DIRECTOR, body: createTemplateBody, status: 201, response: templateView,
        errors: ['QUESTIONNAIRE_DEFINITION_INVALID', 'QUESTIONNAIRE_CODE_TAKEN', 'VALIDATION_FAILED'],
      },
      ({ ctx, body }) => q.createTemplate(actorFromContext(ctx), body),
    )
    .add(
      { method: 'get', path: '/api/staff/questionnaire-templates/:id', summary: 'One template with its versions', tags: STAFF, auth: 'staff', params: idParams, response: templateView, errors: ['NOT_FOUND'] },
      ({ params }) => q.getTemplate(params.id),
    )
    .add(
      {
        method: 'post', path: '/api/staff/questionnaire-templates/:id/versions', summary: 'Start a new draft version, a copy of the published one (director)',
        tags: STAFF, auth: 'staff', roles: DIRECTOR, params: idParams, body: newVersionBody, status: 201, response: versionView,
        errors: ['NOT_FOUND', 'QUESTIONNAIRE_DRAFT_EXISTS', 'VALIDATION_FAILED'],
      },
      ({ ctx, params, body }) => q.createDraftVersion(actorFromContext(ctx), params.id, body),
    )
    .add(
      {
        method: 'get', path: '/api/staff/questionnaire-versions/:id', summary: 'One version with its definition and rules', tags: STAFF, auth: 'staff',
        params: idParams, response: versionView, errors: ['NOT_FOUND'],
      },
      ({ params }) => q.getVersion(params.id),
    )
    .add(
      {
        method: 'put', path: '/api/staff/questionnaire-versions/:id', summary: 'Replace a draft version’s definition (director); a published version never changes',
        tags: STAFF, auth: 'staff', roles: DIRECTOR, params: idParams, body: updateVersionBody, response: versionView,
        errors: ['NOT_FOUND', 'QUESTIONNAIRE_DEFINITION_INVALID', 'QUESTIONNAIRE_VERSION_NOT_DRAFT'],
      },
      ({ ctx, params, body }) => q.updateDraftVersion(actorFromContext(ctx), params.id, body.definition),
    )
    .add(
      {
        method: 'post', path: '/api/staff/questionnaire-versions/:id/publish', summary: 'Publish a draft version: clients get it from now on (director)',
        tags: STAFF, auth: 'staff', roles: DIRECTOR, params: idParams, response: versionView,
        errors: ['NOT_FOUND', 'QUESTIONNAIRE_DEFINITION_INVALID', 'QUESTIONNAIRE_VERSION_NOT_DRAFT'],
      },
      ({ ctx, params }) => q.publish(actorFromContext(ctx), params.id),
    )
    .add(
      {
        method: 'get', path: '/api/staff/leads', summary: 'Leads by grade and intent score with key answers and expectation flags (consultants: own clients; audited)',
        tags: STAFF, auth: 'staff', roles: LEAD_READERS, query: leadsQuery, response: leadsResponse, errors: ['VALIDATION_FAILED', 'FORBIDDEN'],
      },
      ({ ctx, query }) => q.leads(actorFromContext(ctx), query),
    )
    .add(
      {
        method: 'get', path: '/api/staff/leads/export', summary: 'The lead list as a file (CSV with BOM or xlsx): same filters and reach as the list, no health answers; audited',
        tags: STAFF, auth: 'staff', roles: LEAD_READERS, query: leadsExportQuery, files: EXPORT_FILES, errors: ['VALIDATION_FAILED', 'FORBIDDEN'],
      },
      ({ ctx, query }) => {
        const { format, ...filters } = query;
        return sendTable(ctx, format, s.leadExports.exportForStaff(actorFromContext(ctx), filters, format));
      },
    )
    .add(
      {
        method: 'get', path: '/api/staff/questionnaire-responses/:id', summary: 'A submitted questionnaire (health answers and safety flags: doctors and the director; audited)',
        tags: STAFF, auth: 'staff', roles: LEAD_READERS, params: idParams, response: staffResponseView, errors: ['NOT_FOUND', 'FORBIDDEN'],
      },
      ({ ctx, params }) => q.responseForStaff(actorFromContext(ctx), params.id),
    );
}
