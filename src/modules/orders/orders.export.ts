import type { DataSource } from 'typeorm';
import { notFound } from '../../shared/errors';
import { keysetBatches, type TableExport } from '../../shared/http/export';
import type { Logger } from '../../shared/logger';
import type { Actor, AuditService } from '../audit';
import { ClientAccess } from '../clients';
import type { OrderStatus } from './orders.entity';

export interface OrderExportQuery {
  clientId?: string;
  status?: OrderStatus;
}

const STATUS_ZH: Record<string, string> = { paid: '已支付', partially_refunded: '部分退款', refunded: '已退款', voided: '已作废' };
const COLUMNS = [
  { key: 'orderNo', header: '订单号' }, { key: 'clientId', header: '客户ID' }, { key: 'paidAt', header: '支付时间' }, { key: 'projects', header: '项目' },
  { key: 'paid', header: '实付金额(元)' }, { key: 'refunded', header: '已退金额(元)' }, { key: 'status', header: '状态' }, { key: 'doctor', header: '医师' },
  { key: 'consultant', header: '咨询师' },
];

interface Row {
  id: number; orderNo: string; clientPublicId: string; clientConsultantId: number | null; paidAt: Date; paid: number; refunded: number; status: string;
  doctor: string; consultant: string | null;
}

/**
 * The staff order list as a file (GET /api/staff/orders/export): the list's filters and money-scope
 * reach, keyset batches (paid_at, id) as the file streams. Which projects an order paid for is
 * health data: the column is empty for roles without the health scope, as in the list. Each batch
 * is audited ('order.export') with the clients it names.
 */
export class OrderExports {
  private readonly access: ClientAccess;

  constructor(private readonly deps: { db: DataSource; audit: AuditService; logger: Logger }) {
    this.access = new ClientAccess(deps);
  }

  async exportForStaff(actor: Actor, q: OrderExportQuery, format: string): Promise<TableExport> {
    this.access.requireScope(actor, 'money');
    const scope = this.access.filter(actor, 'money');
    const where: string[] = [scope.sql];
    const params: unknown[] = [...scope.params];
    if (q.clientId) {
      const [c]: { id: number }[] = await this.deps.db.query("SELECT id FROM clients WHERE public_id = ? AND status = 'active'", [q.clientId]);
      if (!c) throw notFound('Client');
      where.push('o.client_id = ?');
      params.push(c.id);
    }
    if (q.status) { where.push('o.status = ?'); params.push(q.status); }
    const fetch = (after: { paidAt: Date; id: number } | null, limit: number): Promise<Row[]> => this.deps.db.query(
      `SELECT o.id, o.order_no AS orderNo, c.public_id AS clientPublicId, c.consultant_id AS clientConsultantId, o.paid_at AS paidAt,
              o.amount_paid_fen AS paid, o.amount_refunded_fen AS refunded, o.status, d.display_name AS doctor, k.display_name AS consultant
         FROM orders o JOIN clients c ON c.id = o.client_id JOIN staff d ON d.id = o.doctor_id LEFT JOIN staff k ON k.id = o.consultant_id
        WHERE ${where.join(' AND ')}${after === null ? '' : ' AND (o.paid_at < ? OR (o.paid_at = ? AND o.id < ?))'}
        ORDER BY o.paid_at DESC, o.id DESC LIMIT ?`,
      [...params, ...(after === null ? [] : [after.paidAt, after.paidAt, after.id]), limit],
    );
    const self = this;
    const filters = (['clientId', 'status'] as const).filter((k) => q[k] !== undefined);
    async function* rows(): AsyncGenerator<Record<string, unknown>> {
      for await (const batch of keysetBatches(fetch, (r) => ({ paidAt: r.paidAt, id: Number(r.id) }))) {
        await self.deps.audit.record(actor, 'order.export', {
          details: { format, filters, role: actor.role, results: batch.length, clientIds: [...new Set(batch.map((r) => r.clientPublicId))] },
        });
        const names = await self.projectNames(batch.filter((r) => self.access.may(actor, { consultantId: r.clientConsultantId === null ? null : Number(r.clientConsultantId) }, 'health')).map((r) => Number(r.id)));
        for (const r of batch) {
          yield {
            orderNo: r.orderNo, clientId: r.clientPublicId, paidAt: r.paidAt, projects: names.get(Number(r.id)) ?? null, paid: Number(r.paid) / 100,
            refunded: Number(r.refunded) / 100, status: STATUS_ZH[r.status] ?? r.status, doctor: r.doctor, consultant: r.consultant,
          };
        }
      }
    }
    return { filename: 'orders', sheetName: '订单', columns: COLUMNS, rows: rows(), logger: this.deps.logger };
  }

  private async projectNames(orderIds: number[]): Promise<Map<number, string>> {
    if (!orderIds.length) return new Map();
    const rows: { orderId: number; names: string }[] = await this.deps.db.query(
      `SELECT i.order_id AS orderId, GROUP_CONCAT(p.name ORDER BY i.id SEPARATOR '、') AS names FROM order_items i JOIN projects p ON p.id = i.project_id
        WHERE i.order_id IN (?) GROUP BY i.order_id`, [orderIds],
    );
    return new Map(rows.map((r) => [Number(r.orderId), r.names]));
  }
}
