import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError, CommonErrors } from './errors';
import type { Redis } from './redis';

/** At most `points` hits per `durationSeconds` (a fixed window from the first hit). */
export interface LimitRule {
  points: number;
  durationSeconds: number;
}

// A limiter that cannot reach Redis answers 503 at once (or after this long), never a hang.
const REDIS_TIMEOUT_MS = 1000;
const UPSTREAM_RETRY_SECONDS = 2;

/**
 * One named limit on rate-limiter-flexible over the shared ioredis client (its keys under the
 * connection's prefix, `rl:<name>:<key>`). The count and its expiry are set by one Lua script, so
 * concurrent hits from several API processes are counted exactly. While Redis is not connected the
 * limiter gives up after a second (503 UPSTREAM_UNAVAILABLE), so an outage never holds a request.
 */
export class Limiter {
  private readonly rl: RateLimiterRedis;

  constructor(redis: Redis, readonly name: string, readonly rule: LimitRule) {
    this.rl = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `rl:${name}`,
      points: rule.points,
      duration: rule.durationSeconds,
    });
  }

  /** Counts one hit; null while within the limit, otherwise the seconds until the window ends. */
  async hit(key: string): Promise<number | null> {
    try {
      await withTimeout(this.rl.consume(key));
      return null;
    } catch (err) {
      if (err instanceof RateLimiterRes) return Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      throw upstream();
    }
  }

  /** Counts one hit; beyond the limit 429 RATE_LIMITED with Retry-After. */
  async consume(key: string, message: string): Promise<void> {
    const wait = await this.hit(key);
    if (wait !== null) throw rateLimited(message, wait);
  }

  /** Forgets the hits of a key (support unblocking an address). */
  async reset(key: string): Promise<void> {
    try {
      await withTimeout(this.rl.delete(key));
    } catch {
      throw upstream();
    }
  }
}

/** Client actions that cost the hospital something (staff time, WeChat quota, heavy reads) and so are limited. */
export const CLIENT_ACTIONS = ['dataExport', 'complaint', 'phoneBinding', 'referralBinding', 'questionnaireSubmit'] as const;
export type ClientAction = (typeof CLIENT_ACTIONS)[number];

export interface ClientActionRule {
  perClient: number;
  perIp: number;
  windowSeconds: number;
}

const ACTION_MESSAGES: Record<ClientAction, string> = {
  dataExport: 'You have asked for many exports recently; please wait before asking again',
  complaint: 'You have filed many complaints recently; please wait a moment, or call the clinic',
  phoneBinding: 'Too many phone binding attempts; please wait a moment',
  referralBinding: 'Too many sign-ups with a referral code; please wait a moment',
  questionnaireSubmit: 'Too many submissions; please wait a moment',
};

/**
 * The per-client and per-address limits of the client actions (RATE_LIMIT_<ACTION>_*). The
 * address is counted first, so one address cannot spread its attempts over many accounts.
 */
export class ClientActionLimits {
  private readonly limiters = new Map<ClientAction, { client: Limiter; ip: Limiter }>();

  constructor(redis: Redis, rules: Record<ClientAction, ClientActionRule>) {
    for (const action of CLIENT_ACTIONS) {
      const r = rules[action];
      this.limiters.set(action, {
        client: new Limiter(redis, `${action}:client`, { points: r.perClient, durationSeconds: r.windowSeconds }),
        ip: new Limiter(redis, `${action}:ip`, { points: r.perIp, durationSeconds: r.windowSeconds }),
      });
    }
  }

  /** Counts one attempt of the action by a client (any stable key: id, hashed openid) from an address; 429 beyond either limit. */
  async hit(action: ClientAction, who: { client: string | number; ip: string | null | undefined }): Promise<void> {
    const l = this.limiters.get(action)!;
    await l.ip.consume(who.ip || 'none', ACTION_MESSAGES[action]);
    await l.client.consume(String(who.client), ACTION_MESSAGES[action]);
  }
}

/** 429 RATE_LIMITED; the error middleware sends details.retryAfterSeconds as Retry-After. */
export function rateLimited(message: string, retryAfterSeconds: number): AppError {
  return new AppError(CommonErrors.RATE_LIMITED, message, { retryAfterSeconds });
}

function upstream(): AppError {
  return new AppError(CommonErrors.UPSTREAM_UNAVAILABLE, 'The service is busy; please try again in a moment', { retryAfterSeconds: UPSTREAM_RETRY_SECONDS });
}

async function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('rate limiter: Redis did not answer in time')), REDIS_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
