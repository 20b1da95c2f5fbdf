import Joi from 'joi';
import { area, int, oneOf, setting } from '../setting';

/** "21:00-09:00" → minutes after midnight (Asia/Shanghai); "off" or an empty window → no quiet hours. */
function parseQuietHours(spec: string): { startMinute: number; endMinute: number } | null {
  if (spec === 'off') return null;
  const [startMinute, endMinute] = spec.split('-').map((hm) => {
    const [h, m] = hm.split(':').map(Number);
    return h * 60 + m;
  });
  return startMinute === endMinute ? null : { startMinute, endMinute };
}

export const delivery = area('Delivery: the outbox, WeCom send budgets, subscribe messages', {
  quietHours: setting('QUIET_HOURS', Joi.string().pattern(/^(off|([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d)$/, 'HH:MM-HH:MM or off'), {
    default: '21:00-09:00',
    doc: 'Quiet hours on the Asia/Shanghai clock (HH:MM-HH:MM, may cross midnight), or off: messages and\ngroup posts to clients wait until they end (staff alerts and tag changes do not wait)',
    map: parseQuietHours,
  }),
  budgetPerMinute: int('SEND_BUDGET_PER_MINUTE', {
    min: 1, max: 10000, default: 20,
    doc: 'Sends allowed per WeCom account per minute; WeCom throttles and bans accounts that send too fast.\nMessages over budget wait for the next minute, none are dropped',
  }),
  budgetPerDay: int('SEND_BUDGET_PER_DAY', {
    min: 1, max: 1000000, default: 500, doc: 'Sends allowed per WeCom account per (Asia/Shanghai) day; over budget waits for the next day',
  }),
  clientDailyCap: int('CLIENT_DAILY_MESSAGE_CAP', {
    min: 1, max: 100, default: 3, doc: 'Messages one client receives per day at most, over every channel; more wait for the next day',
  }),
  maxAttempts: int('DELIVERY_MAX_ATTEMPTS', { min: 1, max: 50, default: 5, doc: 'Failed attempts before a message is given up and becomes a staff task' }),
  leaseSeconds: int('DELIVERY_LEASE_SECONDS', {
    min: 5, max: 3600, default: 60, doc: 'Seconds a drain holds the messages it claimed; a drain that dies is replaced after this (one resend at most)',
  }),
  batch: int('DELIVERY_BATCH', { min: 1, max: 1000, default: 50, doc: 'Messages claimed per batch' }),
  retryBaseSeconds: int('DELIVERY_RETRY_BASE_SECONDS', {
    min: 1, max: 3600, default: 30, doc: 'Retry backoff after a failure: base × 2^(attempt-1) seconds, at most DELIVERY_RETRY_MAX_SECONDS',
  }),
  retryMaxSeconds: int('DELIVERY_RETRY_MAX_SECONDS', { min: 1, max: 86400, default: 3600, doc: 'The longest retry backoff (seconds)' }),
  sendConcurrency: int('DELIVERY_SEND_CONCURRENCY', { min: 1, max: 64, default: 4, doc: 'Sends in flight at once within a batch' }),
  drainIntervalMs: int('DELIVERY_DRAIN_INTERVAL_MS', { min: 100, max: 600000, default: 3000, doc: 'How often the bot drains the outbox (ms)' }),
  subscribeState: oneOf('SUBSCRIBE_MESSAGE_STATE', ['formal', 'trial', 'developer'], {
    default: 'formal', doc: 'Which mini-program version a subscribe message opens: formal | trial | developer',
  }),
  outboxRetentionDays: int('OUTBOX_RETENTION_DAYS', {
    min: 1, max: 3650, default: 30,
    doc: [
      'Days a sent, failed or cancelled outbox message is kept before the nightly outbox-retention task',
      'deletes it. Sent client messages hold their text (personal data: PIPL keeps it no longer than',
      'needed); 30 days covers the questions that look back at a message (a complaint about a follow-up,',
      'the 30-day follow-up after the 7-day one, a month of weekly community posts in the deliveries',
      'view). What must last longer is recorded elsewhere (survey invitation time, follow-up step status,',
      'staff tasks); plan notices, whose row is what keeps them from going twice, are never deleted',
    ].join('\n'),
  }),
});

export const scheduler = area('Scheduler', {
  runRetentionDays: int('SCHEDULER_RUN_RETENTION_DAYS', {
    min: 1, max: 3650, default: 30, doc: 'Days the record of each scheduled run is kept (GET /api/staff/scheduler/runs)',
  }),
});
