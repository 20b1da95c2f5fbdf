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

export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: 'meiyan', ...base },
    redact: { paths: redactPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

// Query parameters that may carry personal data are masked before a URL is logged.
const SENSITIVE_QUERY = /([?&](?:phone|name|code|token|q)=)[^&]*/gi;
export function safeUrl(url: string): string {
  return url.replace(SENSITIVE_QUERY, '$1[redacted]');
}
