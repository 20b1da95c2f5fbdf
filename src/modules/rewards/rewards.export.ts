import type { DataSource } from 'typeorm';
import { batchRows, keysetBatches, type TableExport } from '../../shared/http/export';
import type { Logger } from '../../shared/logger';
import type { Actor, AuditService } from '../audit';
import { ClientAccess } from '../clients';

export interface VoucherExportQuery {
  /** One client's vouchers (public id); else every client's the role reaches. */
  client?: string;
  status?: 'issued' | 'used' | 'cancelled' | 'expired';
  source?: 'points' | 'rule';
}

const STATUS_ZH: Record<string, string> = { issued: '未使用', used: '已核销', cancelled: '已取消', expired: '已过期' };
const SOURCE_ZH: Record<string, string> = { points: '积分兑换', rule: '活动发放' };
const KIND_ZH: Record<string, string> = { amount_off: '代金券', percent_off: '折扣券', free_service: '体验券', gift: '礼品' };
const COLUMNS = [
  { key: 'id', header: '券ID' }, { key: 'clientId', header: '客户ID' }, { key: 'title', header: '名称' }, { key: 'source', header: '来源' },
  { key: 'rule', header: '发放规则' }, { key: 'kind', header: '类型' }, { key: 'value', header: '面值(元)' }, { key: 'percent', header: '折扣(%)' },
  { key: 'points', header: '所用积分' }, { key: 'status', header: '状态' }, { key: 'createdAt', header: '发放时间' }, { key: 'expiresAt', header: '到期时间' },
  { key: 'usedAt', header: '核销时间' }, { key: 'usedBy', header: '核销人' }, { key: 'discount', header: '抵扣金额(元)' },
];

interface Row {
  id: number; public_id: string; client_id: number; client_public_id: string; title: string | null; source: string; rule: string | null; kind: string | null;
  value_fen: number | null; percent: number | null; points: number; status: string; created_at: Date; expires_at: Date; used_at: Date | null; used_by: string | null;
  discount_fen: number | null;
}

/**
 * Vouchers as a file (GET /api/staff/vouchers/export): vouchers are the money section of their
 * client, so the client-access rule's money scope decides whose (a consultant: their own clients');
 * filtered by client, status and source, newest first in keyset batches of ids. The code that
 * redeems a voucher is never in the file. Each batch is audited ('rewards.vouchers.export').
 */
export class VoucherExports {
  private readonly access: ClientAccess;

  constructor(private readonly deps: { db: DataSource; audit: AuditService; logger: Logger }) {
    this.access = new ClientAccess(deps);
  }

  async exportForStaff(actor: Actor, q: VoucherExportQuery, format: string): Promise<TableExport> {
    const { conds, params } = await this.access.listConditions(actor, 'money', { client: q.client, clientColumn: 'v.client_id', action: 'rewards.vouchers.export' });
    if (q.status) (conds.push('v.status = ?'), params.push(q.status));
    if (q.source) (conds.push('v.source = ?'), params.push(q.source));
    const fetch = (after: number | null, limit: number): Promise<Row[]> => this.deps.db.query(
      `SELECT v.id, v.public_id, v.client_id, c.public_id AS client_public_id, COALESCE(v.title, i.title) AS title, v.source, v.rule, v.kind, v.value_fen, v.percent,
              v.points, v.status, v.created_at, v.expires_at, v.used_at, u.display_name AS used_by, v.discount_fen
         FROM vouchers v JOIN clients c ON c.id = v.client_id LEFT JOIN reward_items i ON i.id = v.item_id LEFT JOIN staff u ON u.id = v.used_by_staff_id
        WHERE ${conds.join(' AND ')}${after === null ? '' : ' AND v.id < ?'} ORDER BY v.id DESC LIMIT ?`,
      [...params, ...(after === null ? [] : [after]), limit],
    );
    const fen = (v: number | null) => (v === null ? null : Number(v) / 100);
    const rows = batchRows(
      keysetBatches(fetch, (r) => Number(r.id)),
      (batch) => this.deps.audit.record(actor, 'rewards.vouchers.export', {
        details: { format, client: q.client ?? null, status: q.status ?? null, source: q.source ?? null, results: batch.length, clientIds: [...new Set(batch.map((r) => Number(r.client_id)))] },
      }),
      (r) => ({
        id: r.public_id, clientId: r.client_public_id, title: r.title, source: SOURCE_ZH[r.source] ?? r.source, rule: r.rule, kind: r.kind ? KIND_ZH[r.kind] ?? r.kind : null,
        value: fen(r.value_fen), percent: r.percent === null ? null : Number(r.percent), points: Number(r.points), status: STATUS_ZH[r.status] ?? r.status,
        createdAt: r.created_at, expiresAt: r.expires_at, usedAt: r.used_at, usedBy: r.used_by, discount: fen(r.discount_fen),
      }),
    );
    return { filename: 'vouchers', sheetName: '优惠券', columns: COLUMNS, rows, logger: this.deps.logger };
  }
}
