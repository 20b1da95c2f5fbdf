import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { publicId as newPublicId } from '../../shared/crypto';
import type { CareService } from './care.service';

/** A treatment from another system's records, for an order already here. */
export interface ImportedTreatment {
  sourceKey: string;
  orderId: number;
  clientId: number;
  /** The order line of this project. */
  orderItemId: number;
  projectId: number;
  bodyArea: string;
  doctorId: number;
  performedAt: Date;
  sessionNo: number;
}

const DAY_MS = 86_400_000;

/**
 * Bulk writes of imported treatments (inside the import's batch transaction). A treatment is
 * history with its real date, so repurchase reminders and effect tracking still due follow from it;
 * its follow-up plan is scheduled only while some step of it can still fall due (the plan itself
 * skips steps already past): no 48-hour callback for a procedure of two years ago.
 */
export class TreatmentImports {
  constructor(private readonly care: CareService) {}

  /** An order's lines by project: order id → project id → { item, body area }. */
  async orderLines(m: EntityManager, orderIds: number[]): Promise<Map<number, Map<number, { itemId: number; bodyArea: string; clientId: number; doctorId: number }>>> {
    const out = new Map<number, Map<number, { itemId: number; bodyArea: string; clientId: number; doctorId: number }>>();
    if (!orderIds.length) return out;
    const rows: { orderId: number; projectId: number; itemId: number; bodyArea: string; clientId: number; doctorId: number }[] = await m.query(
      `SELECT i.order_id AS orderId, i.project_id AS projectId, MIN(i.id) AS itemId, p.body_area AS bodyArea, o.client_id AS clientId, o.doctor_id AS doctorId
         FROM order_items i JOIN projects p ON p.id = i.project_id JOIN orders o ON o.id = i.order_id
        WHERE i.order_id IN (?) GROUP BY i.order_id, i.project_id, p.body_area, o.client_id, o.doctor_id`,
      [orderIds],
    );
    for (const r of rows) {
      const lines = out.get(Number(r.orderId)) ?? new Map();
      lines.set(Number(r.projectId), { itemId: Number(r.itemId), bodyArea: r.bodyArea, clientId: Number(r.clientId), doctorId: Number(r.doctorId) });
      out.set(Number(r.orderId), lines);
    }
    return out;
  }

  /** Inserts the treatments and schedules what of their plans is still ahead; their ids in input order. */
  async insertMany(m: EntityManager, treatments: ImportedTreatment[], recordedBy: number | null, now: Date): Promise<number[]> {
    if (!treatments.length) return [];
    const pids = treatments.map(() => newPublicId());
    await m.query(
      `INSERT INTO treatments (public_id, request_id, client_id, order_id, order_item_id, project_id, doctor_id, performed_at, body_area, session_no, status, recorded_by, created_at)
       VALUES ${treatments.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'done', ?, ?)").join(', ')}`,
      treatments.flatMap((t, i) => [
        pids[i], `import:${createHash('sha256').update(t.sourceKey).digest('hex').slice(0, 40)}`, t.clientId, t.orderId, t.orderItemId, t.projectId, t.doctorId,
        t.performedAt, t.bodyArea, t.sessionNo, recordedBy, now,
      ]),
    );
    const rows: { id: number; publicId: string }[] = await m.query('SELECT id, public_id AS publicId FROM treatments WHERE public_id IN (?)', [pids]);
    const byPid = new Map(rows.map((r) => [r.publicId, Number(r.id)]));
    const ids = pids.map((p) => byPid.get(p)!);
    const horizon = await this.planHorizonDays(m, [...new Set(treatments.map((t) => t.projectId))]);
    for (const [i, t] of treatments.entries()) {
      const days = horizon.get(t.projectId) ?? 0;
      if (t.performedAt.getTime() + (days + 1) * DAY_MS < now.getTime()) continue;
      await this.care.scheduleTreatment(m, { id: ids[i], orderId: t.orderId, clientId: t.clientId, projectId: t.projectId, performedAt: t.performedAt, sessionNo: t.sessionNo });
    }
    return ids;
  }

  /** How many days after a treatment its plan's last step can fall (the longest offset, or the effect duration). */
  private async planHorizonDays(m: EntityManager, projectIds: number[]): Promise<Map<number, number>> {
    const rows: { id: number; effect: number | null; longest: number | null }[] = await m.query(
      `SELECT p.id, p.effect_duration_days AS effect,
              (SELECT MAX(t.offset_minutes) FROM followup_templates t WHERE t.active = 1 AND t.plan = COALESCE(p.followup_plan, p.category)) AS longest
         FROM projects p WHERE p.id IN (?)`,
      [projectIds],
    );
    return new Map(rows.map((r) => [Number(r.id), Math.max(Number(r.effect ?? 0), Math.ceil(Number(r.longest ?? 0) / 1440))]));
  }
}
