import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { Logger } from 'pino';

export type { Logger };

// Personal and health fields never reach the logs (STYLE.md, logging). Paths cover objects
// logged as context at one or two levels deep.
const SENSITIVE = [
  'token', 'accessToken', 'access_token', 'sessionKey', 'session_key', 'password', 'secret', 'jsCode',
  'phone', 'phoneNumber', 'purePhoneNumber', 'name', 'realName', 'address', 'openid', 'unionid',
  'allergies', 'medications', 'pastProcedures', 'conditions', 'health', 'answers',
];
const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...SENSITIVE,
  ...SENSITIVE.map((k) => `*.${k}`),
  ...SENSITIVE.map((k) => `*.*.${k}`),
];

/** The request a line is logged for: every line written while serving it carries its id. */
export const requestScope = new AsyncLocalStorage<{ reqId: string }>();
const mixin = () => requestScope.getStore() ?? {};

export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: 'meiyan', ...base },
    mixin,
    redact: { paths: redactPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/**
 * The access log: one line per request with fields chosen here (method, masked URL, route,
 * status, time), none of them personal, so it skips the redaction pass that every other line pays.
 */
export function createAccessLogger(level: string): Logger {
  return pino({ level, base: { service: 'meiyan', log: 'access' }, mixin, timestamp: pino.stdTimeFunctions.isoTime });
}

// Query parameters that may carry personal data are masked before a URL is logged.
const SENSITIVE_QUERY = /([?&](?:phone|name|code|token|q)=)[^&]*/gi;
export function safeUrl(url: string): string {
  return url.replace(SENSITIVE_QUERY, '$1[redacted]');
}
