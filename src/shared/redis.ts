import Redis from 'ioredis';
import type { Config } from '../config';

export type { Redis };

export function createRedis(cfg: Config['redis'], opts: { lazyConnect?: boolean } = {}): Redis {
  return new Redis(cfg.url, {
    keyPrefix: cfg.keyPrefix,
    lazyConnect: opts.lazyConnect ?? false,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    // Commands issued in the same turn of the event loop go out as one pipeline: under load, one
    // write for the session lookups of many requests instead of one each.
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
}

/** Fixed-window counter; returns the count in the current window. */
export async function hitCounter(redis: Redis, key: string, windowSeconds: number): Promise<number> {
  const [[, count]] = (await redis.multi().incr(key).expire(key, windowSeconds, 'NX').exec()) as [[null, number]];
  return count;
}
