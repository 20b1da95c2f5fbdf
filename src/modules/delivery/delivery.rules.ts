import type { Config } from '../../config';
import { SHANGHAI_OFFSET_MS } from '../../shared/clock';

const MINUTE_MS = 60_000;
const DAY_MS = 86400_000;

export type QuietHours = Config['delivery']['quietHours'];

/** Kinds that reach clients and so wait out quiet hours; tag changes and staff alerts do not. */
export const QUIET_KINDS = ['client_message', 'group_post'] as const;

/**
 * When the quiet hours around `at` end (Asia/Shanghai clock), or null when `at` is outside them.
 * The window may cross midnight (21:00–09:00): 23:30 and 08:00 are both inside it.
 */
export function quietUntil(quiet: QuietHours, at: Date): Date | null {
  if (!quiet) return null;
  const local = at.getTime() + SHANGHAI_OFFSET_MS;
  const dayStart = Math.floor(local / DAY_MS) * DAY_MS;
  const minute = Math.floor((local - dayStart) / MINUTE_MS);
  const { startMinute: start, endMinute: end } = quiet;
  const inside = start < end ? minute >= start && minute < end : minute >= start || minute < end;
  if (!inside) return null;
  // Crossing midnight and already past the start: the quiet hours end tomorrow.
  const endDay = start > end && minute >= start ? dayStart + DAY_MS : dayStart;
  return new Date(endDay + end * MINUTE_MS - SHANGHAI_OFFSET_MS);
}

/** The first instant of the next minute. */
export function nextMinute(at: Date): Date {
  return new Date((Math.floor(at.getTime() / MINUTE_MS) + 1) * MINUTE_MS);
}

/** Midnight at the start of the next day on the Asia/Shanghai calendar. */
export function nextShanghaiDay(at: Date): Date {
  const local = at.getTime() + SHANGHAI_OFFSET_MS;
  return new Date((Math.floor(local / DAY_MS) + 1) * DAY_MS - SHANGHAI_OFFSET_MS);
}

/** The delay before attempt `attempts + 1`: base × 2^(attempts-1) seconds, capped. */
export function backoffSeconds(cfg: Pick<Config['delivery'], 'retryBaseSeconds' | 'retryMaxSeconds'>, attempts: number): number {
  const exp = Math.min(30, Math.max(0, attempts - 1));
  return Math.min(cfg.retryMaxSeconds, cfg.retryBaseSeconds * 2 ** exp);
}
