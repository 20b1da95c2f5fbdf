import { shanghaiMinute } from '../../shared/clock';
import { batchRows, keysetBatches, type TableExport } from '../../shared/http/export';
import type { Actor } from '../audit';
import { staffAppointmentFilter, type StaffAppointmentQuery } from './consultations.appointments';
import { APPOINTMENT_LABEL, type Support } from './consultations.shared';

const STATUS_ZH: Record<string, string> = { requested: '待确认', confirmed: '已确认', cancelled: '已取消', completed: '已完成', no_show: '爽约' };
const COLUMNS = [
  { key: 'id', header: '预约ID' }, { key: 'clientId', header: '客户ID' }, { key: 'name', header: '姓名' }, { key: 'kind', header: '类型' },
  { key: 'status', header: '状态' }, { key: 'at', header: '预约时间' }, { key: 'durationMinutes', header: '时长(分钟)' }, { key: 'doctor', header: '医师' },
  { key: 'createdAt', header: '创建时间' },
];

interface Row {
  id: number; public_id: string; client_id: number; client_public_id: string; name_enc: Buffer | null; kind: string; status: string; starts_at: Date;
  duration_minutes: number; doctor_name: string | null; created_at: Date;
}

/**
 * The appointment list as a file (GET /api/staff/appointments/export): the list's days, filters and
 * reach (staffAppointmentFilter), soonest first in keyset batches (starts_at, id) — without the list's
 * 500-row cap. The appointment note stays out of the file. Each batch is audited
 * ('appointment.export') with the clients it names.
 */
export class AppointmentExports {
  constructor(private readonly s: Support) {}

  exportForStaff(actor: Actor, q: StaffAppointmentQuery, format: string): TableExport {
    const { from, to, where, params } = staffAppointmentFilter(this.s, actor, q);
    const fetch = (after: { at: Date; id: number } | null, limit: number): Promise<Row[]> => this.s.deps.db.query(
      `SELECT a.id, a.public_id, a.client_id, c.public_id AS client_public_id, c.name_enc, a.kind, a.status, a.starts_at, a.duration_minutes,
              d.display_name AS doctor_name, a.created_at
         FROM appointments a JOIN clients c ON c.id = a.client_id LEFT JOIN staff d ON d.id = a.doctor_id
        WHERE ${where.join(' AND ')}${after === null ? '' : ' AND (a.starts_at > ? OR (a.starts_at = ? AND a.id > ?))'}
        ORDER BY a.starts_at, a.id LIMIT ?`,
      [...params, ...(after === null ? [] : [after.at, after.at, after.id]), limit],
    );
    const rows = batchRows(
      keysetBatches(fetch, (r) => ({ at: r.starts_at, id: Number(r.id) })),
      (batch) => this.s.deps.audit.record(actor, 'appointment.export', {
        details: { format, from, to, status: q.status ?? null, doctor: q.doctor ?? null, results: batch.length, clientIds: [...new Set(batch.map((r) => Number(r.client_id)))] },
      }),
      (r) => ({
        id: r.public_id, clientId: r.client_public_id, name: this.s.clientName(r.client_public_id, r.name_enc), kind: APPOINTMENT_LABEL[r.kind] ?? r.kind,
        status: STATUS_ZH[r.status] ?? r.status, at: shanghaiMinute(r.starts_at), durationMinutes: Number(r.duration_minutes), doctor: r.doctor_name, createdAt: r.created_at,
      }),
    );
    return { filename: `appointments-${from}-${to}`, sheetName: '预约', columns: COLUMNS, rows, logger: this.s.deps.logger };
  }
}
