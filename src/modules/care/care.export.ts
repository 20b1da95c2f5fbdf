import type { DataSource } from 'typeorm';
import { SHANGHAI_OFFSET_MS } from '../../shared/clock';
import { batchRows, keysetBatches, type TableExport } from '../../shared/http/export';
import type { Logger } from '../../shared/logger';
import type { Actor, AuditService } from '../audit';
import { ClientAccess } from '../clients';

export interface TreatmentExportQuery {
  /** One client's treatments (public id), as on the client's page; else every client's the role reaches. */
  client?: string;
  /** Shanghai dates, both included, of when the treatment was performed. */
  from?: string;
  to?: string;
  status?: 'done' | 'cancelled';
}

const STATUS_ZH: Record<string, string> = { done: '已完成', cancelled: '已取消' };
const COLUMNS = [
  { key: 'id', header: '施术ID' }, { key: 'clientId', header: '客户ID' }, { key: 'performedAt', header: '施术时间' }, { key: 'project', header: '项目' },
  { key: 'bodyArea', header: '部位' }, { key: 'sessionNo', header: '疗程次数' }, { key: 'doctor', header: '医师' }, { key: 'orderNo', header: '订单号' },
  { key: 'status', header: '状态' },
];

interface Row {
  id: number; public_id: string; client_id: number; client_public_id: string; performed_at: Date; project_name: string; body_area: string; session_no: number;
  doctor_name: string; order_no: string; status: string;
}

/**
 * Treatments 施术记录 as a file (GET /api/staff/treatments/export): which procedures were done is
 * health data, so the client-access rule's health scope decides whose (doctors and the director:
 * every client); one client's (as the client's page lists them) or all, by performed date, newest
 * first in keyset batches. The doctor's notes and advice stay out of the file. Each batch is
 * audited ('care.treatments.export') with the clients it names.
 */
export class TreatmentExports {
  private readonly access: ClientAccess;

  constructor(private readonly deps: { db: DataSource; audit: AuditService; logger: Logger }) {
    this.access = new ClientAccess(deps);
  }

  async exportForStaff(actor: Actor, q: TreatmentExportQuery, format: string): Promise<TableExport> {
    const { conds, params } = await this.access.listConditions(actor, 'health', { client: q.client, clientColumn: 't.client_id', action: 'care.treatments.export' });
    const day = (date: string, plus = 0) => new Date(Date.parse(`${date}T00:00:00Z`) - SHANGHAI_OFFSET_MS + plus);
    if (q.from) (conds.push('t.performed_at >= ?'), params.push(day(q.from)));
    if (q.to) (conds.push('t.performed_at < ?'), params.push(day(q.to, 86400_000)));
    if (q.status) (conds.push('t.status = ?'), params.push(q.status));
    const fetch = (after: { at: Date; id: number } | null, limit: number): Promise<Row[]> => this.deps.db.query(
      `SELECT t.id, t.public_id, t.client_id, c.public_id AS client_public_id, t.performed_at, p.name AS project_name, t.body_area, t.session_no,
              d.display_name AS doctor_name, o.order_no, t.status
         FROM treatments t JOIN clients c ON c.id = t.client_id JOIN orders o ON o.id = t.order_id JOIN projects p ON p.id = t.project_id JOIN staff d ON d.id = t.doctor_id
        WHERE ${conds.join(' AND ')}${after === null ? '' : ' AND (t.performed_at < ? OR (t.performed_at = ? AND t.id < ?))'}
        ORDER BY t.performed_at DESC, t.id DESC LIMIT ?`,
      [...params, ...(after === null ? [] : [after.at, after.at, after.id]), limit],
    );
    const rows = batchRows(
      keysetBatches(fetch, (r) => ({ at: r.performed_at, id: Number(r.id) })),
      (batch) => this.deps.audit.record(actor, 'care.treatments.export', {
        details: { format, client: q.client ?? null, from: q.from ?? null, to: q.to ?? null, status: q.status ?? null, results: batch.length, clientIds: [...new Set(batch.map((r) => Number(r.client_id)))] },
      }),
      (r) => ({
        id: r.public_id, clientId: r.client_public_id, performedAt: r.performed_at, project: r.project_name, bodyArea: r.body_area, sessionNo: Number(r.session_no),
        doctor: r.doctor_name, orderNo: r.order_no, status: STATUS_ZH[r.status] ?? r.status,
      }),
    );
    return { filename: 'treatments', sheetName: '施术记录', columns: COLUMNS, rows, logger: this.deps.logger };
  }
}
