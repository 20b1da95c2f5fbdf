/** Time is injected so that every time rule is testable without sleeping (DESIGN.md). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to; for tests and benchmarks. */
export class ManualClock implements Clock {
  private current: Date;
  constructor(start: Date | string = new Date()) {
    this.current = new Date(start);
  }
  now(): Date {
    return new Date(this.current);
  }
  set(to: Date | string): void {
    this.current = new Date(to);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/** Asia/Shanghai is UTC+8 all year (no DST). */
export const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;

/** The business calendar date (Asia/Shanghai) of an instant, as YYYY-MM-DD. */
export function shanghaiDate(at: Date): string {
  return new Date(at.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** An instant on the Shanghai clock to the minute, as YYYY-MM-DD HH:mm (for messages people read). */
export function shanghaiMinute(at: Date): string {
  return new Date(at.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
}

/** Whole years between a birth date (YYYY-MM-DD) and an instant, on the Shanghai calendar. */
export function ageOn(birthDate: string, at: Date): number {
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const [y, m, d] = shanghaiDate(at).split('-').map(Number);
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

const DAY_MS = 86400_000;

/** A Shanghai date (YYYY-MM-DD) moved by whole days. */
function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Months since year 0 of a YYYY-MM-DD date. */
function monthIndex(date: string): number {
  return Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1;
}

/**
 * The period just before a range of Shanghai dates (YYYY-MM-DD, both included); it ends the day
 * before `from`. A range of whole calendar months (`from` the 1st, `to` a month's last day) is
 * compared with the same number of whole months before it: Q1 2026 with Q4 2025, March 2024 with
 * 1–29 February. Any other range is compared with the same number of calendar days before it
 * (1–30 March 2024 with 31 January – 29 February).
 */
export function previousDates(from: string, to: string): { from: string; to: string } {
  const end = addDays(from, -1);
  const after = addDays(to, 1);
  if (from.endsWith('-01') && after.endsWith('-01') && after > from) {
    const first = monthIndex(from) - (monthIndex(after) - monthIndex(from));
    const y = Math.floor(first / 12);
    return { from: `${String(y).padStart(4, '0')}-${String(first - y * 12 + 1).padStart(2, '0')}-01`, to: end };
  }
  const days = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
  return { from: addDays(from, -days), to: end };
}

/**
 * The half-open period just before [from, to), ending at `from`. When both ends are Shanghai
 * midnights the rule of `previousDates` applies (whole months are compared with whole months);
 * otherwise it is the span of equal length (Shanghai keeps no summer time: a day is always 24 hours).
 */
export function previousInstants(from: Date, to: Date): { from: Date; to: Date } {
  const midnight = (at: Date) => (at.getTime() + SHANGHAI_OFFSET_MS) % DAY_MS === 0;
  if (midnight(from) && midnight(to) && to > from) {
    const p = previousDates(shanghaiDate(from), shanghaiDate(new Date(to.getTime() - DAY_MS)));
    return { from: new Date(Date.parse(`${p.from}T00:00:00Z`) - SHANGHAI_OFFSET_MS), to: from };
  }
  return { from: new Date(2 * from.getTime() - to.getTime()), to: from };
}
