import Joi from 'joi';
import type { ApiRouter } from '../../shared/http/route';
import { actorFromContext, type Actor } from './audit.service';

const publicIdSchema = Joi.string().pattern(/^[A-Za-z0-9_-]{22}$/, 'public id');

export const auditListQuery = Joi.object({
  clientId: publicIdSchema,
  staffId: publicIdSchema,
  action: Joi.string().max(64),
  from: Joi.date().iso(),
  to: Joi.date().iso(),
  limit: Joi.number().integer().min(1).max(200).default(50),
  before: Joi.string().pattern(/^[1-9]\d{0,19}$/, 'row id').description('id of the last row of the previous page'),
});

const auditItem = Joi.object({
  id: Joi.string(),
  at: Joi.string().isoDate(),
  actor: Joi.object({ type: Joi.string().valid('staff', 'client', 'system'), id: Joi.string().allow(null), role: Joi.string().allow(null) }),
  action: Joi.string(),
  clientId: Joi.string().allow(null),
  allowed: Joi.boolean(),
  ip: Joi.string().allow(null),
  requestId: Joi.string().allow(null),
  details: Joi.object().unknown(true).allow(null),
});

const auditPage = Joi.object({ items: Joi.array().items(auditItem), nextBefore: Joi.string().allow(null) });

/** Who answers the log's reads: the staff module, which names the staff member of each row. */
export interface AuditLogReader {
  listAudit(actor: Actor, filter: { clientId?: string; staffId?: string; action?: string; from?: Date; to?: Date; limit: number; before?: string }): Promise<unknown>;
}

/**
 * 操作日志 for the director: read only. There is deliberately no route that changes or deletes
 * an audit row (DOMAIN.md: the log cannot be edited through the product).
 */
export function registerAuditRoutes(api: ApiRouter, s: { staff: AuditLogReader }): void {
  api.add(
    {
      method: 'get', path: '/api/staff/audit', summary: 'List the operation log, newest first (director)', tags: ['audit'],
      auth: 'staff', roles: ['director'], query: auditListQuery, response: auditPage, errors: ['VALIDATION_FAILED', 'FORBIDDEN'],
    },
    ({ query, ctx }) => s.staff.listAudit(actorFromContext(ctx), query),
  );
}
