import type { Config } from '../../config';
import { SHANGHAI_OFFSET_MS, shanghaiDate } from '../../shared/clock';
import { quietUntil } from '../delivery';
import { minutesOf } from './consultations.hours';

const MINUTE_MS = 60_000;
const HOUR_MS = 3600_000;
const DAY_MS = 86400_000;

export type ReminderKind = 'day_before' | 'hours_before';
export type ReminderRules = Config['appointments']['reminders'];
export type QuietHours = Config['delivery']['quietHours'];

/**
 * When the reminders of an appointment starting at `startsAt` go out (DOMAIN.md: the day before
 * and two hours before), decided at `now`:
 * - the day before at `dayBeforeAt` on the Shanghai clock; `hoursBefore` hours before the start;
 * - a time inside the quiet hours moves earlier, to `quietMarginMinutes` before they begin (held
 *   until they end it would reach the client at or after the start); a moved hours-before reminder
 *   is dropped when the day-before one goes, which that same evening says the same;
 * - a time not after `now` is dropped (a late booking: the confirmation has just told the client).
 */
export function reminderTimes(startsAt: Date, now: Date, rules: ReminderRules, quiet: QuietHours): { kind: ReminderKind; dueAt: Date }[] {
  const dayBefore = outOfQuiet(dayBeforeAt(startsAt, rules.dayBeforeAt), quiet, rules.quietMarginMinutes);
  const hoursBefore = outOfQuiet(new Date(startsAt.getTime() - rules.hoursBefore * HOUR_MS), quiet, rules.quietMarginMinutes);
  const out: { kind: ReminderKind; dueAt: Date }[] = [];
  const dayBeforeGoes = dayBefore.at.getTime() > now.getTime();
  if (dayBeforeGoes) out.push({ kind: 'day_before', dueAt: dayBefore.at });
  if (hoursBefore.at.getTime() > now.getTime() && !(hoursBefore.moved && dayBeforeGoes)) out.push({ kind: 'hours_before', dueAt: hoursBefore.at });
  return out;
}

/** `hhmm` on the Shanghai calendar day before the appointment's day. */
function dayBeforeAt(startsAt: Date, hhmm: string): Date {
  const dayStart = Date.parse(`${shanghaiDate(startsAt)}T00:00:00Z`) - SHANGHAI_OFFSET_MS;
  return new Date(dayStart - DAY_MS + minutesOf(hhmm) * MINUTE_MS);
}

/** `at`, or when it lies in the quiet hours, `marginMinutes` before those quiet hours began. */
function outOfQuiet(at: Date, quiet: QuietHours, marginMinutes: number): { at: Date; moved: boolean } {
  const until = quietUntil(quiet, at);
  if (!until || !quiet) return { at, moved: false };
  const length = ((quiet.endMinute - quiet.startMinute + 1440) % 1440) * MINUTE_MS;
  return { at: new Date(until.getTime() - length - marginMinutes * MINUTE_MS), moved: true };
}
