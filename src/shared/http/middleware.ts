import { randomUUID } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import type { HttpMetrics } from './metrics';
import { AppError, CommonErrors, statusOf } from '../errors';
import type { Logger } from '../logger';
import { requestScope, safeUrl } from '../logger';
import { isRedisUnavailable } from '../redis';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

const UPSTREAM_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'PROTOCOL_CONNECTION_LOST', 'ER_LOCK_WAIT_TIMEOUT', 'ER_CON_COUNT_ERROR']);

/** MySQL or Redis not answering (down, restarting, overloaded): the caller may retry shortly. */
function isUpstreamFailure(err: unknown): boolean {
  const e = err as { name?: string; code?: string; message?: string; driverError?: { code?: string } };
  return (
    isRedisUnavailable(e) ||
    UPSTREAM_CODES.has(e?.code ?? '') ||
    UPSTREAM_CODES.has(e?.driverError?.code ?? '') ||
    /^(Pool is closed)/.test(e?.message ?? '')
  );
}

export interface EdgeOptions {
  /** The root logger: ctx.state.log, and every line logged while serving carries the request id. */
  logger: Logger;
  /** One line per request: method, masked URL, route, status, time. */
  access: Logger;
  metrics: HttpMetrics;
  /** The security headers for a path, worked out in advance. */
  headers(path: string): Record<string, string>;
}

/**
 * What every request goes through first, as one middleware rather than five (each layer of Koa's
 * chain costs a few promises, and under the request scope's async hooks promises are not free):
 * a sane incoming X-Request-Id or a new one, the scope that puts it on every log line, the
 * security headers, the `{ error }` shape for every failure, then the metrics and the access line
 * with the final status.
 */
export function edge(opts: EdgeOptions): Middleware {
  const { logger, access, metrics } = opts;
  return (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const id = REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = id;
    ctx.state.log = logger;
    ctx.set('X-Request-Id', id);
    ctx.set(opts.headers(ctx.path));
    return requestScope.run({ reqId: id }, async () => {
      const started = process.hrtime.bigint();
      try {
        await next();
        if (ctx.status === 404 && ctx.body === undefined) throw new AppError(CommonErrors.NOT_FOUND, 'No such route');
      } catch (err) {
        answerError(ctx, err);
      } finally {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        // Never the raw path as a label: preflights and body errors on arbitrary paths would grow the series without bound.
        const route = (ctx.state.route as string | undefined) ?? 'unmatched';
        metrics.record(ctx.method, route, ctx.status, ms / 1000);
        const line = { method: ctx.method, url: safeUrl(ctx.originalUrl), route: ctx.state.route, status: ctx.status, ms: Math.round(ms * 10) / 10 };
        if (ctx.status >= 500) access.error(line, 'request failed');
        else access.info(line, 'request');
      }
    });
  };
}

/** Turns a failure into `{ error: { code, message, details } }`; unknown errors are logged and answered generically. */
function answerError(ctx: Context, err: unknown): void {
  const e = err as Error & { status?: number; type?: string; expose?: boolean };
  let appErr: AppError;
  let quiet = false;
  if (e instanceof AppError) appErr = e;
  else if (e.type === 'entity.parse.failed' || (e.status === 400 && (e instanceof SyntaxError || /JSON/i.test(e.message)))) {
    // The body parser's refusals: not JSON, or JSON with a "__proto__" / "constructor.prototype" key.
    // They carry the raw body, so they are answered and never logged.
    appErr = new AppError(CommonErrors.MALFORMED_JSON, 'The request body is not valid JSON, or holds a forbidden key such as __proto__', [
      { field: 'body', message: 'body is not acceptable JSON', type: 'json.parse' },
    ]);
  } else if (e.type === 'entity.too.large' || e.status === 413) {
    appErr = new AppError(CommonErrors.BODY_TOO_LARGE, 'The request body is too large');
  } else if (e.status === 415 || e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
    appErr = new AppError(CommonErrors.UNSUPPORTED_MEDIA_TYPE, 'Unsupported body encoding');
  } else if (e.status === 405 || e.status === 501) {
    // 501 is what the router throws for a method it does not know at all (PROPFIND, TRACE…).
    appErr = new AppError(CommonErrors.METHOD_NOT_ALLOWED, 'This method is not allowed here');
  } else if (e.status && e.status >= 400 && e.status < 500) {
    // Any other refusal a middleware marks as the caller's: a 4xx, its message only when meant to be shown.
    appErr = new AppError(CommonErrors.VALIDATION_FAILED, e.expose ? e.message : 'Request is not valid');
  } else if (isUpstreamFailure(e)) {
    // Redis logs its own outage once (shared/redis.ts); a line per refused request would bury it.
    if (!isRedisUnavailable(e)) (ctx.state.log as Logger | undefined)?.warn({ err }, 'a dependency is not answering');
    quiet = true;
    appErr = new AppError(CommonErrors.UPSTREAM_UNAVAILABLE, 'The service is busy; please try again in a moment', { retryAfterSeconds: 2 });
  } else {
    (ctx.state.log as Logger | undefined)?.error({ err }, 'unhandled error');
    appErr = new AppError(CommonErrors.INTERNAL, 'Something went wrong on our side; please try again later');
  }
  // A readiness probe failing is the probe's answer, not news for the log at every poll.
  if (appErr.code === CommonErrors.NOT_READY) quiet = true;
  const status = statusOf(appErr.code);
  if (status >= 500 && appErr.code !== CommonErrors.INTERNAL && !quiet) {
    (ctx.state.log as Logger | undefined)?.warn({ code: appErr.code }, appErr.message);
  }
  ctx.status = status;
  ctx.body = { error: { code: appErr.code, message: appErr.message, ...(appErr.details !== undefined ? { details: appErr.details } : {}) } };
  const retry = (appErr.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
  if ((status === 503 || status === 429) && retry) ctx.set('Retry-After', String(retry));
}
