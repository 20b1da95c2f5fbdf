import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { Logger, DestinationStream } from 'pino';

export type { Logger };

// Personal and health fields never reach the logs (STYLE.md, logging). Paths cover objects
// logged as context at one or two levels deep.
const SENSITIVE = [
  'token', 'accessToken', 'access_token', 'sessionKey', 'session_key', 'password', 'secret', 'jsCode',
  'phone', 'phoneNumber', 'purePhoneNumber', 'name', 'realName', 'address', 'openid', 'unionid',
  'allergies', 'medications', 'pastProcedures', 'conditions', 'health', 'answers',
  'currentPassword', 'newPassword', 'otp', 'recoveryCode', 'recoveryCodes', 'otpauthUri',
];
const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...SENSITIVE,
  ...SENSITIVE.map((k) => `*.${k}`),
  ...SENSITIVE.map((k) => `*.*.${k}`),
];

// MySQL echoes the offending value in some messages ("Duplicate entry 'o123…' for key …").
const QUOTED_VALUE = /(Duplicate entry |Incorrect \w+ value: |for column )'[^']*'/g;
export function maskSqlValues(text: string): string {
  return text.replace(QUOTED_VALUE, "$1'[redacted]'");
}

/**
 * Errors as logged: the standard serializer copies every property, and a failed query carries its
 * parameters, SQL and driver error (ciphertexts, openids, password hashes). Those are dropped.
 */
function errSerializer(err: Error): Record<string, unknown> {
  const { parameters: _p, query: _q, sql: _s, driverError: _d, sqlMessage: _m, ...rest } = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  if (typeof rest.message === 'string') rest.message = maskSqlValues(rest.message);
  if (typeof rest.stack === 'string') rest.stack = maskSqlValues(rest.stack);
  return rest;
}

/** The request a line is logged for: every line written while serving it carries its id. */
export const requestScope = new AsyncLocalStorage<{ reqId: string }>();
// A new object per line: pino merges the line's own fields into what mixin returns, and handing it
// the scope's store let one line's fields (a client id, or a field only another logger redacts)
// ride along on every later line of the request, the access line included.
const mixin = () => {
  const scope = requestScope.getStore();
  return scope ? { reqId: scope.reqId } : {};
};

let stdout: DestinationStream | undefined;

/**
 * Standard output, shared by every logger of the process and written in batches (up to 4 KB, and
 * at least once a second) rather than one write per line: at one access line per request, a
 * system call per line cost the API a fifth of its throughput. pino flushes the rest at exit.
 */
function stdoutStream(): DestinationStream {
  if (!stdout) {
    const stream = pino.destination({ dest: 1, sync: false, minLength: 4096 });
    setInterval(() => {
      try {
        stream.flush();
      } catch {
        // Closed at exit, or a write is already under way: the next tick or the exit flush takes the rest.
      }
    }, 1000).unref();
    stdout = stream;
  }
  return stdout;
}

export function createLogger(level: string, base: Record<string, unknown> = {}, destination: DestinationStream = stdoutStream()): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'meiyan', ...base },
    mixin,
    serializers: { err: errSerializer },
    redact: { paths: redactPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(options, destination);
}

/**
 * The access log: one line per request with fields chosen here (method, masked URL, route,
 * status, time), none of them personal, so it skips the redaction pass that every other line pays.
 */
export function createAccessLogger(level: string): Logger {
  return pino({ level, base: { service: 'meiyan', log: 'access' }, mixin, timestamp: pino.stdTimeFunctions.isoTime }, stdoutStream());
}

// Query parameters that may carry personal data are masked before a URL is logged.
const SENSITIVE_QUERY = /([?&](?:phone|name|code|token|q)=)[^&]*/gi;
export function safeUrl(url: string): string {
  return url.replace(SENSITIVE_QUERY, '$1[redacted]');
}
