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

/**
 * The period of the same length just before a range of Shanghai dates (YYYY-MM-DD, both
 * included): it ends the day before `from`. Calendar days, so month ends and leap days need no
 * rule of their own (March 2024's previous period is 30 Jan – 29 Feb, 31 days).
 */
export function previousDates(from: string, to: string): { from: string; to: string } {
  const start = Date.parse(`${from}T00:00:00Z`);
  const days = Math.round((Date.parse(`${to}T00:00:00Z`) - start) / DAY_MS) + 1;
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { from: iso(start - days * DAY_MS), to: iso(start - DAY_MS) };
}

/** The half-open period of the same length just before [from, to) (Shanghai keeps no summer time: a day is always 24 hours). */
export function previousInstants(from: Date, to: Date): { from: Date; to: Date } {
  return { from: new Date(2 * from.getTime() - to.getTime()), to: from };
}
