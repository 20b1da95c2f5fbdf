import type { EntityManager } from 'typeorm';
import { SHANGHAI_OFFSET_MS, shanghaiDate } from '../../shared/clock';
import { AppError, notFound, validationError } from '../../shared/errors';
import type { Actor } from '../audit';
import type { AppointmentKind, HoursRange, WeekdayHours } from './consultations.entity';
import { ConsultationErrors } from './consultations.errors';
import { clinicHoursContain, durationOf, minutesOf } from './consultations.hours';
import type { StaffRef, Support } from './consultations.shared';

const DAY_MS = 86400_000;
const MINUTE_MS = 60_000;
// No appointment is longer than this (config caps every duration at 720 minutes): how far back an overlapping one can start.
const LONGEST_MS = 720 * MINUTE_MS;
export const OPEN_STATUSES = "('requested', 'confirmed')";

export interface DoctorScheduleView {
  doctor: StaffRef;
  /** Clients one slot of this doctor takes at once; null while the doctor has no schedule. */
  slotCapacity: number | null;
  week: WeekdayHours[];
  /** Dates from today on with other hours (an empty list: a day off). */
  exceptions: { date: string; hours: HoursRange[] }[];
}

export interface SlotView {
  at: Date;
  doctors: { id: string; name: string; capacity: number; booked: number; free: number }[];
}

interface Doctor { id: number; public_id: string; display_name: string }
interface Schedule { slotCapacity: number; week: WeekdayHours[]; exceptions: Map<string, HoursRange[]> }

/**
 * Doctors' working hours and slot capacity (医师排班): the director sets each doctor's week, a
 * per-slot capacity and dated exceptions; a booking with a doctor must lie wholly inside one of the
 * doctor's ranges that day, and no slot it covers may hold more open appointments than the capacity.
 * The doctor's schedule row is locked while a booking is checked and written, so two requests for
 * the last place in a slot cannot both get it, from any number of processes.
 */
export class DoctorSchedules {
  constructor(private readonly s: Support) {}

  private get rules() {
    return this.s.deps.config.appointments;
  }

  /** Every active doctor with their schedule (exceptions from today on). */
  async list(): Promise<DoctorScheduleView[]> {
    const m = this.s.deps.db.manager;
    const doctors: (Doctor & { slot_capacity: number | null; week: unknown })[] = await m.query(
      `SELECT s.id, s.public_id, s.display_name, d.slot_capacity, d.week FROM staff s LEFT JOIN doctor_schedules d ON d.doctor_id = s.id
        WHERE s.role = 'doctor' AND s.active = 1 ORDER BY s.display_name, s.id`,
    );
    const exceptions = await this.exceptionsFrom(m, doctors.map((d) => Number(d.id)), shanghaiDate(this.s.now()));
    return doctors.map((d) => ({
      doctor: { id: d.public_id, name: d.display_name },
      slotCapacity: d.slot_capacity === null ? null : Number(d.slot_capacity),
      week: d.week === null ? [] : json<WeekdayHours[]>(d.week),
      exceptions: [...(exceptions.get(Number(d.id)) ?? new Map()).entries()].map(([date, hours]) => ({ date, hours })),
    }));
  }

  /** The director sets a doctor's week and slot capacity (audited). */
  async setWeek(actor: Actor, doctorPublicId: string, input: { slotCapacity: number; week: WeekdayHours[] }): Promise<DoctorScheduleView> {
    checkRanges(input.week, 'body.week');
    await this.s.tx(async (m) => {
      const doctor = await this.doctor(m, doctorPublicId);
      await m.query(
        `INSERT INTO doctor_schedules (doctor_id, slot_capacity, week, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
         ON DUPLICATE KEY UPDATE slot_capacity = VALUES(slot_capacity), week = VALUES(week), updated_by = VALUES(updated_by), updated_at = VALUES(updated_at)`,
        [doctor.id, input.slotCapacity, JSON.stringify(sortWeek(input.week)), actor.id, this.s.now()],
      );
      await this.s.deps.audit.record(actor, 'doctor_schedule.set', { details: { doctor: doctor.public_id, slotCapacity: input.slotCapacity, ranges: input.week.length } }, m);
    });
    return this.viewOf(doctorPublicId);
  }

  /** The director gives a doctor other hours on one date; an empty list is a day off (audited). */
  async setException(actor: Actor, doctorPublicId: string, date: string, hours: HoursRange[]): Promise<DoctorScheduleView> {
    checkRanges(hours.map((h) => ({ ...h, weekday: 1 })), 'body.hours');
    await this.s.tx(async (m) => {
      const doctor = await this.doctor(m, doctorPublicId);
      await m.query(
        `INSERT INTO doctor_schedule_exceptions (doctor_id, date, hours, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
         ON DUPLICATE KEY UPDATE hours = VALUES(hours), updated_by = VALUES(updated_by), updated_at = VALUES(updated_at)`,
        [doctor.id, date, JSON.stringify(hours), actor.id, this.s.now()],
      );
      await this.s.deps.audit.record(actor, 'doctor_schedule.exception', { details: { doctor: doctor.public_id, date, ranges: hours.length } }, m);
    });
    return this.viewOf(doctorPublicId);
  }

  /** The director removes a date's exception: the week applies again (audited). */
  async clearException(actor: Actor, doctorPublicId: string, date: string): Promise<DoctorScheduleView> {
    await this.s.tx(async (m) => {
      const doctor = await this.doctor(m, doctorPublicId);
      await m.query('DELETE FROM doctor_schedule_exceptions WHERE doctor_id = ? AND date = ?', [doctor.id, date]);
      await this.s.deps.audit.record(actor, 'doctor_schedule.exception_cleared', { details: { doctor: doctor.public_id, date } }, m);
    });
    return this.viewOf(doctorPublicId);
  }

  /**
   * The slots of one Shanghai date a booking of this kind could take, with each doctor's capacity
   * and places left: only slots not yet started, inside the clinic's opening hours and wholly inside
   * a doctor's hours. `doctorPublicId` narrows to one doctor.
   */
  async slots(q: { date: string; kind: AppointmentKind; doctor?: string }): Promise<{ date: string; kind: AppointmentKind; durationMinutes: number; slots: SlotView[] }> {
    const m = this.s.deps.db.manager;
    const duration = durationOf(this.rules, q.kind);
    const doctors: (Doctor & { slot_capacity: number; week: unknown })[] = await m.query(
      `SELECT s.id, s.public_id, s.display_name, d.slot_capacity, d.week FROM staff s JOIN doctor_schedules d ON d.doctor_id = s.id
        WHERE s.role = 'doctor' AND s.active = 1 ${q.doctor ? 'AND s.public_id = ?' : ''} ORDER BY s.display_name, s.id`,
      q.doctor ? [q.doctor] : [],
    );
    if (q.doctor && !doctors.length) throw notFound('Doctor');
    const dayStart = Date.parse(`${q.date}T00:00:00Z`) - SHANGHAI_OFFSET_MS;
    const exceptions = await this.exceptionsFrom(m, doctors.map((d) => Number(d.id)), q.date, q.date);
    const now = this.s.now().getTime();
    const bySlot = new Map<number, SlotView>();
    for (const d of doctors) {
      const schedule: Schedule = { slotCapacity: Number(d.slot_capacity), week: json(d.week), exceptions: exceptions.get(Number(d.id)) ?? new Map() };
      const booked = await this.bookedMinutes(m, Number(d.id), new Date(dayStart), new Date(dayStart + DAY_MS), null);
      for (const range of hoursOn(schedule, q.date)) {
        const step = this.rules.slotMinutes;
        // Slots keep to the clinic's grid even where a doctor's range starts between two of them.
        for (let start = Math.ceil(range.from / step) * step; start + duration <= range.until; start += step) {
          const at = dayStart + start * MINUTE_MS;
          if (at <= now || at > now + this.rules.maxDaysAhead * DAY_MS || !clinicHoursContain(this.rules, start, duration)) continue;
          const taken = peak(booked, at, duration * MINUTE_MS, this.rules.slotMinutes * MINUTE_MS);
          const slot = bySlot.get(at) ?? { at: new Date(at), doctors: [] };
          slot.doctors.push({ id: d.public_id, name: d.display_name, capacity: schedule.slotCapacity, booked: taken, free: Math.max(0, schedule.slotCapacity - taken) });
          bySlot.set(at, slot);
        }
      }
    }
    return { date: q.date, kind: q.kind, durationMinutes: duration, slots: [...bySlot.values()].sort((a, b) => a.at.getTime() - b.at.getTime()) };
  }

  /**
   * Inside the caller's transaction: locks the doctor's schedule and checks that an appointment of
   * `durationMinutes` at `at` lies inside the doctor's hours and finds a free place in every slot it
   * covers (`excludeId`: the appointment being moved does not count against itself). The lock is
   * held until the caller commits the row it writes.
   */
  async reserve(m: EntityManager, doctorId: number, at: Date, durationMinutes: number, excludeId: number | null, field: string): Promise<void> {
    const [row]: { slot_capacity: number; week: unknown }[] = await m.query('SELECT slot_capacity, week FROM doctor_schedules WHERE doctor_id = ? FOR UPDATE', [doctorId]);
    if (!row) throw new AppError(ConsultationErrors.APPOINTMENT_DOCTOR_UNAVAILABLE, 'The doctor has no working hours', { field });
    const date = shanghaiDate(at);
    const exceptions = await this.exceptionsFrom(m, [doctorId], date, date);
    const schedule: Schedule = { slotCapacity: Number(row.slot_capacity), week: json(row.week), exceptions: exceptions.get(doctorId) ?? new Map() };
    const start = Math.round((at.getTime() - (Date.parse(`${date}T00:00:00Z`) - SHANGHAI_OFFSET_MS)) / MINUTE_MS);
    const ranges = hoursOn(schedule, date);
    if (!ranges.some((r) => start >= r.from && start + durationMinutes <= r.until)) {
      throw new AppError(ConsultationErrors.APPOINTMENT_DOCTOR_UNAVAILABLE, 'The doctor does not work at this time', {
        field, date, hours: ranges.map((r) => ({ from: hhmm(r.from), until: hhmm(r.until) })), timezone: 'Asia/Shanghai',
      });
    }
    const booked = await this.bookedMinutes(m, doctorId, at, new Date(at.getTime() + durationMinutes * MINUTE_MS), excludeId);
    const taken = peak(booked, at.getTime(), durationMinutes * MINUTE_MS, this.rules.slotMinutes * MINUTE_MS);
    if (taken >= schedule.slotCapacity) {
      throw new AppError(ConsultationErrors.APPOINTMENT_SLOT_FULL, 'This slot of the doctor is fully booked', { field, capacity: schedule.slotCapacity });
    }
  }

  /** An active doctor by public id, for a booking; 400 naming `field` otherwise. */
  async doctorFor(m: EntityManager, doctorPublicId: string, field: string): Promise<Doctor> {
    const d = await findDoctor(m, doctorPublicId);
    if (!d) throw new AppError(ConsultationErrors.APPOINTMENT_DOCTOR_INVALID, 'No active doctor with this id', { field });
    return d;
  }

  /** The doctor a schedule route names (404 otherwise). */
  private async doctor(m: EntityManager, doctorPublicId: string): Promise<Doctor> {
    const d = await findDoctor(m, doctorPublicId);
    if (!d) throw notFound('Doctor');
    return d;
  }

  private async viewOf(doctorPublicId: string): Promise<DoctorScheduleView> {
    return (await this.list()).find((d) => d.doctor.id === doctorPublicId)!;
  }

  /** Open appointments of a doctor overlapping [from, until), as [start, end) in ms. */
  private async bookedMinutes(m: EntityManager, doctorId: number, from: Date, until: Date, excludeId: number | null): Promise<[number, number][]> {
    const rows: { starts_at: Date; duration_minutes: number }[] = await m.query(
      `SELECT starts_at, duration_minutes FROM appointments
        WHERE doctor_id = ? AND status IN ${OPEN_STATUSES} AND starts_at < ? AND starts_at > ? AND id <> ?`,
      [doctorId, until, new Date(from.getTime() - LONGEST_MS), excludeId ?? 0],
    );
    return rows
      .map((r): [number, number] => [r.starts_at.getTime(), r.starts_at.getTime() + Number(r.duration_minutes) * MINUTE_MS])
      .filter(([, end]) => end > from.getTime());
  }

  private async exceptionsFrom(m: EntityManager, doctorIds: number[], from: string, to?: string): Promise<Map<number, Map<string, HoursRange[]>>> {
    const out = new Map<number, Map<string, HoursRange[]>>();
    if (!doctorIds.length) return out;
    const rows: { doctor_id: number; date: string; hours: unknown }[] = await m.query(
      `SELECT doctor_id, DATE_FORMAT(date, '%Y-%m-%d') AS date, hours FROM doctor_schedule_exceptions
        WHERE doctor_id IN (${doctorIds.map(() => '?').join(',')}) AND date >= ? ${to ? 'AND date <= ?' : ''} ORDER BY date`,
      [...doctorIds, from, ...(to ? [to] : [])],
    );
    for (const r of rows) {
      const id = Number(r.doctor_id);
      out.set(id, (out.get(id) ?? new Map()).set(r.date, json<HoursRange[]>(r.hours)));
    }
    return out;
  }
}

async function findDoctor(m: EntityManager, doctorPublicId: string): Promise<Doctor | null> {
  const [d]: Doctor[] = await m.query("SELECT id, public_id, display_name FROM staff WHERE public_id = ? AND role = 'doctor' AND active = 1", [doctorPublicId]);
  return d ? { ...d, id: Number(d.id) } : null;
}

/** The doctor's ranges on a Shanghai date, in minutes after midnight: the date's exception, else its weekday's. */
function hoursOn(schedule: Schedule, date: string): { from: number; until: number }[] {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay() || 7;
  const ranges = schedule.exceptions.get(date) ?? schedule.week.filter((w) => w.weekday === weekday);
  return ranges.map((r) => ({ from: minutesOf(r.from), until: minutesOf(r.until) }));
}

/** The most appointments in any one slot of [start, start + length): each slot is counted apart. */
function peak(booked: [number, number][], start: number, length: number, slotMs: number): number {
  let most = 0;
  for (let s = start; s < start + length; s += slotMs) {
    most = Math.max(most, booked.filter(([from, until]) => from < s + slotMs && until > s).length);
  }
  return most;
}

/** Ranges must run forwards and not overlap on one weekday. */
function checkRanges(ranges: WeekdayHours[], field: string): void {
  const sorted = sortWeek(ranges);
  sorted.forEach((r, i) => {
    const at = `${field}[${ranges.indexOf(r)}]`;
    if (minutesOf(r.from) >= minutesOf(r.until)) throw validationError([{ field: at, message: 'from must be before until' }]);
    const prev = sorted[i - 1];
    if (prev && prev.weekday === r.weekday && minutesOf(r.from) < minutesOf(prev.until)) {
      throw validationError([{ field: at, message: 'ranges of one day must not overlap' }]);
    }
  });
}

function sortWeek(week: WeekdayHours[]): WeekdayHours[] {
  return [...week].sort((a, b) => a.weekday - b.weekday || minutesOf(a.from) - minutesOf(b.from));
}

const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
