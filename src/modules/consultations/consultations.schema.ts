import Joi from 'joi';
import { idParams, pageQuery, publicIdParam, publicIdSchema } from '../../shared/http/schemas';
import { exportFormat } from '../../shared/http/export';
export { idParams, pageQuery };
import { APPOINTMENT_KINDS, APPOINTMENT_STATUSES, PLAN_STATUSES, type AppointmentKind } from './consultations.entity';
import type { PlanContent } from './consultations.plans';



// Multi-line text: no control characters other than tab and line breaks.
const TEXT = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;
const text = (max: number) => Joi.string().min(1).max(max).pattern(/\S/).pattern(TEXT, 'text');
const fen = Joi.number().integer().min(0).max(1_000_000_000);
/** An instant with its time zone, e.g. 2026-06-02T10:00:00+08:00. */
const instant = Joi.string().isoDate().pattern(/(Z|[+-]\d{2}:\d{2})$/, 'with a time zone');
const isoDate = Joi.string()
  .pattern(/^\d{4}-\d{2}-\d{2}$/)
  .custom((value: string, helpers) => {
    const d = new Date(`${value}T00:00:00Z`);
    if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) return helpers.error('date.base');
    return value;
  })
  .messages({ 'string.pattern.base': '{{#label}} must be a date as YYYY-MM-DD', 'date.base': '{{#label}} must be a real calendar date' });

const option = Joi.object({
  projectCodes: Joi.array().items(Joi.string().pattern(/^[a-z0-9_]{1,32}$/)).max(10).unique(),
  description: text(2000).required(),
});

const planContent = {
  analysis: Joi.object({
    reasonableness: text(2000).required(),
    feasibility: text(2000).required(),
    risk: text(2000).required(),
    expectationMatch: text(2000).required(),
  }).required(),
  riskPlan: text(4000).required(),
  options: Joi.object({ surgical: option, nonSurgical: option }).or('surgical', 'nonSurgical').required(),
  priceMinFen: fen.required(),
  priceMaxFen: fen.min(Joi.ref('priceMinFen')).required().messages({ 'number.min': '{{#label}} must not be below priceMinFen' }),
  recoveryDays: Joi.number().integer().min(0).max(365).required(),
};

export const createPlanBody = Joi.object<PlanContent & { responseId?: string }>({ ...planContent, responseId: publicIdParam.optional() }).required();
export const revisePlanBody = Joi.object<PlanContent>(planContent).required();
export const revisionQuery = Joi.object<{ revision?: number }>({ revision: Joi.number().integer().min(1).max(100000) });

const revisionRef = Joi.number().integer().min(1).max(100000).required();
export const changeRequestBody = Joi.object<{ revision: number; comment: string }>({ revision: revisionRef, comment: text(1000).required() }).required();
export const acceptBody = Joi.object<{ revision: number; appointment: { at: string; kind: AppointmentKind; note?: string } }>({
  revision: revisionRef,
  appointment: Joi.object({
    at: instant.required(),
    kind: Joi.string().valid(...APPOINTMENT_KINDS).required(),
    note: text(200),
  }).required(),
}).required();

const kind = Joi.string().valid(...APPOINTMENT_KINDS);
export const requestAppointmentBody = Joi.object<{ at: string; note?: string; kind: AppointmentKind; doctor?: string }>({
  at: instant.required(), note: text(200), kind: kind.default('consultation'), doctor: publicIdSchema.description('a doctor from the slots offered'),
}).required();
export const createAppointmentBody = Joi.object<{ client: string; kind: AppointmentKind; doctor: string; at: string; note?: string }>({
  client: publicIdParam, kind: kind.required(), doctor: publicIdParam, at: instant.required(), note: text(200),
}).required();
export const confirmAppointmentBody = Joi.object<{ doctor?: string }>({ doctor: publicIdSchema.description('names the doctor of a request made without one') });
export const moveAppointmentBody = Joi.object<{ at: string; doctor?: string; reason?: string }>({ at: instant.required(), doctor: publicIdSchema.description('another doctor (default: the same)'), reason: text(200) }).required();
export const cancelAppointmentBody = Joi.object<{ reason?: string }>({ reason: text(200) });
export const completeAppointmentBody = Joi.object<{ order?: string; project?: string; notes?: string; advice?: string }>({
  order: publicIdSchema.description('a procedure: the order that paid for it (its treatment is recorded)'),
  project: publicIdSchema.description('a procedure: the project treated'),
  notes: text(2000),
  advice: text(1000),
});
export const staffAppointmentsQuery = Joi.object({
  from: isoDate,
  to: isoDate,
  status: Joi.string().valid(...APPOINTMENT_STATUSES),
  doctor: publicIdSchema,
});
export const staffAppointmentsExportQuery = staffAppointmentsQuery.keys({ format: exportFormat });
export const slotsQuery = Joi.object<{ date: string; kind: AppointmentKind; doctor?: string }>({ date: isoDate.required(), kind: kind.default('consultation'), doctor: publicIdSchema });
const hhmm = Joi.string().pattern(/^([01]\d|2[0-3]):[0-5]\d$/).messages({ 'string.pattern.base': '{{#label}} must be a time as HH:MM' });
const until = Joi.string().pattern(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/).messages({ 'string.pattern.base': '{{#label}} must be a time as HH:MM' });
const range = { from: hhmm.required(), until: until.required() };
export const scheduleBody = Joi.object<{ slotCapacity: number; week: { weekday: number; from: string; until: string }[] }>({
  slotCapacity: Joi.number().integer().min(1).max(50).required(),
  week: Joi.array().items(Joi.object({ weekday: Joi.number().integer().min(1).max(7).required(), ...range })).max(70).required(),
}).required();
export const exceptionBody = Joi.object<{ hours: { from: string; until: string }[] }>({ hours: Joi.array().items(Joi.object(range)).max(10).required() }).required();
export const exceptionParams = Joi.object<{ id: string; date: string }>({ id: publicIdParam, date: isoDate.required() });
export const reportQuery = Joi.object({ from: isoDate, to: isoDate });

export const metricsQuery = Joi.object({
  from: isoDate,
  to: isoDate,
  channel: Joi.string().min(1).max(64),
});

// ---------------------------------------------------------------- responses (for the document)

const staffRef = Joi.object({ id: Joi.string(), name: Joi.string() });
const optionView = Joi.object({ projectCodes: Joi.array().items(Joi.string()).optional(), description: Joi.string() });
const revisionView = Joi.object({
  revision: Joi.number().integer(),
  options: Joi.object({ surgical: optionView.optional(), nonSurgical: optionView.optional() }),
  priceMinFen: Joi.number().integer(),
  priceMaxFen: Joi.number().integer(),
  recoveryDays: Joi.number().integer(),
  analysis: Joi.object({ reasonableness: Joi.string(), feasibility: Joi.string(), risk: Joi.string(), expectationMatch: Joi.string() })
    .allow(null).optional().description('doctors and the director only; absent for other roles and for the client'),
  riskPlan: Joi.string().allow(null).optional().description('doctors, the director and the client; absent for other staff'),
  createdAt: Joi.date(),
  proposedAt: Joi.date().allow(null),
});
const changeRequestView = Joi.object({
  id: Joi.string(),
  revision: Joi.number().integer(),
  comment: Joi.string().allow(null).optional().description('the client, doctors and the director; absent for other staff (it may hold health details); null once erased'),
  createdAt: Joi.date(),
});
const status = Joi.string().valid(...PLAN_STATUSES);

export const staffPlanView = Joi.object({
  id: Joi.string(),
  clientId: Joi.string(),
  responseId: Joi.string().allow(null),
  status,
  currentRevision: Joi.number().integer(),
  acceptedRevision: Joi.number().integer().allow(null),
  doctor: staffRef.allow(null),
  revision: revisionView.keys({ author: staffRef.allow(null) }),
  revisions: Joi.array().items(Joi.object({ revision: Joi.number().integer(), author: staffRef.allow(null), createdAt: Joi.date(), proposedAt: Joi.date().allow(null) })),
  changeRequests: Joi.array().items(changeRequestView),
  letter: Joi.object({ id: Joi.string(), revision: Joi.number().integer(), confirmedAt: Joi.date(), appointmentId: Joi.string().allow(null) }).allow(null),
  proposedAt: Joi.date().allow(null),
  acceptedAt: Joi.date().allow(null),
  withdrawnAt: Joi.date().allow(null),
  createdAt: Joi.date(),
  updatedAt: Joi.date(),
});
const summary = {
  id: Joi.string(),
  status,
  currentRevision: Joi.number().integer(),
  acceptedRevision: Joi.number().integer().allow(null),
  priceMinFen: Joi.number().integer(),
  priceMaxFen: Joi.number().integer(),
  proposedAt: Joi.date().allow(null),
  acceptedAt: Joi.date().allow(null),
  updatedAt: Joi.date(),
};
export const staffPlansResponse = Joi.object({ items: Joi.array().items(Joi.object({ ...summary, doctor: staffRef.allow(null), createdAt: Joi.date() })) });
export const clientPlansResponse = Joi.object({ items: Joi.array().items(Joi.object({ ...summary, doctor: Joi.object({ name: Joi.string() }).allow(null) })) });
export const clientPlanView = Joi.object({
  ...summary,
  priceMinFen: Joi.forbidden(), priceMaxFen: Joi.forbidden(), // one plan's prices are its revision's
  doctor: Joi.object({ name: Joi.string() }).allow(null),
  revision: revisionView.keys({ analysis: Joi.forbidden() }),
  revisions: Joi.array().items(Joi.object({ revision: Joi.number().integer(), proposedAt: Joi.date().allow(null) })),
  changeRequests: Joi.array().items(changeRequestView),
  letterId: Joi.string().allow(null),
});

export const appointmentView = Joi.object({
  id: Joi.string(),
  kind: Joi.string().valid(...APPOINTMENT_KINDS),
  status: Joi.string().valid(...APPOINTMENT_STATUSES),
  at: Joi.date(),
  durationMinutes: Joi.number().integer(),
  doctor: staffRef.allow(null),
  note: Joi.string().allow(null),
  treatmentId: Joi.string().allow(null).description('the treatment recorded when a procedure was completed'),
  letterId: Joi.string().allow(null),
  confirmedAt: Joi.date().allow(null),
  cancelledAt: Joi.date().allow(null),
  createdAt: Joi.date(),
  updatedAt: Joi.date(),
});
export const appointmentsResponse = Joi.object({ items: Joi.array().items(appointmentView), page: Joi.number().integer(), hasMore: Joi.boolean() });
export const staffAppointmentView = appointmentView.keys({
  client: Joi.object({ id: Joi.string(), name: Joi.string().allow(null) }),
  confirmedBy: staffRef.allow(null),
  events: Joi.array().items(Joi.object({
    action: Joi.string(), from: Joi.date().allow(null), to: Joi.date().allow(null), actorType: Joi.string(), reason: Joi.string().allow(null), at: Joi.date(),
  })).optional().description('the change history: GET /api/staff/appointments/:id only'),
});
export const staffAppointmentsResponse = Joi.object({ from: Joi.string(), to: Joi.string(), items: Joi.array().items(staffAppointmentView) });

export const slotsResponse = Joi.object({
  date: Joi.string(), kind: Joi.string(), durationMinutes: Joi.number().integer(),
  slots: Joi.array().items(Joi.object({
    at: Joi.date(),
    doctors: Joi.array().items(Joi.object({
      id: Joi.string(), name: Joi.string(), capacity: Joi.number().integer(), booked: Joi.number().integer(), free: Joi.number().integer(),
    })),
  })),
});
const rangeView = { from: Joi.string(), until: Joi.string() };
export const scheduleView = Joi.object({
  doctor: staffRef,
  slotCapacity: Joi.number().integer().allow(null).description('null while the doctor has no schedule'),
  week: Joi.array().items(Joi.object({ weekday: Joi.number().integer(), ...rangeView })),
  exceptions: Joi.array().items(Joi.object({ date: Joi.string(), hours: Joi.array().items(Joi.object(rangeView)) })),
});
export const schedulesResponse = Joi.object({ items: Joi.array().items(scheduleView) });
const counts = {
  booked: Joi.number().integer(), completed: Joi.number().integer(), cancelled: Joi.number().integer(), noShow: Joi.number().integer(),
  open: Joi.number().integer().description('still requested or confirmed'),
};
export const appointmentReportResponse = Joi.object({
  from: Joi.string(), to: Joi.string(),
  rows: Joi.array().items(Joi.object({ doctor: staffRef.allow(null), kind: Joi.string(), ...counts })),
  totals: Joi.object(counts),
});

export const intentLetterView = Joi.object({
  id: Joi.string(),
  planId: Joi.string(),
  revision: Joi.number().integer(),
  confirmedAt: Joi.date(),
  snapshot: Joi.object({
    planId: Joi.string(),
    revision: Joi.number().integer(),
    doctor: Joi.object({ name: Joi.string() }).allow(null),
    options: Joi.object({ surgical: optionView.optional(), nonSurgical: optionView.optional() }),
    priceMinFen: Joi.number().integer(),
    priceMaxFen: Joi.number().integer(),
    recoveryDays: Joi.number().integer(),
    riskPlan: Joi.string().allow(null),
    proposedAt: Joi.string().allow(null),
    confirmedAt: Joi.string(),
    appointment: Joi.object({ id: Joi.string(), kind: Joi.string().valid(...APPOINTMENT_KINDS), at: Joi.string(), durationMinutes: Joi.number().integer() }),
  }).allow(null).description('the frozen copy of what the client accepted'),
  appointment: appointmentView.allow(null).description('the appointment as it is now'),
});

const rate = Joi.number().min(0).allow(null);
const channelMetrics = Joi.object({
  channel: Joi.string().allow(null),
  cohort: Joi.number().integer().description('clients created in the range'),
  survey: Joi.object({
    started: Joi.number().integer(), submitted: Joi.number().integer(), completionRate: rate, responses: Joi.number().integer(), completenessPct: rate,
  }),
  conversion: Joi.array().items(Joi.object({ from: Joi.string(), to: Joi.string(), reachedFrom: Joi.number().integer(), reached: Joi.number().integer(), rate })),
  stageTimes: Joi.array().items(Joi.object({ from: Joi.string(), to: Joi.string(), clients: Joi.number().integer(), medianHours: rate })),
});
export const pipelineResponse = Joi.object({
  from: Joi.string(), to: Joi.string(), channel: Joi.string().allow(null), overall: channelMetrics, byChannel: Joi.array().items(channelMetrics),
  previous: Joi.object({ from: Joi.string(), to: Joi.string(), overall: channelMetrics }).description('the period just before, for comparison: whole calendar months as many months before (Q1 → Q4 of the year before), any other range as many days before'),
});
