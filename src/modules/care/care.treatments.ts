import type { EntityManager } from 'typeorm';
import { AppError, CommonErrors, notFound } from '../../shared/errors';
import { isDuplicateKey, runInTransaction } from '../../shared/db';
import { publicId } from '../../shared/crypto';
import type { Actor } from '../audit';
import { ClientAccess } from '../clients';
import type { DataSource } from 'typeorm';
import type { Clock } from '../../shared/clock';
import type { FieldCipher } from '../../shared/crypto';
import type { AuditService } from '../audit';
import { CareErrors } from './care.errors';

/** What staff send to record a treatment; every id is a public id. */
export interface RecordTreatmentInput {
  /** The caller's key for this recording (a double click sends the same one). */
  requestId: string;
  order: string;
  project: string;
  /** Default: the order's doctor. */
  doctor?: string;
  performedAt: Date | string;
  /** Default: the project's body area. */
  bodyArea?: string;
  notes?: string;
  /** The doctor's advice for the next session (the repurchase reminder carries it). */
  advice?: string;
  /** Default: the next session of this order line. */
  sessionNo?: number;
}

export interface TreatmentView {
  id: string;
  client: string;
  order: string;
  project: { id: string; name: string };
  doctor: { id: string; name: string };
  performedAt: Date;
  bodyArea: string;
  notes: string | null;
  advice: string | null;
  sessionNo: number;
  status: 'done' | 'cancelled';
}

/** The treatment as follow-up scheduling sees it. */
export interface TreatmentForPlan {
  id: number;
  orderId: number;
  clientId: number;
  projectId: number;
  performedAt: Date;
  sessionNo: number;
}

interface TreatmentRow {
  id: number; public_id: string; client_id: number; order_id: number; project_id: number; performed_at: Date; body_area: string;
  notes_enc: Buffer | null; advice_enc: Buffer | null; session_no: number; status: 'done' | 'cancelled'; client_public_id: string; order_public_id: string;
  project_public_id: string; project_name: string; doctor_public_id: string; doctor_name: string;
}

// A treatment is recorded when it happened, or just after: a little clock skew, never days ahead.
const FUTURE_SKEW_MS = 10 * 60_000;
const ORDER_GONE = new Set(['refunded', 'voided']);

export interface TreatmentDeps {
  db: DataSource;
  clock: Clock;
  cipher: FieldCipher;
  audit: AuditService;
}

export const treatmentAad = (treatmentPublicId: string, field: 'notes' | 'advice' = 'notes') => `treatment:${treatmentPublicId}:${field}`;

/**
 * Treatments 施术记录 (DOMAIN.md, relationship upkeep): recording one starts its follow-up plan;
 * cancelling one cancels its steps still pending. Health data: the client-access rule's health
 * scope, audited.
 */
export class Treatments {
  constructor(
    private readonly deps: TreatmentDeps,
    private readonly plan: (m: EntityManager, t: TreatmentForPlan) => Promise<number>,
    /** Withdraws what the treatment's steps already queued (outbox messages, staff tasks); returns how many. */
    private readonly withdraw: (m: EntityManager, treatmentId: number) => Promise<{ messages: number; tasks: number }>,
  ) {}

  /** Records a treatment; given the caller's manager (completing an appointment), it joins that transaction. */
  async record(actor: Actor, input: RecordTreatmentInput, opts: { manager?: EntityManager } = {}): Promise<{ treatment: TreatmentView; replayed: boolean }> {
    const access = new ClientAccess(this.deps);
    const performedAt = new Date(input.performedAt);
    return runInTransaction(this.deps.db, async (m) => {
      // The order's row lock serialises recordings of one order: a double click waits, then finds the first.
      const [order]: { id: number; client_id: number; doctor_id: number; status: string }[] = await m.query(
        'SELECT id, client_id, doctor_id, status FROM orders WHERE public_id = ? FOR UPDATE', [input.order],
      );
      if (!order) throw new AppError(CommonErrors.NOT_FOUND, 'Order not found', [{ field: 'body.order', message: 'no such order' }]);
      await access.check(actor, { id: Number(order.client_id) }, 'health', { m, action: 'care.treatment.record' });
      const [existing]: { id: number; order_id: number; project_public_id: string }[] = await m.query(
        'SELECT t.id, t.order_id, p.public_id AS project_public_id FROM treatments t JOIN projects p ON p.id = t.project_id WHERE t.request_id = ?',
        [input.requestId],
      );
      if (existing) {
        if (Number(existing.order_id) !== Number(order.id) || existing.project_public_id !== input.project) {
          throw new AppError(CareErrors.TREATMENT_REQUEST_REUSED, 'This request id recorded another treatment', [{ field: 'body.requestId', message: 'already used' }]);
        }
        return { treatment: await this.view(m, Number(existing.id)), replayed: true };
      }
      // A refunded or voided order pays for nothing more.
      if (ORDER_GONE.has(order.status)) {
        throw new AppError(CareErrors.TREATMENT_ORDER_REFUNDED, 'The order was refunded; it pays for no treatment', [{ field: 'body.order', message: `order is ${order.status}` }]);
      }
      const [line]: { item_id: number; project_id: number; body_area: string }[] = await m.query(
        `SELECT MIN(i.id) AS item_id, p.id AS project_id, p.body_area FROM order_items i JOIN projects p ON p.id = i.project_id
          WHERE i.order_id = ? AND p.public_id = ? GROUP BY p.id`,
        [order.id, input.project],
      );
      if (!line) throw new AppError(CareErrors.TREATMENT_NOT_IN_ORDER, 'The order does not pay for this project', [{ field: 'body.project', message: 'not in the order' }]);
      let doctorId = Number(order.doctor_id);
      if (input.doctor) {
        const [doc]: { id: number }[] = await m.query("SELECT id FROM staff WHERE public_id = ? AND role = 'doctor' AND active = 1", [input.doctor]);
        if (!doc) throw new AppError(CareErrors.TREATMENT_DOCTOR_INVALID, 'No active doctor with this id', [{ field: 'body.doctor', message: 'not an active doctor' }]);
        doctorId = Number(doc.id);
      }
      const now = this.deps.clock.now();
      if (performedAt.getTime() > now.getTime() + FUTURE_SKEW_MS) {
        throw new AppError(CareErrors.TREATMENT_IN_FUTURE, 'A treatment is recorded once performed', [{ field: 'body.performedAt', message: 'in the future' }]);
      }
      let sessionNo = input.sessionNo;
      if (sessionNo === undefined) {
        const [{ n }]: { n: number }[] = await m.query(
          "SELECT COUNT(*) AS n FROM treatments WHERE order_id = ? AND project_id = ? AND status = 'done'", [order.id, line.project_id],
        );
        sessionNo = Number(n) + 1;
      }
      const id = publicId();
      let inserted: { insertId: number };
      try {
        inserted = await m.query(
          `INSERT INTO treatments (public_id, request_id, client_id, order_id, order_item_id, project_id, doctor_id, performed_at, body_area, notes_enc, advice_enc, session_no, status, recorded_by, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'done', ?, ?)`,
          [id, input.requestId, order.client_id, order.id, line.item_id, line.project_id, doctorId, performedAt, input.bodyArea ?? line.body_area,
            input.notes ? this.deps.cipher.encrypt(input.notes, treatmentAad(id)) : null,
            input.advice ? this.deps.cipher.encrypt(input.advice, treatmentAad(id, 'advice')) : null, sessionNo, actor.type === 'staff' ? actor.id : null, now],
        );
      } catch (err) {
        // The same request id from another order's recording, committed meanwhile.
        if (isDuplicateKey(err)) throw new AppError(CareErrors.TREATMENT_REQUEST_REUSED, 'This request id recorded another treatment', [{ field: 'body.requestId', message: 'already used' }]);
        throw err;
      }
      const treatmentId = Number(inserted.insertId);
      const steps = await this.plan(m, {
        id: treatmentId, orderId: Number(order.id), clientId: Number(order.client_id), projectId: Number(line.project_id), performedAt, sessionNo,
      });
      await this.deps.audit.record(actor, 'care.treatment.record', { clientId: Number(order.client_id), details: { treatment: id, sessionNo, steps } }, m);
      return { treatment: await this.view(m, treatmentId), replayed: false };
    }, { manager: opts.manager });
  }

  /**
   * Cancels a treatment recorded by mistake: its steps still scheduled are cancelled, and what its
   * steps queued but not yet sent (messages, staff tasks) is withdrawn; what went out stays. Audited.
   */
  async cancel(actor: Actor, treatmentPublicId: string): Promise<TreatmentView> {
    const access = new ClientAccess(this.deps);
    return runInTransaction(this.deps.db, async (m) => {
      const [row]: { id: number; client_id: number; status: string }[] = await m.query(
        'SELECT id, client_id, status FROM treatments WHERE public_id = ? FOR UPDATE', [treatmentPublicId],
      );
      if (!row) throw notFound('Treatment');
      await access.check(actor, { id: Number(row.client_id) }, 'health', { m, action: 'care.treatment.cancel', notFound: notFound('Treatment') });
      if (row.status === 'done') {
        await m.query("UPDATE treatments SET status = 'cancelled', cancelled_at = ? WHERE id = ?", [this.deps.clock.now(), row.id]);
        const result = await m.query("UPDATE followup_steps SET status = 'cancelled' WHERE treatment_id = ? AND status = 'scheduled'", [row.id]);
        const withdrawn = await this.withdraw(m, Number(row.id));
        await this.deps.audit.record(actor, 'care.treatment.cancel', {
          clientId: Number(row.client_id), details: { treatment: treatmentPublicId, steps: Number(result.affectedRows), ...withdrawn },
        }, m);
      }
      return this.view(m, Number(row.id));
    });
  }

  /** A client's treatments, newest first. Audited: procedures are medical history. */
  async ofClient(actor: Actor, clientPublicId: string): Promise<TreatmentView[]> {
    const client = await new ClientAccess(this.deps).check(actor, { publicId: clientPublicId }, 'health', { action: 'care.treatments.view' });
    await this.deps.audit.record(actor, 'care.treatments.view', { clientId: client.id });
    const rows = await this.rows(this.deps.db.manager, 't.client_id = ? ORDER BY t.performed_at DESC, t.id DESC LIMIT 500', [client.id]);
    return rows.map((r) => this.toView(r));
  }

  /** Every treatment of a client (for the client's own data export). */
  async rowsOfClient(m: EntityManager, clientId: number): Promise<TreatmentView[]> {
    return (await this.rows(m, 't.client_id = ? ORDER BY t.performed_at, t.id', [clientId])).map((r) => this.toView(r));
  }

  private async view(m: EntityManager, id: number): Promise<TreatmentView> {
    const [row] = await this.rows(m, 't.id = ?', [id]);
    return this.toView(row);
  }

  private rows(m: EntityManager, where: string, params: unknown[]): Promise<TreatmentRow[]> {
    return m.query(
      `SELECT t.id, t.public_id, t.client_id, t.order_id, t.project_id, t.performed_at, t.body_area, t.notes_enc, t.advice_enc, t.session_no, t.status,
              c.public_id AS client_public_id, o.public_id AS order_public_id, p.public_id AS project_public_id, p.name AS project_name,
              d.public_id AS doctor_public_id, d.display_name AS doctor_name
         FROM treatments t JOIN clients c ON c.id = t.client_id JOIN orders o ON o.id = t.order_id
         JOIN projects p ON p.id = t.project_id JOIN staff d ON d.id = t.doctor_id
        WHERE ${where}`,
      params,
    );
  }

  private toView(r: TreatmentRow): TreatmentView {
    return {
      id: r.public_id, client: r.client_public_id, order: r.order_public_id, project: { id: r.project_public_id, name: r.project_name },
      doctor: { id: r.doctor_public_id, name: r.doctor_name }, performedAt: r.performed_at, bodyArea: r.body_area,
      notes: r.notes_enc ? this.deps.cipher.decrypt(r.notes_enc, treatmentAad(r.public_id)) : null,
      advice: r.advice_enc ? this.deps.cipher.decrypt(r.advice_enc, treatmentAad(r.public_id, 'advice')) : null, sessionNo: Number(r.session_no), status: r.status,
    };
  }
}
