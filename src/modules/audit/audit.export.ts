import { batchRows, keysetBatches, type TableExport } from '../../shared/http/export';
import type { Logger } from '../../shared/logger';
import type { Actor, AuditService } from './audit.service';

/** The operation log's search, as the list route reads it (public ids; `before` is the last row id seen). */
export interface AuditSearch {
  clientId?: string;
  staffId?: string;
  action?: string;
  from?: Date;
  to?: Date;
}

/** One page of the log as the staff module names it (public ids of the staff and clients in it). */
export interface AuditPageReader {
  queryAudit(filter: AuditSearch & { limit: number; before?: string }): Promise<{
    items: { id: string; at: string; actor: { type: string; id: string | null; role: string | null }; action: string; clientId: string | null; allowed: boolean; ip: string | null; requestId: string | null; details: unknown }[];
  }>;
}

const COLUMNS = [
  { key: 'id', header: '日志ID' }, { key: 'at', header: '时间' }, { key: 'actorType', header: '操作者类型' }, { key: 'actorId', header: '操作者ID' },
  { key: 'role', header: '角色' }, { key: 'action', header: '操作' }, { key: 'clientId', header: '客户ID' }, { key: 'allowed', header: '是否允许' },
  { key: 'ip', header: 'IP' }, { key: 'requestId', header: '请求ID' }, { key: 'details', header: '详情' },
];

/**
 * 操作日志 as a file for the director (GET /api/staff/audit/export): the list's search (client,
 * staff member, action, time range), newest first, read in keyset batches of row ids. Each batch
 * is itself logged ('audit.export'); those rows are newer than the first batch, so never in the file.
 */
export class AuditExports {
  constructor(private readonly deps: { reader: AuditPageReader; audit: AuditService; logger: Logger }) {}

  exportForDirector(actor: Actor, search: AuditSearch, format: string): TableExport {
    const fetch = async (before: string | null, limit: number) => (await this.deps.reader.queryAudit({ ...search, limit, ...(before === null ? {} : { before }) })).items;
    const filters = { ...search, from: search.from?.toISOString(), to: search.to?.toISOString() };
    const rows = batchRows(
      keysetBatches(fetch, (r) => r.id),
      (batch) => this.deps.audit.record(actor, 'audit.export', { details: { format, ...filters, results: batch.length } }),
      (r) => ({
        id: r.id, at: r.at, actorType: r.actor.type, actorId: r.actor.id, role: r.actor.role, action: r.action, clientId: r.clientId, allowed: r.allowed ? '是' : '否',
        ip: r.ip, requestId: r.requestId, details: r.details === null || r.details === undefined ? null : JSON.stringify(r.details),
      }),
    );
    return { filename: 'audit-log', sheetName: '操作日志', columns: COLUMNS, rows, logger: this.deps.logger };
  }
}
