import Joi from 'joi';
import { area, int, setting, staffRoleList } from '../setting';

export const auth = area('Sessions and login', {
  clientSessionTtlSeconds: int('CLIENT_SESSION_TTL_SECONDS', { min: 60, default: 7 * 24 * 3600, doc: 'Mini-program session lifetime (seconds)' }),
  staffSessionTtlSeconds: int('STAFF_SESSION_TTL_SECONDS', { min: 60, default: 12 * 3600, doc: 'Staff session lifetime (seconds)' }),
  loginRateLimitPerIp: int('LOGIN_RATE_LIMIT_PER_IP', { min: 1, default: 30, doc: 'Mini-program logins allowed per IP within the window' }),
  loginRateLimitPerClient: int('LOGIN_RATE_LIMIT_PER_CLIENT', { min: 1, default: 10, doc: 'Mini-program logins allowed per client within the window' }),
  loginRateWindowSeconds: int('LOGIN_RATE_WINDOW_SECONDS', { min: 1, default: 60, doc: 'The window of the mini-program login limits (seconds)' }),
  staffLockoutAttempts: int('STAFF_LOCKOUT_ATTEMPTS', { min: 1, default: 5, doc: 'Staff password failures before the account locks' }),
  staffLockoutMinutes: int('STAFF_LOCKOUT_MINUTES', { min: 1, default: 15, doc: 'How long a locked staff account stays locked (minutes)' }),
  // Staff logins per address and window, across all usernames (the lockout is per account, so
  // without this one address could try 5 guesses on every username). 20 a minute lets a clinic's
  // whole shift log in through one NAT, typos included; a sprayer gets 20 guesses a minute, not thousands.
  staffLoginRateLimitPerIp: int('STAFF_LOGIN_RATE_LIMIT_PER_IP', {
    min: 1, default: 20,
    doc: 'Staff logins allowed per IP within the window, whatever the usernames (beyond: 429 RATE_LIMITED\nwith Retry-After). 20 a minute lets a clinic\'s staff log in through one NAT; it stops one address\ntrying a few passwords on every username, which the per-account lockout alone does not.',
  }),
  staffLoginRateWindowSeconds: int('STAFF_LOGIN_RATE_WINDOW_SECONDS', { min: 1, default: 60, doc: 'The window of the staff login limit (seconds)' }),
  // ASVS L2 (session management): an idle timeout beside the absolute one of STAFF_SESSION_TTL_SECONDS.
  // 0 turns it off: for tests that move the clock by days between requests of one session.
  staffSessionIdleMinutes: int('STAFF_SESSION_IDLE_MINUTES', {
    min: 0, max: 24 * 60, default: 30,
    doc: 'A staff session unused for this many minutes ends (401 TOKEN_INVALID), beside the absolute\nSTAFF_SESSION_TTL_SECONDS (0 turns it off; the test run does, its clocks jump by days)',
  }),
  // Three primary-key range reads per process per poll, however many workbenches listen.
  staffStreamPollMs: int('STAFF_STREAM_POLL_MS', {
    min: 200, max: 60_000, default: 2000,
    doc: 'The workbench\'s notification stream (GET /api/staff/me/stream): how often each API process reads\nthe task, case and questionnaire tables for new rows while a stream is open (milliseconds)',
  }),
  // The director (院长) sees every archive: a second factor is required of them in production.
  staffTotpRequiredRoles: setting('STAFF_TOTP_REQUIRED_ROLES', staffRoleList().allow(''), {
    default: { development: '', test: '', production: 'director' },
    example: 'director',
    doc: 'Staff roles that must turn on a TOTP second factor (comma list); until they do, their session may\nonly enrol it. Default (unset): director in production, nobody elsewhere',
    map: (v) => v.split(',').filter(Boolean),
  }),
  staffTotpIssuer: setting('STAFF_TOTP_ISSUER', Joi.string().min(1).max(64).pattern(/^[^:]+$/, 'no colon'), {
    default: 'Meiyan CRM', doc: 'Issuer name shown in authenticator apps for staff TOTP',
  }),
  // OWASP's scrypt recommendation is N = 2^17 (128 MiB per hash); lower values exist for the test run.
  staffPasswordScryptN: setting('STAFF_PASSWORD_SCRYPT_N', Joi.number().integer().valid(2 ** 14, 2 ** 15, 2 ** 16, 2 ** 17, 2 ** 18, 2 ** 19, 2 ** 20), {
    default: 2 ** 17,
    doc: 'scrypt cost N for staff passwords (r=8, p=1): OWASP\'s 2^17 = 131072 (128 MiB and a few hundred ms\nper login). Hashes of another cost are replaced at the next successful login. The test run uses 16384',
  }),
});
