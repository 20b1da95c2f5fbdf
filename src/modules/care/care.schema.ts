import Joi from 'joi';
import { publicIdParam, publicIdSchema } from '../../shared/http/schemas';
import { exportFormat } from '../../shared/http/export';

const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;

export const clientParams = Joi.object({ id: publicIdParam });
export const templateParams = Joi.object({ id: Joi.number().integer().min(1).max(2 ** 31).required() });

export const templatePatch = Joi.object({
  text: Joi.string().min(1).max(500).pattern(/\S/).pattern(PRINTABLE, 'printable')
    .description('Message text; {client}, {consultant}, {doctor} and {project} are filled in when it is sent'),
  // Up to a year after the procedure (6-month effect tracking is the longest default step).
  offsetMinutes: Joi.number().integer().min(0).max(400 * 24 * 60),
  active: Joi.boolean(),
}).min(1).required();

const template = Joi.object({
  id: Joi.number().integer(),
  plan: Joi.string(),
  step: Joi.string(),
  offsetMinutes: Joi.number().integer().allow(null),
  action: Joi.string().valid('message', 'task', 'survey', 'photo_request', 'repurchase'),
  assigneeRole: Joi.string().allow(null),
  text: Joi.string(),
  active: Joi.boolean(),
});
export const templateResponse = template;
export const templatesResponse = Joi.object({ items: Joi.array().items(template) });
export const stepsResponse = Joi.object({
  items: Joi.array().items(Joi.object({ order: Joi.string(), project: Joi.string(), step: Joi.string(), dueAt: Joi.date(), status: Joi.string() })),
});

export const treatmentParams = Joi.object({ id: publicIdParam });
const shanghaiDay = Joi.string().pattern(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'YYYY-MM-DD');
export const treatmentExportQuery = Joi.object({
  client: publicIdSchema.description("one client's treatments"),
  from: shanghaiDay.description('first day performed, Asia/Shanghai'),
  to: shanghaiDay.description('last day performed, Asia/Shanghai'),
  status: Joi.string().valid('done', 'cancelled'),
  format: exportFormat,
});

export const recordTreatmentBody = Joi.object<{
  requestId: string; order: string; project: string; doctor?: string; performedAt: string; bodyArea?: string; notes?: string; advice?: string; sessionNo?: number;
}>({
  requestId: Joi.string().pattern(/^[A-Za-z0-9_-]{8,64}$/, 'key').required()
    .description('The caller\'s key for this recording (a UUID); sent again by a retry or a double click, it records once'),
  order: publicIdSchema.required().description('The paid order the treatment consumes'),
  project: publicIdSchema.required().description('The project performed: a line of the order'),
  doctor: publicIdSchema.description('Default: the order\'s doctor'),
  performedAt: Joi.string().isoDate().pattern(/(Z|[+-]\d{2}:?\d{2})$/, 'time with a zone (Z or +08:00)').required().description('When it was performed; the follow-up plan counts from it'),
  bodyArea: Joi.string().pattern(/^[a-z][a-z_]{1,23}$/, 'lowercase slug').description('Default: the project\'s body area'),
  notes: Joi.string().min(1).max(1000).pattern(/\S/).description('Clinical notes; stored encrypted'),
  advice: Joi.string().min(1).max(200).pattern(/\S/).description('The doctor\'s advice for the next session; the repurchase reminder carries it; stored encrypted'),
  sessionNo: Joi.number().integer().min(1).max(100).description('For a course; default: the next session of this order line'),
}).required();

const treatment = Joi.object({
  id: Joi.string(),
  client: Joi.string(),
  order: Joi.string(),
  project: Joi.object({ id: Joi.string(), name: Joi.string() }),
  doctor: Joi.object({ id: Joi.string(), name: Joi.string() }),
  performedAt: Joi.date(),
  bodyArea: Joi.string(),
  notes: Joi.string().allow(null),
  advice: Joi.string().allow(null),
  sessionNo: Joi.number().integer(),
  status: Joi.string().valid('done', 'cancelled'),
});
export const treatmentResponse = treatment;
export const recordTreatmentResponse = Joi.object({ treatment, replayed: Joi.boolean() });
export const treatmentsResponse = Joi.object({ items: Joi.array().items(treatment) });
