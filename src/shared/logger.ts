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

// What an error keeps when logged, by allow-list: the standard serializer copies every property,
// and errors carry what they were handed — a failed query its parameters and SQL (ciphertexts,
// openids, password hashes), the body parser's refusal the raw request body (a staff password, a
// client's medical history).
const ERR_FIELDS = ['type', 'message', 'stack', 'code', 'errno', 'syscall', 'status', 'statusCode', 'errcode', 'errmsg', 'api', 'transient'];

/** Errors as logged: only the fields above, with values MySQL echoes masked. */
function errSerializer(err: Error): unknown {
  // Some lines log an error's text rather than the error (`err: errorText(e)`).
  if (typeof err !== 'object' || err === null) return typeof err === 'string' ? maskSqlValues(err) : err;
  const full = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of ERR_FIELDS) if (full[k] !== undefined) out[k] = full[k];
  if (typeof out.message === 'string') out.message = maskSqlValues(out.message);
  if (typeof out.stack === 'string') out.stack = maskSqlValues(out.stack);
  return out;
}

// A log line's own fields by allow-list (STYLE.md, logging: personal and health data never in a
// log line). Numbers, booleans and null pass — counts, ids, times cannot carry free text. A string
// passes only under a key named here; under any other key (text, note, reason, payload, a field
// someone adds tomorrow…) it is written as '[redacted]', at any depth.
const STRING_FIELDS = new Set([
  'msg', 'module', 'role', 'roles', 'task', 'tasks', 'api', 'kind', 'status', 'code', 'errcode', 'errmsg', 'error',
  'column', 'table', 'key', 'migrations', 'signal', 'account', 'contactId', 'source', 'grade', 'occurrence',
  'postId', 'order', 'client', 'clientPublicId', 'refundNo', 'state', 'channel', 'method', 'route', 'url',
  'event', 'version', 'host', 'database', 'instance', 'failure', 'outcome', 'type', 'reqId', 'requestId', 'templateId',
]);
// Identifiers (row ids as strings, public ids) are not free text: `id`, `ids`, `clientId`, `outboxIds`…
const ID_KEY = /^(id|ids|(?!open|union)\w+Ids?)$/;
const REDACTED = '[redacted]';

function allowed(value: unknown, key: string, depth: number): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return value;
  if (typeof value === 'string') return STRING_FIELDS.has(key) || ID_KEY.test(key) ? value : REDACTED;
  if (value instanceof Date) return value;
  if (value instanceof Error || typeof value !== 'object') return REDACTED;
  if (depth > 6) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => allowed(v, key, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = allowed(v, k, depth + 1);
  return out;
}

/** A line's fields after the allow-list; `err` keeps its own serializer. */
export function allowListed(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = k === 'err' ? v : allowed(v, k, 0);
  return out;
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
    formatters: { log: allowListed },
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

// Query values are logged by allow-list: paging and filter words only. Any other parameter (a phone
// or name search, a login code, a token, whatever a route adds later) is masked.
const LOGGED_QUERY = new Set(['limit', 'offset', 'page', 'pagesize', 'cursor', 'status', 'role', 'grade', 'kind', 'period', 'from', 'to', 'sort', 'taskid', 'category', 'stage', 'segment', 'unassigned', 'type']);
export function safeUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url.slice(q + 1).replace(/([^&=]*)=([^&]*)/g, (all, name: string) => (LOGGED_QUERY.has(name.toLowerCase()) ? all : `${name}=[redacted]`));
  return `${url.slice(0, q)}?${query}`;
}
