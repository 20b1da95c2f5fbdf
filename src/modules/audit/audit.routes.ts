import Joi from 'joi';
import type { ApiRouter } from '../../shared/http/route';
import { actorFromContext, type Actor } from './audit.service';
import type { AuditExports } from './audit.export';
import { EXPORT_FILES, exportFormat, sendTable } from '../../shared/http/export';

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
const auditExportQuery = auditListQuery.fork(['limit', 'before'], (f) => f.forbidden()).keys({ format: exportFormat });

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
export function registerAuditRoutes(api: ApiRouter, s: { staff: AuditLogReader; auditExports: AuditExports }): void {
  api.add(
    {
      method: 'get', path: '/api/staff/audit', summary: 'List the operation log, newest first (director)', tags: ['audit'],
      auth: 'staff', roles: ['director'], query: auditListQuery, response: auditPage, errors: ['VALIDATION_FAILED', 'FORBIDDEN'],
    },
    ({ query, ctx }) => s.staff.listAudit(actorFromContext(ctx), query),
  );
  api.add(
    {
      method: 'get', path: '/api/staff/audit/export', summary: 'The operation log as a file (CSV with BOM or xlsx): the same search as the list, newest first, streamed (director; audited)',
      tags: ['audit'], auth: 'staff', roles: ['director'], query: auditExportQuery, files: EXPORT_FILES, errors: ['VALIDATION_FAILED'],
    },
    ({ query, ctx }) => {
      const { format, ...search } = query;
      return sendTable(ctx, format, s.auditExports.exportForDirector(actorFromContext(ctx), search, format));
    },
  );
}
