import { keysetBatches, type TableExport } from '../../shared/http/export';
import type { Logger } from '../../shared/logger';
import type { Actor } from '../audit';
import { TASK_SELECT, toView, visibility, type TaskQuery, type TaskRow, type WorklistDeps } from './worklist.service';

const STATUS_ZH: Record<string, string> = { open: '待办', done: '已完成', cancelled: '已取消' };
const COLUMNS = [
  { key: 'id', header: '任务ID' }, { key: 'kind', header: '类型' }, { key: 'clientId', header: '客户ID' }, { key: 'assigneeRole', header: '负责角色' },
  { key: 'title', header: '任务' }, { key: 'dueAt', header: '截止时间' }, { key: 'status', header: '状态' }, { key: 'doneAt', header: '完成时间' }, { key: 'note', header: '备注' },
];

/**
 * The task list as a file (GET /api/staff/tasks/export): the list's filters (status, role) and
 * visibility (own role's or own tasks; the director all), newest first in keyset batches by id.
 * Each batch is audited ('worklist.export') with the clients it names.
 */
export class TaskExports {
  constructor(private readonly deps: WorklistDeps & { logger: Logger }) {}

  exportForStaff(actor: Actor, q: Omit<TaskQuery, 'page' | 'pageSize'>, format: string): TableExport {
    const vis = visibility(actor);
    const conds = ['t.status = ?', vis.sql];
    const params: unknown[] = [q.status, ...vis.params];
    if (q.role) (conds.push('t.assignee_role = ?'), params.push(q.role));
    const fetch = (after: number | null, limit: number): Promise<TaskRow[]> => this.deps.db.query(
      `${TASK_SELECT} WHERE ${conds.join(' AND ')}${after === null ? '' : ' AND t.id < ?'} ORDER BY t.id DESC LIMIT ?`,
      [...params, ...(after === null ? [] : [after]), limit],
    );
    const { audit, cipher } = this.deps;
    async function* rows(): AsyncGenerator<Record<string, unknown>> {
      for await (const batch of keysetBatches(fetch, (r) => Number(r.id))) {
        await audit.record(actor, 'worklist.export', {
          details: { format, status: q.status, role: q.role ?? null, results: batch.length, clientIds: [...new Set(batch.flatMap((r) => (r.client_id === null ? [] : [Number(r.client_id)])))] },
        });
        for (const r of batch) {
          const v = toView(cipher, r);
          yield { id: v.id, kind: v.kind, clientId: v.clientId, assigneeRole: v.assigneeRole, title: v.title, dueAt: v.dueAt, status: STATUS_ZH[v.status] ?? v.status, doneAt: v.doneAt, note: v.note };
        }
      }
    }
    return { filename: 'tasks', sheetName: '任务', columns: COLUMNS, rows: rows(), logger: this.deps.logger };
  }
}
