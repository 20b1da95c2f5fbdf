import { SHANGHAI_OFFSET_MS, shanghaiDate } from '../../shared/clock';
import type { ScheduleKind } from './community.entity';

const DAY_MS = 86400_000;
const WEEK_MS = 7 * DAY_MS;

export interface PostSchedule {
  scheduleKind: ScheduleKind;
  sendAt: Date | null;
  /** ISO weekday, 1 = Monday … 7 = Sunday (Asia/Shanghai). */
  weekday: number | null;
  /** HH:mm, Asia/Shanghai. */
  timeOfDay: string | null;
}

/** One time a post goes out: the instant and its Shanghai calendar date (the occurrence's key). */
export interface Occurrence {
  date: string;
  at: Date;
}

/** The weekly slot of the Shanghai week containing `now`'s day, at or before `now` — or the one a week earlier. */
function weeklyAtOrBefore(weekday: number, timeOfDay: string, now: Date): Date {
  const [h, m] = timeOfDay.split(':').map(Number);
  const local = new Date(now.getTime() + SHANGHAI_OFFSET_MS);
  const isoToday = local.getUTCDay() || 7;
  const back = (isoToday - weekday + 7) % 7;
  const slotLocal = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() - back, h, m);
  const at = slotLocal - SHANGHAI_OFFSET_MS;
  return new Date(at > now.getTime() ? at - WEEK_MS : at);
}

/** The newest occurrence at or before `now`, or null when the post has none yet. */
export function latestOccurrence(s: PostSchedule, now: Date): Occurrence | null {
  if (s.scheduleKind === 'once') {
    if (!s.sendAt || s.sendAt.getTime() > now.getTime()) return null;
    return { date: shanghaiDate(s.sendAt), at: s.sendAt };
  }
  if (!s.weekday || !s.timeOfDay) return null;
  const at = weeklyAtOrBefore(s.weekday, s.timeOfDay, now);
  return { date: shanghaiDate(at), at };
}

/** The next occurrence after `now` (for staff views), or null for a one-time post already past. */
export function nextOccurrence(s: PostSchedule, now: Date): Occurrence | null {
  if (s.scheduleKind === 'once') {
    if (!s.sendAt || s.sendAt.getTime() <= now.getTime()) return null;
    return { date: shanghaiDate(s.sendAt), at: s.sendAt };
  }
  if (!s.weekday || !s.timeOfDay) return null;
  const at = new Date(weeklyAtOrBefore(s.weekday, s.timeOfDay, now).getTime() + WEEK_MS);
  return { date: shanghaiDate(at), at };
}

/**
 * The occurrence the scheduler should queue now, if any: the newest one at or before `now`, not yet
 * queued (its date is after `lastOccurrence`), and at most `graceMs` old — a slot missed while the
 * scheduler was down is skipped rather than announced late.
 */
export function dueOccurrence(s: PostSchedule, lastOccurrence: string | null, now: Date, graceMs: number): Occurrence | null {
  const occ = latestOccurrence(s, now);
  if (!occ) return null;
  if (lastOccurrence !== null && occ.date <= lastOccurrence) return null;
  if (now.getTime() - occ.at.getTime() > graceMs) return null;
  return occ;
}
