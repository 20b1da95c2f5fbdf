import Joi from 'joi';
import type { ApiRouter } from '../../shared/http/route';
import type { ErrorCode } from '../../shared/errors';
import { principalOf } from '../../shared/http/route';
import type { ConsultationsService } from './consultations.service';
import { actorFromContext } from '../audit';
import { PLAN_WITHDRAWERS, PLAN_WRITERS } from './consultations.plans';
import {
  acceptBody, appointmentView, appointmentsResponse, cancelAppointmentBody, changeRequestBody, clientPlanView, clientPlansResponse, createPlanBody,
  idParams, intentLetterView, metricsQuery, moveAppointmentBody, pageQuery, pipelineResponse, requestAppointmentBody, revisePlanBody, revisionQuery,
  staffAppointmentView, staffAppointmentsQuery, staffAppointmentsResponse, staffPlanView, staffPlansResponse,
} from './consultations.schema';

const MP_PLANS = ['mini-program: plans'];
const MP_APPTS = ['mini-program: appointments'];
const STAFF_PLANS = ['staff: plans'];
const STAFF_APPTS = ['staff: appointments'];
const STAFF_METRICS = ['staff: metrics'];
const PLAN_READERS = ['director', 'doctor', 'consultant'] as const;
const APPOINTMENT_STAFF = ['director', 'doctor', 'consultant', 'customer_service'] as const;
const PLAN_ERRORS: ErrorCode[] = ['NOT_FOUND', 'PLAN_ALREADY_ACCEPTED', 'PLAN_WITHDRAWN'];
const SLOT_ERRORS: ErrorCode[] = ['APPOINTMENT_IN_PAST', 'APPOINTMENT_OUTSIDE_HOURS', 'APPOINTMENT_NOT_ON_SLOT', 'APPOINTMENT_TOO_FAR_AHEAD'];

/** HTTP ↔ ConsultationsService. Mini-program routes act on the logged-in client only. */
export function registerConsultationRoutes(api: ApiRouter, s: { consultations: ConsultationsService }): void {
  const { plans, appointments, metrics } = s.consultations;
  const me = (ctx: Parameters<typeof principalOf>[0]) => principalOf(ctx, 'client').clientId;

  // ---------------------------------------------------------------- staff: plans
  api
    .add(
      {
        method: 'post', path: '/api/staff/clients/:id/plans', summary: 'Write a plan for a client: needs analysis, options, risk plan, price, recovery (doctor; draft until proposed)',
        tags: STAFF_PLANS, auth: 'staff', roles: PLAN_WRITERS, params: idParams, body: createPlanBody, status: 201, response: staffPlanView,
        errors: ['NOT_FOUND', 'HEALTH_CONSENT_REQUIRED', 'GUARDIAN_CONSENT_REQUIRED', 'PLAN_RESPONSE_NOT_FOUND'],
      },
      ({ ctx, params, body }) => plans.create(actorFromContext(ctx), params.id, body),
    )
    .add(
      {
        method: 'get', path: '/api/staff/clients/:id/plans', summary: 'A client\'s plans, newest first (audited)',
        tags: STAFF_PLANS, auth: 'staff', roles: PLAN_READERS, params: idParams, response: staffPlansResponse, errors: ['NOT_FOUND'],
      },
      ({ ctx, params }) => plans.listForStaff(actorFromContext(ctx), params.id),
    )
    .add(
      {
        method: 'get', path: '/api/staff/plans/:id', summary: 'One plan at its current (or a given) revision; the needs analysis and risk plan for doctors and the director only (audited)',
        tags: STAFF_PLANS, auth: 'staff', roles: PLAN_READERS, params: idParams, query: revisionQuery, response: staffPlanView, errors: ['NOT_FOUND'],
      },
      ({ ctx, params, query }) => plans.getForStaff(actorFromContext(ctx), params.id, query.revision),
    )
    .add(
      {
        method: 'put', path: '/api/staff/plans/:id', summary: 'Write a new revision (doctor); once proposed, the client sees it at once. Refused after acceptance',
        tags: STAFF_PLANS, auth: 'staff', roles: PLAN_WRITERS, params: idParams, body: revisePlanBody, response: staffPlanView,
        errors: [...PLAN_ERRORS, 'HEALTH_CONSENT_REQUIRED', 'GUARDIAN_CONSENT_REQUIRED'],
      },
      ({ ctx, params, body }) => plans.revise(actorFromContext(ctx), params.id, body),
    )
    .add(
      {
        method: 'post', path: '/api/staff/plans/:id/propose', summary: 'Show the plan to the client (doctor); the client moves to plan_proposed and is told',
        tags: STAFF_PLANS, auth: 'staff', roles: PLAN_WRITERS, params: idParams, response: staffPlanView, errors: PLAN_ERRORS,
      },
      ({ ctx, params }) => plans.propose(actorFromContext(ctx), params.id),
    )
    .add(
      {
        method: 'post', path: '/api/staff/plans/:id/withdraw', summary: 'Withdraw a plan that is not accepted (doctor, director)',
        tags: STAFF_PLANS, auth: 'staff', roles: PLAN_WITHDRAWERS, params: idParams, response: staffPlanView, errors: ['NOT_FOUND', 'PLAN_ALREADY_ACCEPTED'],
      },
      ({ ctx, params }) => plans.withdraw(actorFromContext(ctx), params.id),
    );

  // ---------------------------------------------------------------- staff: appointments and metrics
  const staffAction = (path: string, summary: string, run: (ctx: any, id: string, body: any) => Promise<unknown>, body?: Joi.ObjectSchema, errors: ErrorCode[] = []) =>
    api.add(
      {
        method: 'post', path: `/api/staff/appointments/:id/${path}`, summary, tags: STAFF_APPTS, auth: 'staff', roles: APPOINTMENT_STAFF, params: idParams,
        ...(body ? { body } : {}), response: staffAppointmentView, errors: ['NOT_FOUND', 'APPOINTMENT_STATE_INVALID', ...errors],
      },
      ({ ctx, params, body: b }) => run(ctx, params.id, b ?? {}),
    );
  api
    .add(
      {
        method: 'get', path: '/api/staff/appointments', summary: 'Appointments between two dates (Asia/Shanghai, both included; default the next 7 days), soonest first (audited)',
        tags: STAFF_APPTS, auth: 'staff', roles: APPOINTMENT_STAFF, query: staffAppointmentsQuery, response: staffAppointmentsResponse, errors: ['VALIDATION_FAILED'],
      },
      ({ ctx, query }) => appointments.listForStaff(actorFromContext(ctx), query),
    )
    .add(
      {
        method: 'get', path: '/api/staff/appointments/:id', summary: 'One appointment with its history (audited)',
        tags: STAFF_APPTS, auth: 'staff', roles: APPOINTMENT_STAFF, params: idParams, response: staffAppointmentView, errors: ['NOT_FOUND'],
      },
      ({ ctx, params }) => appointments.getForStaff(actorFromContext(ctx), params.id),
    );
  staffAction('confirm', 'Confirm a requested appointment; an intent letter\'s appointment books the client', (ctx, id) => appointments.confirm(actorFromContext(ctx), id));
  staffAction('move', 'Move an open appointment to another slot; the client is told',
    (ctx, id, b) => appointments.move(actorFromContext(ctx), id, { at: new Date(b.at), reason: b.reason }), moveAppointmentBody, SLOT_ERRORS);
  staffAction('cancel', 'Cancel an open appointment; the client is told', (ctx, id, b) => appointments.cancelByStaff(actorFromContext(ctx), id, b), cancelAppointmentBody);
  staffAction('complete', 'Mark a confirmed appointment that has started as completed', (ctx, id) => appointments.complete(actorFromContext(ctx), id));
  staffAction('no-show', 'Mark a confirmed appointment that has started as a no-show', (ctx, id) => appointments.noShow(actorFromContext(ctx), id));

  api.add(
    {
      method: 'get', path: '/api/staff/metrics/pipeline',
      summary: 'Process metrics (director): survey completion, information completeness, conversion per stage, median time between stages — by channel',
      tags: STAFF_METRICS, auth: 'staff', roles: ['director'], query: metricsQuery, response: pipelineResponse, errors: ['METRICS_RANGE_INVALID'],
    },
    ({ query }) => metrics.pipeline(query),
  );

  // ---------------------------------------------------------------- mini-program
  api
    .add(
      { method: 'get', path: '/api/mp/plans', summary: 'Own plans shown by a doctor, newest first', tags: MP_PLANS, auth: 'client', response: clientPlansResponse },
      ({ ctx }) => plans.listOwn(me(ctx)),
    )
    .add(
      {
        method: 'get', path: '/api/mp/plans/:id', summary: 'One own plan at its current (or an earlier shown) revision', tags: MP_PLANS, auth: 'client',
        params: idParams, query: revisionQuery, response: clientPlanView, errors: ['NOT_FOUND'],
      },
      ({ ctx, params, query }) => plans.getOwn(me(ctx), params.id, query.revision),
    )
    .add(
      {
        method: 'post', path: '/api/mp/plans/:id/change-requests', summary: 'Ask the doctor to change the revision shown, with a comment', tags: MP_PLANS, auth: 'client',
        params: idParams, body: changeRequestBody, status: 201, response: clientPlanView, errors: [...PLAN_ERRORS, 'PLAN_REVISION_OUTDATED'],
      },
      ({ ctx, params, body }) => plans.requestChange(me(ctx), params.id, body),
    )
    .add(
      {
        method: 'post', path: '/api/mp/plans/:id/accept',
        summary: 'Accept the revision shown and ask for an appointment: creates the intent letter (意向书). A second acceptance is 409 with the letter id',
        tags: MP_PLANS, auth: 'client', params: idParams, body: acceptBody, status: 201, response: intentLetterView,
        errors: [...PLAN_ERRORS, 'PLAN_REVISION_OUTDATED', ...SLOT_ERRORS],
      },
      ({ ctx, params, body }) => plans.accept(me(ctx), params.id, {
        revision: body.revision, appointment: { at: new Date(body.appointment.at), kind: body.appointment.kind, note: body.appointment.note },
      }, actorFromContext(ctx)),
    )
    .add(
      { method: 'get', path: '/api/mp/intent-letters/:id', summary: 'One own intent letter', tags: MP_PLANS, auth: 'client', params: idParams, response: intentLetterView, errors: ['NOT_FOUND'] },
      ({ ctx, params }) => plans.getLetter(me(ctx), params.id),
    )
    .add(
      {
        method: 'post', path: '/api/mp/appointments', summary: 'Ask for a consultation slot (inside opening hours, Asia/Shanghai); the same slot asked twice answers the same appointment',
        tags: MP_APPTS, auth: 'client', body: requestAppointmentBody, status: 201, response: appointmentView, errors: [...SLOT_ERRORS, 'APPOINTMENT_LIMIT_REACHED'],
      },
      ({ ctx, body }) => appointments.request(me(ctx), { at: new Date(body.at), note: body.note }, actorFromContext(ctx)),
    )
    .add(
      { method: 'get', path: '/api/mp/appointments', summary: 'Own appointments, latest slot first', tags: MP_APPTS, auth: 'client', query: pageQuery, response: appointmentsResponse },
      ({ ctx, query }) => appointments.listOwn(me(ctx), query.page, query.pageSize),
    )
    .add(
      { method: 'get', path: '/api/mp/appointments/:id', summary: 'One own appointment', tags: MP_APPTS, auth: 'client', params: idParams, response: appointmentView, errors: ['NOT_FOUND'] },
      ({ ctx, params }) => appointments.getOwn(me(ctx), params.id),
    )
    .add(
      {
        method: 'post', path: '/api/mp/appointments/:id/cancel', summary: 'Cancel an own open appointment before it starts', tags: MP_APPTS, auth: 'client',
        params: idParams, response: appointmentView, errors: ['NOT_FOUND', 'APPOINTMENT_STATE_INVALID'],
      },
      ({ ctx, params }) => appointments.cancelByClient(me(ctx), params.id, actorFromContext(ctx)),
    );
}
