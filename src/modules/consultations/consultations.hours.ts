import type { Config } from '../../config';
import { AppError } from '../../shared/errors';
import { ConsultationErrors } from './consultations.errors';
import type { AppointmentKind } from './consultations.entity';
import { SHANGHAI_OFFSET_MS } from '../../shared/clock';

const DAY_MS = 86400_000;

export type AppointmentRules = Config['appointments'];

/** "09:30" → 570 (minutes after midnight). */
export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

/** Length of an appointment of this kind (configured). */
export function durationOf(rules: AppointmentRules, kind: AppointmentKind): number {
  return rules.durationMinutes[kind];
}

/**
 * Refuses a slot the clinic cannot take, with the request field it came from: in the past, too far
 * ahead, not on a slot boundary, or not wholly inside the opening hours (Asia/Shanghai).
 */
export function checkSlot(rules: AppointmentRules, at: Date, durationMinutes: number, now: Date, field: string): void {
  if (at.getTime() <= now.getTime()) {
    throw new AppError(ConsultationErrors.APPOINTMENT_IN_PAST, 'The appointment time has already passed', { field });
  }
  if (at.getTime() > now.getTime() + rules.maxDaysAhead * DAY_MS) {
    throw new AppError(ConsultationErrors.APPOINTMENT_TOO_FAR_AHEAD, `Appointments can be made up to ${rules.maxDaysAhead} days ahead`, {
      field, maxDaysAhead: rules.maxDaysAhead,
    });
  }
  const local = new Date(at.getTime() + SHANGHAI_OFFSET_MS);
  const start = local.getUTCHours() * 60 + local.getUTCMinutes();
  if (local.getUTCSeconds() !== 0 || local.getUTCMilliseconds() !== 0 || start % rules.slotMinutes !== 0) {
    throw new AppError(ConsultationErrors.APPOINTMENT_NOT_ON_SLOT, `Appointments start every ${rules.slotMinutes} minutes`, {
      field, slotMinutes: rules.slotMinutes,
    });
  }
  if (!clinicHoursContain(rules, start, durationMinutes)) {
    throw new AppError(ConsultationErrors.APPOINTMENT_OUTSIDE_HOURS, `The clinic takes appointments from ${rules.openFrom} to ${rules.openUntil} (Beijing time)`, {
      field, openFrom: rules.openFrom, openUntil: rules.openUntil, durationMinutes, timezone: 'Asia/Shanghai',
    });
  }
}

/** Whether an appointment starting `start` minutes after midnight (Shanghai) lies wholly inside the opening hours. */
export function clinicHoursContain(rules: AppointmentRules, start: number, durationMinutes: number): boolean {
  return start >= minutesOf(rules.openFrom) && start + durationMinutes <= minutesOf(rules.openUntil);
}
