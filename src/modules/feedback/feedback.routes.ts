import type { ClientActionLimits } from '../../shared/rate-limit';
import { previousDates } from '../../shared/clock';
import type { ApiRouter } from '../../shared/http/route';
import { principalOf } from '../../shared/http/route';
import type { FeedbackService } from './feedback.service';
import type { Compensation } from './feedback.types';
import type { CaseExports } from './feedback.export';
import { EXPORT_FILES, sendTable } from '../../shared/http/export';
import type { WinbackRule } from './feedback.rules';
import { actorFromContext } from '../audit';
import {
  answerBody, answerResponse, caseDetail, caseExportQuery, caseListQuery, casesResponse, complaintBody, complaintResponse, complaintsResponse, idParams, reportQuery,
  reportResponse, resolveBody, shareBody, shareResponse, surveyView, surveysResponse,
} from './feedback.schema';

const MP = ['mini-program: satisfaction'];
const STAFF = ['staff: satisfaction'];

/** HTTP ↔ FeedbackService. Mini-program routes act on the logged-in client's own surveys and complaints only. */
export function registerFeedbackRoutes(api: ApiRouter, s: { feedback: FeedbackService; caseExports: CaseExports; limits: ClientActionLimits }): void {
  const me = (ctx: Parameters<typeof principalOf>[0]) => principalOf(ctx, 'client').clientId;
  api
    .add(
      { method: 'get', path: '/api/mp/surveys', summary: 'Own satisfaction surveys still to answer', tags: MP, auth: 'client', response: surveysResponse },
      async ({ ctx }) => ({ items: await s.feedback.listPending(me(ctx)) }),
    )
    .add(
      {
        method: 'get', path: '/api/mp/surveys/:id', summary: 'One own survey: its order, the ten questions and the answer if given',
        tags: MP, auth: 'client', params: idParams, response: surveyView, errors: ['NOT_FOUND'],
      },
      ({ ctx, params }) => s.feedback.getForClient(me(ctx), params.id),
    )
    .add(
      {
        method: 'post', path: '/api/mp/surveys/:id/answers',
        summary: 'Answer a survey once: ten indicators (1–5), NPS (0–10), an optional comment; the same answer again replays',
        tags: MP, auth: 'client', params: idParams, body: answerBody, response: answerResponse,
        errors: ['NOT_FOUND', 'SURVEY_ALREADY_ANSWERED', 'SURVEY_EXPIRED'],
      },
      ({ ctx, params, body }) => s.feedback.answer(me(ctx), params.id, body),
    )
    .add(
      {
        method: 'post', path: '/api/mp/surveys/:id/share',
        summary: 'Record that a promoter (NPS 9–10) shared their experience; review-sharing points once (the hospital\'s review program)',
        tags: MP, auth: 'client', params: idParams, body: shareBody, response: shareResponse, errors: ['NOT_FOUND', 'SURVEY_NOT_SHAREABLE'],
      },
      ({ ctx, params, body }) => s.feedback.share(me(ctx), params.id, body.channel),
    )
    .add(
      {
        method: 'post', path: '/api/mp/complaints', summary: 'File a complaint (投诉): a graded case for a supervisor, due within the deadline (retry-safe by requestId)',
        tags: MP, auth: 'client', body: complaintBody, status: 201, response: complaintResponse, errors: ['VALIDATION_FAILED', 'IDEMPOTENCY_KEY_REUSED', 'RATE_LIMITED'],
      },
      // Each complaint opens a case and a staff task: limited per client and address.
      async ({ ctx, body }) => {
        await s.limits.hit('complaint', { client: me(ctx), ip: ctx.ip });
        return s.feedback.complain(me(ctx), body);
      },
    )
    .add(
      { method: 'get', path: '/api/mp/complaints', summary: 'Own complaints and whether they are resolved', tags: MP, auth: 'client', response: complaintsResponse },
      async ({ ctx }) => ({ items: await s.feedback.listComplaints(me(ctx)) }),
    )
    .add(
      {
        method: 'get', path: '/api/staff/cases', summary: 'Complaint and poor-rating cases, most urgent first (audited)',
        tags: STAFF, auth: 'staff', roles: s.feedback.caseRoles, query: caseListQuery, response: casesResponse,
      },
      ({ ctx, query }) => s.feedback.listCases(actorFromContext(ctx), query),
    )
    .add(
      {
        // Before /:id, which would take "export" for an id.
        method: 'get', path: '/api/staff/cases/export', summary: 'The case list as a file (CSV with BOM or xlsx): same filters and reach as the list, no complaint text; audited',
        tags: STAFF, auth: 'staff', roles: s.feedback.caseRoles, query: caseExportQuery, files: EXPORT_FILES,
      },
      ({ ctx, query }) => {
        const { format, ...filters } = query;
        return sendTable(ctx, format, s.caseExports.exportForStaff(actorFromContext(ctx), filters, format));
      },
    )
    .add(
      {
        method: 'get', path: '/api/staff/cases/:id', summary: 'One case with the complaint text or the survey answer (audited)',
        tags: STAFF, auth: 'staff', roles: s.feedback.caseRoles, params: idParams, response: caseDetail, errors: ['NOT_FOUND'],
      },
      ({ ctx, params }) => s.feedback.getCase(actorFromContext(ctx), params.id),
    )
    .add(
      {
        method: 'post', path: '/api/staff/cases/:id/resolve',
        summary: 'Resolve an open case with what was done and, by the supervisor (主管), a compensation: a win-back voucher or a free review appointment (audited)',
        tags: STAFF, auth: 'staff', roles: s.feedback.caseRoles, params: idParams, body: resolveBody, response: caseDetail,
        errors: [
          'NOT_FOUND', 'CASE_ALREADY_RESOLVED', 'COMPENSATION_UNAVAILABLE', 'VALIDATION_FAILED', 'FORBIDDEN',
          'APPOINTMENT_IN_PAST', 'APPOINTMENT_TOO_FAR_AHEAD', 'APPOINTMENT_NOT_ON_SLOT', 'APPOINTMENT_OUTSIDE_HOURS',
        ],
      },
      ({ ctx, params, body }) => s.feedback.resolveCase(actorFromContext(ctx), params.id, body.resolution, compensationOf(body.compensation)),
    )
    .add(
      {
        method: 'get', path: '/api/staff/reports/satisfaction',
        summary: 'NPS and the ten indicator averages overall, per doctor and per project, for answers in a date range (director)',
        tags: STAFF, auth: 'staff', roles: ['director'], query: reportQuery, response: reportResponse, errors: ['VALIDATION_FAILED'],
      },
      async ({ query }) => {
        const now = await s.feedback.satisfactionReport(query);
        const before = await s.feedback.satisfactionReport(previousDates(now.from, now.to));
        return { ...now, previous: { from: before.from, to: before.to, overall: before.overall } };
      },
    );
}

/** The validated compensation body as the service takes it (the appointment time as a Date). */
function compensationOf(c: { kind: 'voucher' | 'review_appointment'; rule?: WinbackRule; at?: string } | undefined): Compensation | undefined {
  if (!c) return undefined;
  return c.kind === 'voucher' ? { kind: 'voucher', rule: c.rule! } : { kind: 'review_appointment', at: new Date(c.at!) };
}
