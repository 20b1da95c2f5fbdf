import Joi from 'joi';
import { exportFormat } from '../../shared/http/export';
import { STAFF_ROLES } from '../staff';
import type { StaffRole } from '../../shared/roles';

const PRINTABLE = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;

export const idParams = Joi.object<{ id: string }>({
  id: Joi.string().pattern(/^[A-Za-z0-9_-]{22}$/).required().messages({ 'string.pattern.base': '{{#label}} is not a valid id' }),
});

export const tasksQuery = Joi.object({
  status: Joi.string().valid('open', 'done', 'cancelled').default('open'),
  role: Joi.string().valid(...STAFF_ROLES),
  page: Joi.number().integer().min(1).max(10000).default(1),
  pageSize: Joi.number().integer().min(1).max(100).default(20),
});

/** The task list's file: the list's filters, no paging. */
export const tasksExportQuery = tasksQuery.fork(['page', 'pageSize'], (f) => f.forbidden()).keys({ format: exportFormat });

export const completeBody = Joi.object<{ note?: string }>({
  note: Joi.string().max(500).pattern(PRINTABLE, 'printable').allow(''),
}).required();

export const taskView = Joi.object({
  id: Joi.string(),
  kind: Joi.string(),
  clientId: Joi.string().allow(null),
  assigneeRole: Joi.string(),
  assigneeId: Joi.string().allow(null),
  title: Joi.string(),
  details: Joi.object().unknown(true).allow(null),
  dueAt: Joi.date(),
  status: Joi.string().valid('open', 'done', 'cancelled'),
  createdAt: Joi.date(),
  doneAt: Joi.date().allow(null),
  doneBy: Joi.string().allow(null),
  note: Joi.string().allow(null, ''),
});
export const tasksResponse = Joi.object({ items: Joi.array().items(taskView), page: Joi.number().integer(), hasMore: Joi.boolean() });

/** A task about a client, from the sidebar; requestId makes a double tap create one task. */
export const clientTaskBody = Joi.object<{ requestId: string; title: string; details?: string; dueAt?: string; assigneeRole?: StaffRole }>({
  requestId: Joi.string().pattern(/^[A-Za-z0-9_-]{8,64}$/).required().messages({ 'string.pattern.base': '{{#label}} is not a valid request id' }),
  title: Joi.string().max(200).pattern(/\S/, 'not blank').pattern(PRINTABLE, 'printable').required(),
  details: Joi.string().max(1000).pattern(PRINTABLE, 'printable').allow(''),
  // Bodies are validated without conversion: an ISO string, made a Date by the route.
  dueAt: Joi.string().isoDate(),
  assigneeRole: Joi.string().valid(...STAFF_ROLES),
}).required();
