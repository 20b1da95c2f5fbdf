import Joi from 'joi';
import { publicIdParam } from '../../shared/http/schemas';

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
