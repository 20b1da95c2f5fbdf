/**
 * The booking grid on the hospital's calendar (Asia/Shanghai, UTC+8 all year): the days a client
 * can pick and the start times of each day, as instants with their +08:00 offset (what the API takes).
 */
import { BOOKING } from '../../services/appointments';

const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 86400_000;
const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六'];

export interface Day {
  date: string;
  /** 今天 / 明天 / 3月9日 */
  label: string;
  /** 周一 */
  week: string;
}

export interface Slot {
  time: string;
  disabled: boolean;
}

const minutes = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
};
const hhmm = (mins: number) => `${String(Math.floor(mins / 60)).padStart(2, '0')}:${String(mins % 60).padStart(2, '0')}`;

/** YYYY-MM-DD on the hospital's calendar, `days` after the day of `now`. */
export function shanghaiDate(now: number, days = 0): string {
  return new Date(now + SHANGHAI_OFFSET_MS + days * DAY_MS).toISOString().slice(0, 10);
}

/** The instant of a day and start time, e.g. 2026-06-02T10:00:00+08:00. */
export function instantOf(date: string, time: string): string {
  return `${date}T${time}:00+08:00`;
}

export function dayOf(date: string, now: number = Date.now()): Day {
  const d = new Date(`${date}T00:00:00Z`);
  const today = shanghaiDate(now);
  const diff = Math.round((d.getTime() - new Date(`${today}T00:00:00Z`).getTime()) / DAY_MS);
  const label = diff === 0 ? '今天' : diff === 1 ? '明天' : diff === 2 ? '后天' : `${d.getUTCMonth() + 1}月${d.getUTCDate()}日`;
  return { date, label, week: `周${WEEKDAYS[d.getUTCDay()]}` };
}

/** Start times of a day for an appointment of `duration` minutes; past ones (today) are disabled. */
export function slotsOf(date: string, durationMinutes: number, now: number = Date.now()): Slot[] {
  const out: Slot[] = [];
  const last = minutes(BOOKING.openUntil) - durationMinutes;
  for (let m = minutes(BOOKING.openFrom); m <= last; m += BOOKING.slotMinutes) {
    const time = hhmm(m);
    out.push({ time, disabled: new Date(instantOf(date, time)).getTime() <= now });
  }
  return out;
}

/** The next `count` days with a free start time left, from today. */
export function bookableDays(durationMinutes: number, count: number, now: number = Date.now()): Day[] {
  const out: Day[] = [];
  for (let i = 0; out.length < count && i < BOOKING.maxDaysAhead; i++) {
    const date = shanghaiDate(now, i);
    if (slotsOf(date, durationMinutes, now).some((s) => !s.disabled)) out.push(dayOf(date, now));
  }
  return out;
}

/** 3月9日 周一 10:00 */
export function slotLabel(date: string, time: string, now: number = Date.now()): string {
  const d = dayOf(date, now);
  return `${d.label} ${d.week} ${time}`;
}

const SLOT_CODES = [
  'APPOINTMENT_IN_PAST', 'APPOINTMENT_OUTSIDE_HOURS', 'APPOINTMENT_NOT_ON_SLOT', 'APPOINTMENT_TOO_FAR_AHEAD', 'APPOINTMENT_SLOT_FULL', 'APPOINTMENT_DOCTOR_UNAVAILABLE',
];

/** The message under the slot picker for the API's slot errors (with the hours the API gave), or '' for other errors. */
export function slotErrorText(e: { code: string; details?: unknown; friendly: string }): string {
  if (!SLOT_CODES.includes(e.code)) return '';
  const d = (e.details ?? {}) as { openFrom?: string; openUntil?: string; maxDaysAhead?: number };
  if (e.code === 'APPOINTMENT_OUTSIDE_HOURS' && d.openFrom && d.openUntil) return `门诊时间为 ${d.openFrom}–${d.openUntil}（北京时间），请换一个时间`;
  if (e.code === 'APPOINTMENT_TOO_FAR_AHEAD' && d.maxDaysAhead) return `暂时只能预约 ${d.maxDaysAhead} 天内的时间`;
  return e.friendly;
}
