import Joi from 'joi';
import { previousDates } from '../../shared/clock';
import type { ApiRouter } from '../../shared/http/route';
import type { ErrorCode } from '../../shared/errors';
import { principalOf } from '../../shared/http/route';
import type { ConsultationsService } from './consultations.service';
import { actorFromContext } from '../audit';
import { EXPORT_FILES, sendTable } from '../../shared/http/export';
import { PLAN_WITHDRAWERS, PLAN_WRITERS } from './consultations.plans';
import {
  acceptBody, appointmentReportResponse, appointmentView, appointmentsResponse, cancelAppointmentBody, changeRequestBody, clientPlanView, clientPlansResponse,
  completeAppointmentBody, confirmAppointmentBody, createAppointmentBody, createPlanBody, exceptionBody, exceptionParams, idParams, intentLetterView,
  metricsQuery, moveAppointmentBody, pageQuery, pipelineResponse, reportQuery, requestAppointmentBody, revisePlanBody, revisionQuery, scheduleBody,
  scheduleView, schedulesResponse, slotsQuery, slotsResponse, staffAppointmentView, staffAppointmentsExportQuery, staffAppointmentsQuery, staffAppointmentsResponse, staffPlanView,
  staffPlansResponse,
} from './consultations.schema';

const MP_PLANS = ['mini-program: plans'];
const MP_APPTS = ['mini-program: appointments'];
const STAFF_PLANS = ['staff: plans'];
const STAFF_APPTS = ['staff: appointments'];
const STAFF_METRICS = ['staff: metrics'];
const STAFF_SCHEDULES = ['staff: doctor schedules'];
const PLAN_READERS = ['director', 'doctor', 'consultant'] as const;
const APPOINTMENT_STAFF = ['director', 'doctor', 'consultant', 'customer_service'] as const;
const PLAN_ERRORS: ErrorCode[] = ['NOT_FOUND', 'PLAN_ALREADY_ACCEPTED', 'PLAN_WITHDRAWN'];
const SLOT_ERRORS: ErrorCode[] = ['APPOINTMENT_IN_PAST', 'APPOINTMENT_OUTSIDE_HOURS', 'APPOINTMENT_NOT_ON_SLOT', 'APPOINTMENT_TOO_FAR_AHEAD'];
const DOCTOR_ERRORS: ErrorCode[] = ['APPOINTMENT_DOCTOR_INVALID', 'APPOINTMENT_DOCTOR_UNAVAILABLE', 'APPOINTMENT_SLOT_FULL'];

/** HTTP ↔ ConsultationsService. Mini-program routes act on the logged-in client only. */
export function registerConsultationRoutes(api: ApiRouter, s: { consultations: ConsultationsService }): void {
  const { plans, appointments, metrics, schedules } = s.consultations;
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
        // Before /:id, which would take "export" for an id.
        method: 'get', path: '/api/staff/appointments/export', summary: 'The appointment list as a file (CSV with BOM or xlsx): same days, filters and reach as the list, no notes; audited',
        tags: STAFF_APPTS, auth: 'staff', roles: APPOINTMENT_STAFF, query: staffAppointmentsExportQuery, files: EXPORT_FILES, errors: ['VALIDATION_FAILED'],
      },
      ({ ctx, query }) => {
        const { format, ...filters } = query;
        return sendTable(ctx, format, s.consultations.appointmentExports.exportForStaff(actorFromContext(ctx), filters, format));
      },
    )
    .add(
      {
        method: 'get', path: '/api/staff/appointments/:id', summary: 'One appointment with its history (audited)',
        tags: STAFF_APPTS, auth: 'staff', roles: APPOINTMENT_STAFF, params: idParams, response: staffAppointmentView, errors: ['NOT_FOUND'],
      },
      ({ ctx, params }) => appointments.getForStaff(actorFromContext(ctx), params.id),
    );
  api
    .add(
      {
        method: 'post', path: '/api/staff/appointments', summary: 'Book a client with a doctor (confirmed at once; the doctor\'s hours and slot capacity apply; the client is told and reminded)',
        tags: STAFF_APPTS, auth: 'staff', roles: APPOINTMENT_STAFF, body: createAppointmentBody, status: 201, response: staffAppointmentView,
        errors: ['NOT_FOUND', ...SLOT_ERRORS, ...DOCTOR_ERRORS],
      },
      ({ ctx, body }) => appointments.create(actorFromContext(ctx), { ...body, at: new Date(body.at) }),
    )
    .add(
      {
        method: 'get', path: '/api/staff/appointment-slots', summary: 'The slots of a date for a kind of appointment, with each doctor\'s capacity and places left',
        tags: STAFF_APPTS, auth: 'staff', roles: APPOINTMENT_STAFF, query: slotsQuery, response: slotsResponse, errors: ['NOT_FOUND'],
      },
      ({ query }) => schedules.slots(query),
    );
  staffAction('confirm', 'Confirm a requested appointment (naming its doctor if the client did not); an intent letter\'s appointment books the client; reminders are queued',
    (ctx, id, b) => appointments.confirm(actorFromContext(ctx), id, b), confirmAppointmentBody, DOCTOR_ERRORS);
  staffAction('move', 'Move an open appointment to another slot (or doctor); the client is told, reminders of the old time are withdrawn',
    (ctx, id, b) => appointments.move(actorFromContext(ctx), id, { at: new Date(b.at), reason: b.reason, doctor: b.doctor }), moveAppointmentBody, [...SLOT_ERRORS, ...DOCTOR_ERRORS]);
  staffAction('cancel', 'Cancel an open appointment; the client is told', (ctx, id, b) => appointments.cancelByStaff(actorFromContext(ctx), id, b), cancelAppointmentBody);
  staffAction('complete', 'Mark a confirmed appointment that has started as completed; a procedure records its treatment (order and project; doctors and the director). Again: answered as it is',
    (ctx, id, b) => appointments.complete(actorFromContext(ctx), id, b), completeAppointmentBody,
    ['VALIDATION_FAILED', 'TREATMENT_NOT_IN_ORDER', 'TREATMENT_ORDER_REFUNDED', 'TREATMENT_DOCTOR_INVALID', 'TREATMENT_REQUEST_REUSED', 'FORBIDDEN']);
  staffAction('no-show', 'Mark a confirmed appointment that has started as a no-show (counted in the appointment report)', (ctx, id) => appointments.noShow(actorFromContext(ctx), id));

  // ---------------------------------------------------------------- staff: doctors' schedules
  api
    .add(
      {
        method: 'get', path: '/api/staff/doctor-schedules', summary: 'Every active doctor with working hours, slot capacity and exceptions from today on',
        tags: STAFF_SCHEDULES, auth: 'staff', roles: APPOINTMENT_STAFF, response: schedulesResponse,
      },
      async () => ({ items: await schedules.list() }),
    )
    .add(
      {
        method: 'put', path: '/api/staff/doctor-schedules/:id', summary: 'Set a doctor\'s weekly working hours (Asia/Shanghai) and per-slot capacity (director; audited)',
        tags: STAFF_SCHEDULES, auth: 'staff', roles: ['director'], params: idParams, body: scheduleBody, response: scheduleView, errors: ['NOT_FOUND', 'VALIDATION_FAILED'],
      },
      ({ ctx, params, body }) => schedules.setWeek(actorFromContext(ctx), params.id, body),
    )
    .add(
      {
        method: 'put', path: '/api/staff/doctor-schedules/:id/exceptions/:date', summary: 'Other hours for a doctor on one date; an empty list is a day off (director; audited)',
        tags: STAFF_SCHEDULES, auth: 'staff', roles: ['director'], params: exceptionParams, body: exceptionBody, response: scheduleView, errors: ['NOT_FOUND', 'VALIDATION_FAILED'],
      },
      ({ ctx, params, body }) => schedules.setException(actorFromContext(ctx), params.id, params.date, body.hours),
    )
    .add(
      {
        method: 'delete', path: '/api/staff/doctor-schedules/:id/exceptions/:date', summary: 'Remove a date\'s exception: the week applies again (director; audited)',
        tags: STAFF_SCHEDULES, auth: 'staff', roles: ['director'], params: exceptionParams, response: scheduleView, errors: ['NOT_FOUND'],
      },
      ({ ctx, params }) => schedules.clearException(actorFromContext(ctx), params.id, params.date),
    );

  api.add(
    {
      method: 'get', path: '/api/staff/metrics/pipeline',
      summary: 'Process metrics (director): survey completion, information completeness, conversion per stage, median time between stages — by channel',
      tags: STAFF_METRICS, auth: 'staff', roles: ['director'], query: metricsQuery, response: pipelineResponse, errors: ['METRICS_RANGE_INVALID'],
    },
    async ({ query }) => {
      const now = await metrics.pipeline(query);
      const before = await metrics.pipeline({ ...query, ...previousDates(now.from, now.to) });
      return { ...now, previous: { from: before.from, to: before.to, overall: before.overall } };
    },
  );
  api.add(
    {
      method: 'get', path: '/api/staff/reports/appointments',
      summary: 'Appointments by slot date (Asia/Shanghai, both included; default the last 30 days) per doctor and kind: booked, completed, cancelled, no-shows, still open (director)',
      tags: STAFF_METRICS, auth: 'staff', roles: ['director'], query: reportQuery, response: appointmentReportResponse, errors: ['METRICS_RANGE_INVALID'],
    },
    ({ query }) => metrics.appointments(query),
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
        method: 'post', path: '/api/mp/appointments',
        summary: 'Ask for a slot (inside opening hours, Asia/Shanghai; with a doctor, inside their hours and capacity); the same slot asked twice answers the same appointment',
        tags: MP_APPTS, auth: 'client', body: requestAppointmentBody, status: 201, response: appointmentView, errors: [...SLOT_ERRORS, ...DOCTOR_ERRORS, 'APPOINTMENT_LIMIT_REACHED'],
      },
      ({ ctx, body }) => appointments.request(me(ctx), { at: new Date(body.at), note: body.note, kind: body.kind, doctor: body.doctor }, actorFromContext(ctx)),
    )
    .add(
      {
        method: 'get', path: '/api/mp/appointment-slots', summary: 'The slots of a date a booking of this kind can take, with each doctor\'s places left',
        tags: MP_APPTS, auth: 'client', query: slotsQuery, response: slotsResponse, errors: ['NOT_FOUND'],
      },
      ({ query }) => schedules.slots(query),
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
