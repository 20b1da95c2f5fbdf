import type { DataSource } from 'typeorm';
import type { Clock } from '../../shared/clock';
import { batchRows, keysetBatches, type TableExport } from '../../shared/http/export';
import type { Logger } from '../../shared/logger';
import type { Actor, AuditService } from '../audit';
import { ClientAccess } from '../clients';
import type { CaseListQuery } from './feedback.types';

const SOURCE_ZH: Record<string, string> = { survey: '差评', complaint: '投诉' };
const GRADE_ZH: Record<string, string> = { high: '高', medium: '中', low: '低' };
const STATUS_ZH: Record<string, string> = { open: '处理中', resolved: '已解决' };
const COLUMNS = [
  { key: 'id', header: '工单ID' }, { key: 'clientId', header: '客户ID' }, { key: 'source', header: '来源' }, { key: 'grade', header: '等级' },
  { key: 'category', header: '类别' }, { key: 'status', header: '状态' }, { key: 'assigneeRole', header: '负责角色' }, { key: 'deadlineAt', header: '处理时限' },
  { key: 'overdue', header: '已超时' }, { key: 'nps', header: 'NPS' }, { key: 'orderId', header: '订单号' }, { key: 'createdAt', header: '创建时间' },
  { key: 'resolvedAt', header: '解决时间' }, { key: 'resolvedBy', header: '处理人' },
];

interface Row {
  id: number; public_id: string; client_id: number; client_public_id: string; source: string; grade: string; category: string | null; status: string;
  assignee_role: string; deadline_at: Date; nps: number | null; order_no: string | null; created_at: Date; resolved_at: Date | null; resolved_by_name: string | null;
  resolved: number;
}
interface Key { resolved: number; deadline: Date; id: number }

/**
 * The case list as a file (GET /api/staff/cases/export): the list's filters (status, overdue), its
 * reach (the client-access rule's archive scope) and its order (open first, most urgent first), in
 * keyset batches on that order. Neither the complaint text nor the survey comment is in the file;
 * each batch is audited ('feedback.cases.export') with the clients it names.
 */
export class CaseExports {
  private readonly access: ClientAccess;

  constructor(private readonly deps: { db: DataSource; clock: Clock; audit: AuditService; logger: Logger }) {
    this.access = new ClientAccess(deps);
  }

  exportForStaff(actor: Actor, q: Pick<CaseListQuery, 'status' | 'overdue'>, format: string): TableExport {
    this.access.requireScope(actor, 'archive');
    const now = this.deps.clock.now();
    const scope = this.access.filter(actor, 'archive');
    const conds = [scope.sql];
    const params: unknown[] = [...scope.params];
    if (q.status) (conds.push('fc.status = ?'), params.push(q.status));
    if (q.overdue === true) (conds.push("fc.status = 'open' AND fc.deadline_at <= ?"), params.push(now));
    if (q.overdue === false) (conds.push("(fc.status <> 'open' OR fc.deadline_at > ?)"), params.push(now));
    const resolved = "(fc.status = 'resolved')";
    const fetch = (after: Key | null, limit: number): Promise<Row[]> => this.deps.db.query(
      `SELECT fc.id, fc.public_id, fc.client_id, c.public_id AS client_public_id, fc.source, fc.grade, fc.category, fc.status, fc.assignee_role, fc.deadline_at,
              s.nps, o.order_no, fc.created_at, fc.resolved_at, st.display_name AS resolved_by_name, ${resolved} AS resolved
         FROM feedback_cases fc JOIN clients c ON c.id = fc.client_id LEFT JOIN satisfaction_surveys s ON s.id = fc.survey_id
         LEFT JOIN orders o ON o.id = fc.order_id LEFT JOIN staff st ON st.id = fc.resolved_by
        WHERE ${conds.join(' AND ')}${after === null ? '' : ` AND (${resolved} > ? OR (${resolved} = ? AND (fc.deadline_at > ? OR (fc.deadline_at = ? AND fc.id > ?))))`}
        ORDER BY ${resolved}, fc.deadline_at, fc.id LIMIT ?`,
      [...params, ...(after === null ? [] : [after.resolved, after.resolved, after.deadline, after.deadline, after.id]), limit],
    );
    const filters = { status: q.status ?? null, overdue: q.overdue ?? null };
    const rows = batchRows(
      keysetBatches(fetch, (r): Key => ({ resolved: Number(r.resolved), deadline: r.deadline_at, id: Number(r.id) })),
      (batch) => this.deps.audit.record(actor, 'feedback.cases.export', {
        details: { format, ...filters, role: actor.role, results: batch.length, clientIds: [...new Set(batch.map((r) => Number(r.client_id)))] },
      }),
      (r) => ({
        id: r.public_id, clientId: r.client_public_id, source: SOURCE_ZH[r.source] ?? r.source, grade: GRADE_ZH[r.grade] ?? r.grade, category: r.category,
        status: STATUS_ZH[r.status] ?? r.status, assigneeRole: r.assignee_role, deadlineAt: r.deadline_at, overdue: r.status === 'open' && r.deadline_at <= now ? '是' : '否',
        nps: r.nps === null ? null : Number(r.nps), orderId: r.order_no, createdAt: r.created_at, resolvedAt: r.resolved_at, resolvedBy: r.resolved_by_name,
      }),
    );
    return { filename: 'cases', sheetName: '投诉与差评', columns: COLUMNS, rows, logger: this.deps.logger };
  }
}
