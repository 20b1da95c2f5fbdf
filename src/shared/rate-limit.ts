import { AppError, CommonErrors } from './errors';
import { hitCounter, type Redis } from './redis';

/**
 * Counts one hit on a fixed-window counter. Returns null while the window holds at most `max`
 * hits, otherwise the seconds until the window ends (what the caller should wait).
 */
export async function overLimit(redis: Redis, key: string, max: number, windowSeconds: number): Promise<number | null> {
  const count = await hitCounter(redis, key, windowSeconds);
  if (count <= max) return null;
  const ttl = await redis.ttl(key);
  return ttl > 0 ? ttl : windowSeconds;
}

/** 429 RATE_LIMITED; the error middleware sends details.retryAfterSeconds as Retry-After. */
export function rateLimited(message: string, retryAfterSeconds: number): AppError {
  return new AppError(CommonErrors.RATE_LIMITED, message, { retryAfterSeconds });
}
