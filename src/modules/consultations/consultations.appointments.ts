import type { EntityManager } from 'typeorm';
import { SHANGHAI_OFFSET_MS, shanghaiDate, shanghaiMinute } from '../../shared/clock';
import { AppError, notFound, validationError } from '../../shared/errors';
import { publicId as newPublicId } from '../../shared/crypto';
import type { Actor } from '../audit';
import type { AppointmentKind, AppointmentStatus } from './consultations.entity';
import { ConsultationErrors } from './consultations.errors';
import { checkSlot, durationOf } from './consultations.hours';
import { aad, APPOINTMENT_LABEL, Support } from './consultations.shared';
import type { StaffRef } from './consultations.shared';
import type { DoctorSchedules } from './consultations.schedules';
import { reminderTimes } from './consultations.reminders';

type AppointmentNotice = 'appointment_confirmed' | 'appointment_moved' | 'appointment_cancelled';

const DAY_MS = 86400_000;
const MAX_LIST_DAYS = 93;

export interface AppointmentView {
  id: string;
  kind: AppointmentKind;
  status: AppointmentStatus;
  at: Date;
  durationMinutes: number;
  /** The doctor whose hours it takes; null for a request no doctor was chosen for yet. */
  doctor: StaffRef | null;
  note: string | null;
  /** The treatment recorded when this procedure appointment was completed (care module). */
  treatmentId: string | null;
  /** The intent letter this appointment was made with, if any. */
  letterId: string | null;
  confirmedAt: Date | null;
  cancelledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * The staff list's days (Shanghai dates, both included; default the next 7 days, at most 93) and
 * its conditions on `a` (appointments), `c` (clients) and `d` (the doctor): status, doctor, and the
 * client-access rule's archive reach. 400 naming `query.to` for a range out of bounds.
 */
export function staffAppointmentFilter(s: Support, actor: Actor, q: StaffAppointmentQuery): { from: string; to: string; where: string[]; params: unknown[] } {
  const from = q.from ?? shanghaiDate(s.now());
  const to = q.to ?? shanghaiDate(new Date(Date.parse(`${from}T00:00:00Z`) + 6 * DAY_MS));
  const start = Date.parse(`${from}T00:00:00Z`) - SHANGHAI_OFFSET_MS;
  const end = Date.parse(`${to}T00:00:00Z`) - SHANGHAI_OFFSET_MS + DAY_MS;
  if (end <= start) throw validationError([{ field: 'query.to', message: 'to must not be before from' }]);
  if (end - start > MAX_LIST_DAYS * DAY_MS) throw validationError([{ field: 'query.to', message: `at most ${MAX_LIST_DAYS} days at once` }]);
  const where = ['a.starts_at >= ?', 'a.starts_at < ?', "c.status = 'active'"];
  const params: unknown[] = [new Date(start), new Date(end)];
  if (q.status) (where.push('a.status = ?'), params.push(q.status));
  if (q.doctor) (where.push('d.public_id = ?'), params.push(q.doctor));
  const scope = s.deps.clients.access.filter(actor, 'archive');
  where.push(scope.sql);
  params.push(...scope.params);
  return { from, to, where, params };
}

export interface AppointmentEventView {
  action: string;
  from: Date | null;
  to: Date | null;
  actorType: string;
  reason: string | null;
  at: Date;
}

export interface StaffAppointmentView extends AppointmentView {
  client: { id: string; name: string | null };
  confirmedBy: { id: string; name: string } | null;
  events?: AppointmentEventView[];
}

export interface StaffAppointmentQuery {
  /** Asia/Shanghai calendar dates, both included; default today and the 6 days after. */
  from?: string;
  to?: string;
  status?: AppointmentStatus;
  /** A doctor's public id: that doctor's appointments only. */
  doctor?: string;
}

export interface NewAppointment {
  kind: AppointmentKind;
  at: Date;
  note?: string | null;
  /** The doctor's public id: their hours and slot capacity bound the booking. */
  doctor?: string | null;
}

/** What staff send to complete an appointment; a procedure's completion records its treatment. */
export interface CompleteInput {
  order?: string;
  project?: string;
  notes?: string;
  advice?: string;
}

interface Row {
  id: number;
  public_id: string;
  client_id: number;
  kind: AppointmentKind;
  status: AppointmentStatus;
  starts_at: Date;
  duration_minutes: number;
  note_enc: Buffer | null;
  version: number;
  confirmed_by: number | null;
  confirmed_at: Date | null;
  cancelled_at: Date | null;
  created_at: Date;
  updated_at: Date;
  letter_public_id: string | null;
  doctor_id: number | null;
  doctor_public_id?: string | null;
  doctor_name?: string | null;
  treatment_public_id: string | null;
}

const SELECT = `SELECT a.*, l.public_id AS letter_public_id, d.public_id AS doctor_public_id, d.display_name AS doctor_name
  FROM appointments a LEFT JOIN intent_letters l ON l.appointment_id = a.id LEFT JOIN staff d ON d.id = a.doctor_id`;
const REMINDER_KEY = (appointmentPublicId: string) => `appointment_reminder:${appointmentPublicId}:`;
const OPEN: AppointmentStatus[] = ['requested', 'confirmed'];

type StaffAction = 'confirm' | 'move' | 'cancel' | 'complete' | 'no_show';

/**
 * 预约: the client asks for a slot inside the opening hours; staff confirm, move,
 * cancel, complete or mark a no-show. Every change is a row lock on the appointment, an event row,
 * a version bump (the client's notice is deduplicated by it) and, for staff, an audit row.
 */
export class AppointmentsService {
  constructor(private readonly s: Support, private readonly schedules: DoctorSchedules) {}

  private get rules() {
    return this.s.deps.config.appointments;
  }

  /**
   * The client asks for a consultation slot. The client row's lock serialises one client's requests:
   * the same slot asked twice (a double tap) answers the open appointment already there, and at most
   * `maxOpenPerClient` open appointments are held at once. With a doctor, the doctor's hours and
   * slot capacity bound it (the slots the client is offered show them).
   */
  async request(clientId: number, input: { at: Date; note?: string | null; kind?: AppointmentKind; doctor?: string | null }, actor: Actor): Promise<AppointmentView> {
    const id = await this.s.tx(async (m) => {
      await m.query('SELECT id FROM clients WHERE id = ? FOR UPDATE', [clientId]);
      const now = this.s.now();
      const kind: AppointmentKind = input.kind ?? 'consultation';
      checkSlot(this.rules, input.at, durationOf(this.rules, kind), now, 'body.at');
      const [same] = await m.query(
        "SELECT id FROM appointments WHERE client_id = ? AND kind = ? AND starts_at = ? AND status IN ('requested', 'confirmed')",
        [clientId, kind, input.at],
      );
      if (same) return Number(same.id);
      const [{ n }] = await m.query(
        "SELECT COUNT(*) AS n FROM appointments WHERE client_id = ? AND status IN ('requested', 'confirmed') AND starts_at > ?",
        [clientId, now],
      );
      if (Number(n) >= this.rules.maxOpenPerClient) {
        throw new AppError(ConsultationErrors.APPOINTMENT_LIMIT_REACHED, 'You already have as many open appointments as allowed', {
          limit: this.rules.maxOpenPerClient,
        });
      }
      return (await this.insert(m, clientId, { kind, at: input.at, note: input.note, doctor: input.doctor }, actor)).id;
    });
    return this.viewOf(this.s.deps.db.manager, { id });
  }

  /**
   * Writes a requested appointment inside the caller's transaction (plan acceptance uses it); the
   * slot is checked here, so a bad time rolls the whole transaction back. `field` names the request field.
   */
  async insert(
    m: EntityManager, clientId: number, input: NewAppointment, actor: Actor, field = 'body.at', confirmedBy: number | null = null,
  ): Promise<{ id: number; publicId: string; durationMinutes: number }> {
    const now = this.s.now();
    const durationMinutes = durationOf(this.rules, input.kind);
    checkSlot(this.rules, input.at, durationMinutes, now, field);
    let doctorId: number | null = null;
    if (input.doctor) {
      doctorId = (await this.schedules.doctorFor(m, input.doctor, field.replace(/\.at$/, '.doctor'))).id;
      await this.schedules.reserve(m, doctorId, input.at, durationMinutes, null, field);
    }
    const pid = newPublicId();
    const note = input.note ? this.s.seal(input.note, aad.appointmentNote(pid)) : null;
    const res = await m.query(
      `INSERT INTO appointments (public_id, client_id, kind, status, starts_at, duration_minutes, doctor_id, note_enc, version, confirmed_by, confirmed_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`,
      [pid, clientId, input.kind, confirmedBy === null ? 'requested' : 'confirmed', input.at, durationMinutes, doctorId, note,
        confirmedBy, confirmedBy === null ? null : now, now, now],
    );
    const id = Number(res.insertId);
    await this.event(m, { id, publicId: pid }, 'requested', actor, { to: input.at });
    return { id, publicId: pid, durationMinutes };
  }

  async listOwn(clientId: number, page: number, pageSize: number): Promise<{ items: AppointmentView[]; page: number; hasMore: boolean }> {
    const rows: Row[] = await this.s.deps.db.query(`${SELECT} WHERE a.client_id = ? ORDER BY a.starts_at DESC, a.id DESC LIMIT ? OFFSET ?`, [
      clientId, pageSize + 1, (page - 1) * pageSize,
    ]);
    return { items: rows.slice(0, pageSize).map((r) => this.view(r)), page, hasMore: rows.length > pageSize };
  }

  /** One of the client's own appointments; another client's is simply not found. */
  async getOwn(clientId: number, appointmentPublicId: string): Promise<AppointmentView> {
    const [row]: Row[] = await this.s.deps.db.query(`${SELECT} WHERE a.public_id = ? AND a.client_id = ?`, [appointmentPublicId, clientId]);
    if (!row) throw notFound('Appointment');
    return this.view(row);
  }

  /** The client cancels their own open appointment before it starts; staff are alerted through the outbox. */
  async cancelByClient(clientId: number, appointmentPublicId: string, actor: Actor): Promise<AppointmentView> {
    const id = await this.s.tx(async (m) => {
      const row = await this.lock(m, appointmentPublicId, clientId);
      this.allow(row, 'cancel');
      const version = await this.change(m, row, { status: 'cancelled', cancelled_at: this.s.now() });
      await this.event(m, { id: row.id, publicId: row.public_id }, 'cancelled', actor, { from: row.starts_at });
      await this.withdrawReminders(m, row);
      await this.s.alertStaff(m, clientId, `appointment_alert:${row.public_id}:${version}`, {
        event: 'appointment_cancelled_by_client', role: 'customer_service',
        text: `【预约取消】客户取消了 ${shanghaiMinute(row.starts_at)} 的${APPOINTMENT_LABEL[row.kind] ?? '预约'}（${row.public_id}）。`,
        refs: { appointmentId: row.public_id, at: row.starts_at.toISOString(), kind: row.kind },
      });
      return row.id;
    });
    return this.viewOf(this.s.deps.db.manager, { id });
  }

  /**
   * Appointments between two Shanghai dates (both included), soonest first; a consultant sees their
   * own clients' only. One 'appointment.list' audit row names the clients shown.
   */
  async listForStaff(actor: Actor, q: StaffAppointmentQuery): Promise<{ items: StaffAppointmentView[]; from: string; to: string }> {
    const { from, to, where, params } = staffAppointmentFilter(this.s, actor, q);
    const rows: (Row & { client_public_id: string; name_enc: Buffer | null })[] = await this.s.deps.db.query(
      `SELECT a.*, l.public_id AS letter_public_id, c.public_id AS client_public_id, c.name_enc, d.public_id AS doctor_public_id, d.display_name AS doctor_name
         FROM appointments a JOIN clients c ON c.id = a.client_id LEFT JOIN intent_letters l ON l.appointment_id = a.id LEFT JOIN staff d ON d.id = a.doctor_id
        WHERE ${where.join(' AND ')} ORDER BY a.starts_at, a.id LIMIT 500`,
      params,
    );
    const staff = await this.s.staffRefs(this.s.deps.db.manager, rows.map((r) => r.confirmed_by));
    await this.s.deps.audit.record(actor, 'appointment.list', {
      details: { from, to, status: q.status ?? null, doctor: q.doctor ?? null, results: rows.length, clientIds: [...new Set(rows.map((r) => Number(r.client_id)))] },
    });
    return {
      from, to,
      items: rows.map((r) => ({
        ...this.view(r),
        client: { id: r.client_public_id, name: this.s.clientName(r.client_public_id, r.name_enc) },
        confirmedBy: r.confirmed_by === null ? null : staff.get(Number(r.confirmed_by)) ?? null,
      })),
    };
  }

  /** One appointment with its history of changes (audited 'appointment.read'). */
  async getForStaff(actor: Actor, appointmentPublicId: string): Promise<StaffAppointmentView> {
    const m = this.s.deps.db.manager;
    const row = await this.rowFor(m, appointmentPublicId);
    await this.s.clientForStaff(actor, m, { id: row.client_id }, 'appointment.read', 'Appointment');
    await this.s.deps.audit.record(actor, 'appointment.read', { clientId: row.client_id, details: { appointment: row.public_id } });
    return this.staffView(m, row, true);
  }

  /**
   * Staff book a client (phone, walk-in, at the desk): the appointment is confirmed at once, takes
   * a place of the doctor's slot, and the client is told and reminded like any confirmed one.
   */
  async create(actor: Actor, input: NewAppointment & { client: string; doctor: string }): Promise<StaffAppointmentView> {
    const id = await this.s.tx(async (m) => {
      const client = await this.s.clientForStaff(actor, m, { publicId: input.client }, 'appointment.create');
      const made = await this.insert(m, client.id, input, actor, 'body.at', actor.id);
      const row = await this.lock(m, made.publicId);
      await this.event(m, { id: row.id, publicId: row.public_id }, 'confirmed', actor, { to: row.starts_at });
      await this.confirmed(m, row, actor, 0);
      await this.s.deps.audit.record(actor, 'appointment.create', {
        clientId: client.id, details: { appointment: row.public_id, kind: row.kind, at: row.starts_at.toISOString(), doctor: input.doctor },
      }, m);
      return row.id;
    });
    const m = this.s.deps.db.manager;
    return this.staffView(m, (await m.query(`${SELECT} WHERE a.id = ?`, [id]))[0]);
  }

  /**
   * Staff confirm a requested appointment before it starts, naming its doctor when the client did
   * not (the doctor's hours and capacity are checked then). Confirming the appointment of an intent
   * letter moves the client to 'booked'; any other consultation to 'consulting' (both forward only).
   */
  confirm(actor: Actor, appointmentPublicId: string, input: { doctor?: string } = {}): Promise<StaffAppointmentView> {
    return this.staffChange(actor, appointmentPublicId, 'confirm', async (m, row) => {
      const now = this.s.now();
      const set: Record<string, unknown> = { status: 'confirmed', confirmed_by: actor.id, confirmed_at: now };
      if (input.doctor) {
        const doctor = await this.schedules.doctorFor(m, input.doctor, 'body.doctor');
        if (doctor.id !== Number(row.doctor_id)) {
          await this.schedules.reserve(m, doctor.id, row.starts_at, Number(row.duration_minutes), row.id, 'body.doctor');
          set.doctor_id = doctor.id;
        }
      }
      const version = await this.change(m, row, set);
      await this.event(m, { id: row.id, publicId: row.public_id }, 'confirmed', actor, { to: row.starts_at });
      await this.confirmed(m, row, actor, version);
      return input.doctor ? { doctor: input.doctor } : undefined;
    });
  }

  /** What confirming brings: the client's notice, the reminders, the journey stage. */
  private async confirmed(m: EntityManager, row: Row, actor: Actor, version: number): Promise<void> {
    await this.notify(m, row, version, 'appointment_confirmed', row.starts_at);
    await this.queueReminders(m, row, version, row.starts_at);
    const stage = row.letter_public_id ? 'booked' : row.kind === 'consultation' ? 'consulting' : null;
    if (stage) await this.s.deps.journey.moveTo(m, row.client_id, stage, actor, { reason: 'appointment' });
  }

  /**
   * Staff move an open appointment that has not started to another slot (and doctor); it keeps its
   * status. The reminders queued for the old time are withdrawn in the same transaction and, for a
   * confirmed one, queued anew for the new time.
   */
  move(actor: Actor, appointmentPublicId: string, input: { at: Date; reason?: string; doctor?: string }): Promise<StaffAppointmentView> {
    return this.staffChange(actor, appointmentPublicId, 'move', async (m, row) => {
      checkSlot(this.rules, input.at, Number(row.duration_minutes), this.s.now(), 'body.at');
      const doctorId = input.doctor ? (await this.schedules.doctorFor(m, input.doctor, 'body.doctor')).id : row.doctor_id === null ? null : Number(row.doctor_id);
      if (input.at.getTime() === row.starts_at.getTime() && doctorId === (row.doctor_id === null ? null : Number(row.doctor_id))) {
        throw validationError([{ field: 'body.at', message: 'the appointment is already at this time' }]);
      }
      if (doctorId !== null) await this.schedules.reserve(m, doctorId, input.at, Number(row.duration_minutes), row.id, 'body.at');
      const version = await this.change(m, row, { starts_at: input.at, doctor_id: doctorId });
      await this.event(m, { id: row.id, publicId: row.public_id }, 'moved', actor, { from: row.starts_at, to: input.at, reason: input.reason });
      await this.notify(m, row, version, 'appointment_moved', input.at);
      await this.withdrawReminders(m, row);
      if (row.status === 'confirmed') await this.queueReminders(m, row, version, input.at);
      return { from: row.starts_at.toISOString(), to: input.at.toISOString(), ...(input.doctor ? { doctor: input.doctor } : {}) };
    });
  }

  /** Staff cancel an open appointment that has not started; the client is told. */
  cancelByStaff(actor: Actor, appointmentPublicId: string, input: { reason?: string }): Promise<StaffAppointmentView> {
    return this.staffChange(actor, appointmentPublicId, 'cancel', async (m, row) => {
      const version = await this.change(m, row, { status: 'cancelled', cancelled_at: this.s.now() });
      await this.event(m, { id: row.id, publicId: row.public_id }, 'cancelled', actor, { from: row.starts_at, reason: input.reason });
      await this.notify(m, row, version, 'appointment_cancelled', row.starts_at);
      await this.withdrawReminders(m, row);
    });
  }

  /**
   * A confirmed appointment that has started took place. A procedure's completion records its
   * treatment (the order and project paid for; the appointment's doctor and time) in the same
   * transaction, which starts the follow-up plan; the appointment is the treatment's request id, so
   * the treatment is recorded once. Completing a completed appointment again (a double click)
   * answers it as it is.
   */
  complete(actor: Actor, appointmentPublicId: string, input: CompleteInput = {}): Promise<StaffAppointmentView> {
    return this.staffChange(actor, appointmentPublicId, 'complete', async (m, row) => {
      if (row.status === 'completed') return { replayed: true };
      let treatment: string | null = null;
      if (row.kind === 'procedure') {
        const missing = (['order', 'project'] as const).filter((f) => !input[f]);
        if (missing.length) throw validationError(missing.map((f) => ({ field: `body.${f}`, message: 'a procedure is completed with the order and project it treated' })));
        const [doctor] = row.doctor_id === null ? [] : await m.query('SELECT public_id FROM staff WHERE id = ?', [row.doctor_id]);
        treatment = (await this.s.deps.treatments.record(actor, {
          requestId: `appointment:${row.public_id}`, order: input.order!, project: input.project!, performedAt: row.starts_at,
          ...(doctor ? { doctor: doctor.public_id } : {}), ...(input.notes ? { notes: input.notes } : {}), ...(input.advice ? { advice: input.advice } : {}),
        }, m)).id;
      }
      await this.change(m, row, { status: 'completed', treatment_public_id: treatment });
      await this.event(m, { id: row.id, publicId: row.public_id }, 'completed', actor, {});
      await this.withdrawReminders(m, row);
      return treatment ? { treatment } : undefined;
    });
  }

  /** A confirmed appointment that has started, and the client did not come (counted in the appointment report). */
  noShow(actor: Actor, appointmentPublicId: string): Promise<StaffAppointmentView> {
    return this.staffChange(actor, appointmentPublicId, 'no_show', async (m, row) => {
      await this.change(m, row, { status: 'no_show' });
      await this.event(m, { id: row.id, publicId: row.public_id }, 'no_show', actor, {});
      await this.withdrawReminders(m, row);
    });
  }

  // ---------------------------------------------------------------- reminders

  /**
   * Queues the reminders of a confirmed appointment at `at` (reminderTimes: the day before and
   * hours before, out of the quiet hours). Keyed by the appointment's version, so a moved
   * appointment gets reminders of its own while the old ones, withdrawn, never go.
   */
  private async queueReminders(m: EntityManager, row: Row, version: number, at: Date): Promise<void> {
    const what = APPOINTMENT_LABEL[row.kind] ?? '预约';
    const time = shanghaiMinute(at).slice(11);
    for (const r of reminderTimes(at, this.s.now(), this.rules.reminders, this.s.deps.config.delivery.quietHours)) {
      const [title, text] = r.kind === 'day_before'
        ? [`${what}预约提醒`, `提醒：您明天 ${time} 有${what}预约，请准时到院；如需改期请联系您的顾问。`]
        : [`${what}即将开始`, `提醒：您今天 ${time} 的${what}预约即将开始，请准时到院。`];
      await this.s.notifyClient(m, row.client_id, `${REMINDER_KEY(row.public_id)}${version}:${r.kind}`, {
        event: `appointment_reminder_${r.kind}`, title, text, page: 'appointments', purpose: 'reminder', dueAt: r.dueAt,
        refs: { appointmentId: row.public_id, kind: row.kind, at: at.toISOString(), durationMinutes: Number(row.duration_minutes) },
      });
    }
  }

  /** Withdraws the appointment's reminders not yet sent (it moved, was cancelled or is over). */
  private async withdrawReminders(m: EntityManager, row: Row): Promise<number> {
    return this.s.deps.outbox.cancelPending(m, row.client_id, REMINDER_KEY(row.public_id));
  }

  /** A view of an appointment by internal id, for the plan service's intent letter. */
  async viewOf(m: EntityManager, by: { id: number }): Promise<AppointmentView> {
    const [row]: Row[] = await m.query(`${SELECT} WHERE a.id = ?`, [by.id]);
    return this.view(row);
  }

  // ---------------------------------------------------------------- the client's rights over the archive (PIPL)

  /** The client's appointments for their export, oldest first. */
  async exportFor(m: EntityManager, clientId: number): Promise<AppointmentView[]> {
    const rows: Row[] = await m.query(`${SELECT} WHERE a.client_id = ? ORDER BY a.id`, [clientId]);
    return rows.map((r) => this.view(r));
  }

  /**
   * The account is deleted: notes go, open appointments are cancelled (nobody is left to tell),
   * the rows stay as the clinic's schedule history without personal content.
   */
  async eraseFor(m: EntityManager, clientId: number, actor: Actor): Promise<void> {
    const now = this.s.now();
    const open: { id: number; public_id: string }[] = await m.query(
      "SELECT id, public_id FROM appointments WHERE client_id = ? AND status IN ('requested', 'confirmed') FOR UPDATE", [clientId],
    );
    // Reasons staff typed (a move, a cancellation) may quote the client: erased with the notes.
    await m.query('UPDATE appointment_events e JOIN appointments a ON a.id = e.appointment_id SET e.reason_enc = NULL WHERE a.client_id = ?', [clientId]);
    for (const a of open) {
      await m.query("UPDATE appointments SET status = 'cancelled', cancelled_at = ?, version = version + 1, updated_at = ? WHERE id = ?", [now, now, a.id]);
      await this.event(m, { id: a.id, publicId: a.public_id }, 'cancelled', actor, { reason: 'account_deleted' });
    }
    await m.query('UPDATE appointments SET note_enc = NULL WHERE client_id = ?', [clientId]);
  }

  // ---------------------------------------------------------------- internals

  /** Locks the appointment, checks access and state, runs `work` (which may add audit details), audits; all in one transaction. */
  private async staffChange(
    actor: Actor, appointmentPublicId: string, action: StaffAction, work: (m: EntityManager, row: Row) => Promise<Record<string, unknown> | void>,
  ): Promise<StaffAppointmentView> {
    const id = await this.s.tx(async (m) => {
      const row = await this.lock(m, appointmentPublicId);
      await this.s.clientForStaff(actor, m, { id: row.client_id }, `appointment.${action}`, 'Appointment');
      this.allow(row, action);
      const details = await work(m, row);
      await this.s.deps.audit.record(actor, `appointment.${action}`, {
        clientId: row.client_id, details: { appointment: row.public_id, status: row.status, ...details },
      }, m);
      return row.id;
    });
    const m = this.s.deps.db.manager;
    return this.staffView(m, (await m.query(`${SELECT} WHERE a.id = ?`, [id]))[0]);
  }

  /** The state machine: which action an appointment allows in its status, and before or after its start. */
  private allow(row: Row, action: StaffAction): void {
    const started = row.starts_at.getTime() <= this.s.now().getTime();
    const ok =
      action === 'confirm' ? row.status === 'requested' && !started
      : action === 'move' || action === 'cancel' ? OPEN.includes(row.status) && !started
      : action === 'complete' ? (row.status === 'confirmed' || row.status === 'completed') && started
      : row.status === 'confirmed' && started; // no_show
    if (!ok) {
      throw new AppError(ConsultationErrors.APPOINTMENT_STATE_INVALID, `This appointment cannot be ${PAST[action]} now`, {
        status: row.status, started, action,
      });
    }
  }

  private async lock(m: EntityManager, appointmentPublicId: string, clientId?: number): Promise<Row> {
    const rows: Row[] = await m.query(
      `SELECT a.*, NULL AS letter_public_id FROM appointments a WHERE a.public_id = ?${clientId === undefined ? '' : ' AND a.client_id = ?'} FOR UPDATE`,
      clientId === undefined ? [appointmentPublicId] : [appointmentPublicId, clientId],
    );
    if (!rows[0]) throw notFound('Appointment');
    // The letter is read apart: a locking join would lock the letter row too.
    const [letter] = await m.query('SELECT public_id FROM intent_letters WHERE appointment_id = ?', [rows[0].id]);
    return { ...rows[0], letter_public_id: letter?.public_id ?? null };
  }

  private async rowFor(m: EntityManager, appointmentPublicId: string): Promise<Row> {
    const [row]: Row[] = await m.query(`${SELECT} WHERE a.public_id = ?`, [appointmentPublicId]);
    if (!row) throw notFound('Appointment');
    return row;
  }

  /** Applies a change and bumps the version; returns the new version. */
  private async change(m: EntityManager, row: Row, set: Record<string, unknown>): Promise<number> {
    const cols = Object.keys(set);
    await m.query(
      `UPDATE appointments SET ${cols.map((c) => `${c} = ?`).join(', ')}, version = version + 1, updated_at = ? WHERE id = ?`,
      [...Object.values(set), this.s.now(), row.id],
    );
    return Number(row.version) + 1;
  }

  private async event(
    m: EntityManager, appt: { id: number; publicId: string }, action: string, actor: Actor, e: { from?: Date; to?: Date; reason?: string },
  ): Promise<void> {
    const reason = e.reason ? this.s.seal(e.reason, aad.eventReason(appt.publicId)) : null;
    await m.query(
      `INSERT INTO appointment_events (appointment_id, action, from_starts_at, to_starts_at, actor_type, actor_id, reason_enc, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [appt.id, action, e.from ?? null, e.to ?? null, actor.type, actor.id, reason, this.s.now()],
    );
  }

  /** The client's notice of a staff change, once per appointment version. */
  private async notify(m: EntityManager, row: Row, version: number, event: AppointmentNotice, at: Date): Promise<void> {
    const what = APPOINTMENT_LABEL[row.kind] ?? '预约';
    const when = shanghaiMinute(at);
    const [title, text] = {
      appointment_confirmed: [`${what}预约已确认`, `您 ${when} 的${what}预约已确认，期待您的到来。`],
      appointment_moved: [`${what}时间已调整`, `您的${what}预约已改到 ${when}，如有不便请联系您的顾问。`],
      appointment_cancelled: [`${what}预约已取消`, `您 ${when} 的${what}预约已由医院取消，您的顾问会与您联系。`],
    }[event];
    await this.s.notifyClient(m, row.client_id, `appointment:${row.public_id}:${version}`, {
      event, title, text, page: 'appointments',
      refs: { appointmentId: row.public_id, kind: row.kind, at: at.toISOString(), durationMinutes: Number(row.duration_minutes) },
    });
  }

  private view(r: Row): AppointmentView {
    return {
      id: r.public_id,
      kind: r.kind,
      status: r.status,
      at: r.starts_at,
      durationMinutes: Number(r.duration_minutes),
      doctor: r.doctor_public_id ? { id: r.doctor_public_id, name: r.doctor_name ?? '' } : null,
      note: this.s.open<string>(r.note_enc, aad.appointmentNote(r.public_id), { appointmentId: r.id }),
      treatmentId: r.treatment_public_id ?? null,
      letterId: r.letter_public_id ?? null,
      confirmedAt: r.confirmed_at,
      cancelledAt: r.cancelled_at,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  private async staffView(m: EntityManager, row: Row, withEvents = false): Promise<StaffAppointmentView> {
    const [client] = await m.query('SELECT public_id, name_enc FROM clients WHERE id = ?', [row.client_id]);
    const staff = await this.s.staffRefs(m, [row.confirmed_by]);
    const view: StaffAppointmentView = {
      ...this.view(row),
      client: { id: client.public_id, name: this.s.clientName(client.public_id, client.name_enc) },
      confirmedBy: row.confirmed_by === null ? null : staff.get(Number(row.confirmed_by)) ?? null,
    };
    if (withEvents) {
      const events: any[] = await m.query(
        'SELECT action, from_starts_at, to_starts_at, actor_type, reason_enc, at FROM appointment_events WHERE appointment_id = ? ORDER BY id', [row.id],
      );
      view.events = events.map((e) => ({
        action: e.action, from: e.from_starts_at, to: e.to_starts_at, actorType: e.actor_type,
        reason: this.s.open<string>(e.reason_enc, aad.eventReason(row.public_id), { appointmentId: row.id }), at: e.at,
      }));
    }
    return view;
  }
}

const PAST: Record<StaffAction, string> = {
  confirm: 'confirmed', move: 'moved', cancel: 'cancelled', complete: 'completed', no_show: 'marked as a no-show',
};
