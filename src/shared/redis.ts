import Redis from 'ioredis';
import type { Config } from '../config';
import type { Logger } from './logger';

export type { Redis };

/** What a command sent while Redis is away fails with (see createRedis): no queueing, no waiting. */
export function isRedisUnavailable(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return e?.name === 'MaxRetriesPerRequestError' || /^(Stream isn't writeable|Connection is closed)/.test(e?.message ?? '');
}

/**
 * A Redis client that fails fast while Redis is away. Until the first connection is ready, a
 * command waits for it (a boot, or a machine busy enough to stall the first connect, is not an
 * outage; a few reconnects at most). Once Redis has answered, a command sent while disconnected
 * fails at once — the API answers 503 within milliseconds instead of holding the request for
 * seconds — and one caught by a dropping connection fails with it, while the client keeps
 * reconnecting in the background. The outage is logged once as one structured line, and its end once.
 */
export function createRedis(cfg: Config['redis'], opts: { lazyConnect?: boolean; log?: Logger } = {}): Redis {
  const redis = new Redis(cfg.url, {
    keyPrefix: cfg.keyPrefix,
    lazyConnect: opts.lazyConnect ?? false,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    // Commands issued in the same turn of the event loop go out as one pipeline: under load, one
    // write for the session lookups of many requests instead of one each.
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let state: 'starting' | 'up' | 'down' = 'starting';
  // ioredis reads both options at each command and each dropped connection.
  const failFast = () => {
    redis.options.enableOfflineQueue = false;
    redis.options.maxRetriesPerRequest = 0;
  };
  redis.on('ready', () => {
    failFast();
    if (state === 'down') opts.log?.info({ event: 'redis.up' }, 'Redis answers again');
    state = 'up';
  });
  // Without a listener ioredis prints every failed reconnect to stderr as an unstructured stack.
  redis.on('error', (err: Error & { code?: string }) => {
    if (state === 'down') return;
    state = 'down';
    opts.log?.error({ event: 'redis.down', code: err.code ?? err.name }, 'Redis is not answering: requests that need it get 503 until it is back');
  });
  return redis;
}

/**
 * Fixed-window counter; returns the count in the current window. The window starts with the
 * first hit: SET … EX … NX then INCR (both Redis 6), not EXPIRE … NX, which needs Redis 7.
 */
export async function hitCounter(redis: Redis, key: string, windowSeconds: number): Promise<number> {
  const [, [, count]] = (await redis.multi().set(key, 0, 'EX', windowSeconds, 'NX').incr(key).exec()) as [[null, unknown], [null, number]];
  return count;
}

/** The oldest Redis the product's commands work on (SET … EX … NX, multi-field HSET, Lua). */
export const MIN_REDIS_MAJOR = 6;

/** Why this Redis is too old for the product, or null; from `INFO server`. */
export function redisVersionProblem(info: string): string | null {
  const version = /^redis_version:([\d.]+)/m.exec(info)?.[1];
  if (!version) return null;
  return Number(version.split('.')[0]) < MIN_REDIS_MAJOR ? `Redis ${version} is too old: the product needs Redis ${MIN_REDIS_MAJOR} or newer` : null;
}
