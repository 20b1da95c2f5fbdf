import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import { AppError, CommonErrors, statusOf } from '../errors';
import type { Logger } from '../logger';
import { requestScope, safeUrl } from '../logger';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Takes a sane incoming X-Request-Id or makes one; every log line of the request carries it. */
export function requestContext(root: Logger): Middleware {
  return async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const id = REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = id;
    ctx.state.log = root;
    ctx.set('X-Request-Id', id);
    await requestScope.run({ reqId: id }, next);
  };
}

export function requestLog(access: Logger): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const log = access;
      const line = { method: ctx.method, url: safeUrl(ctx.originalUrl), route: ctx.state.route, status: ctx.status, ms: Math.round(ms * 10) / 10 };
      if (ctx.status >= 500) log.error(line, 'request failed');
      else log.info(line, 'request');
    }
  };
}

/** Turns every failure into `{ error: { code, message, details } }`; unknown errors are logged and answered generically. */
export function errorHandler(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new AppError(CommonErrors.NOT_FOUND, 'No such route');
      }
    } catch (err) {
      const e = err as Error & { status?: number; type?: string; expose?: boolean };
      let appErr: AppError;
      if (e instanceof AppError) appErr = e;
      else if (e.type === 'entity.parse.failed' || (e.status === 400 && /JSON/i.test(e.message))) {
        appErr = new AppError(CommonErrors.MALFORMED_JSON, 'The request body is not valid JSON');
      } else if (e.type === 'entity.too.large' || e.status === 413) {
        appErr = new AppError(CommonErrors.BODY_TOO_LARGE, 'The request body is too large');
      } else if (e.status === 415 || e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
        appErr = new AppError(CommonErrors.UNSUPPORTED_MEDIA_TYPE, 'Unsupported body encoding');
      } else if (e.status && e.status >= 400 && e.status < 500 && e.expose) {
        appErr = new AppError(e.status === 405 ? CommonErrors.METHOD_NOT_ALLOWED : CommonErrors.VALIDATION_FAILED, e.message);
      } else {
        (ctx.state.log as Logger | undefined)?.error({ err }, 'unhandled error');
        appErr = new AppError(CommonErrors.INTERNAL, 'Something went wrong on our side; please try again later');
      }
      const status = statusOf(appErr.code);
      if (status >= 500 && appErr.code !== CommonErrors.INTERNAL) {
        (ctx.state.log as Logger | undefined)?.warn({ code: appErr.code }, appErr.message);
      }
      ctx.status = status;
      ctx.body = { error: { code: appErr.code, message: appErr.message, ...(appErr.details !== undefined ? { details: appErr.details } : {}) } };
      const retry = (appErr.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
      if ((status === 503 || status === 429) && retry) ctx.set('Retry-After', String(retry));
    }
  };
}
