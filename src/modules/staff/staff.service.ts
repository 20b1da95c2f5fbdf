import { In, type DataSource, type EntityManager } from 'typeorm';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import { AppError, CommonErrors, notFound } from '../../shared/errors';
import { hashPassword, newToken, passwordNeedsRehash, publicId, sha256, verifyPassword, type FieldCipher, type ScryptCost } from '../../shared/crypto';
import { isDuplicateKey, runInTransaction } from '../../shared/db';
import type { Redis } from '../../shared/redis';
import { Limiter, rateLimited } from '../../shared/rate-limit';
import type { SessionStore } from '../../shared/sessions';
import { SYSTEM_ACTOR, type Actor, type AuditService } from '../audit';
import { Client } from '../clients';
import { Staff, StaffRole } from './staff.entity';
import { StaffErrors } from './staff.errors';
import { StaffTotp } from './staff.totp';

export interface StaffServiceDeps {
  db: DataSource;
  config: Config;
  clock: Clock;
  sessions: SessionStore;
  audit: AuditService;
  /** For the failure counters of unknown usernames; when absent, the session store's client is used. */
  redis: Redis;
  /** Encrypts TOTP secrets; keys recovery-code hashes. */
  cipher: FieldCipher;
}

/** What any staff member may see of a colleague (and of themselves). */
export interface StaffSummary {
  id: string;
  username: string;
  displayName: string;
  role: StaffRole;
}

/** What the director sees when managing accounts. */
export interface StaffView extends StaffSummary {
  active: boolean;
  failedAttempts: number;
  lockedUntil: string | null;
  createdAt: string;
}

export interface LoginResult {
  token: string;
  expiresIn: number;
  staff: StaffSummary;
  /** Present when the role must have TOTP and has none: this session may only enrol it. */
  totpEnrolmentRequired?: true;
}

/** The logged-in staff member, with where their second factor stands. */
export interface MeView extends StaffSummary {
  active: boolean;
  totpEnabled: boolean;
  /** The role must have TOTP (STAFF_TOTP_REQUIRED_ROLES); with totpEnabled false, only enrolment is open. */
  totpRequired: boolean;
}

/** Credentials at login: the password, and for accounts with TOTP one of the two second factors. */
export interface LoginInput {
  username: string;
  password: string;
  otp?: string;
  recoveryCode?: string;
}

export interface NewStaff {
  username: string;
  displayName: string;
  role: StaffRole;
  password: string;
}

export interface StaffPatch {
  displayName?: string;
  role?: StaffRole;
  active?: boolean;
}

/** Audit listing filter; clientId and staffId are public ids, `before` is the id of the last row already seen. */
export interface AuditFilter {
  clientId?: string;
  staffId?: string;
  action?: string;
  from?: Date;
  to?: Date;
  limit: number;
  before?: string;
}

export interface AuditItem {
  id: string;
  at: string;
  actor: { type: string; id: string | null; role: string | null };
  action: string;
  clientId: string | null;
  allowed: boolean;
  ip: string | null;
  requestId: string | null;
  details: Record<string, unknown> | null;
}

export interface AuditPage {
  items: AuditItem[];
  /** Pass as `before` for the next (older) page; null when this page is the last. */
  nextBefore: string | null;
}

function summaryOf(s: Staff): StaffSummary {
  return { id: s.publicId, username: s.username, displayName: s.displayName, role: s.role };
}

function viewOf(s: Staff): StaffView {
  return {
    ...summaryOf(s),
    active: Boolean(s.active),
    failedAttempts: s.failedAttempts,
    lockedUntil: s.lockedUntil ? s.lockedUntil.toISOString() : null,
    createdAt: s.createdAt.toISOString(),
  };
}

/** The outcome of reserving one login attempt on a real account, before its password is checked. */
type Attempt =
  | { locked: true; lockedUntil: Date }
  /** `slot` is the failure count including this attempt; `lockedUntil` is set when this attempt reached the limit. */
  | { locked: false; slot: number; lockedUntil: Date | null };

/**
 * One attempt counter kept in Redis, with the same rules as an account's failed_attempts /
 * locked_until: an attempt while locked is refused and not counted, an expired lock starts the
 * count afresh, the attempt reaching the limit locks. Times are the caller's clock (ms), so the
 * injected clock drives the window; the key's TTL only bounds memory. Used for usernames with no
 * usable account (counted after the password check fails) and for an account's attempts from an
 * address it logged in from before (counted before the check, cleared by a successful login).
 * KEYS[1] the counter; ARGV now, limit, lock length (ms), TTL (s). Returns { refused (0/1), lockedUntil (ms, 0: none) }.
 */
const COUNT_ATTEMPT_SCRIPT = `
local now = tonumber(ARGV[1])
local lockedUntil = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if lockedUntil > now then return { 1, lockedUntil } end
local count = 1
if lockedUntil == 0 then count = tonumber(redis.call('HGET', KEYS[1], 'n') or '0') + 1 end
local untilMs = 0
if count >= tonumber(ARGV[2]) then untilMs = now + tonumber(ARGV[3]) end
redis.call('HSET', KEYS[1], 'n', count, 'until', untilMs)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return { 0, untilMs }
`;
/** An address stays known for an account this long after its last successful login there. */
const KNOWN_ADDRESS_DAYS = 30;

/** How long (real seconds) an unknown username's counter outlives its last failure, beyond the lock time. */
const UNKNOWN_FAILURE_TTL_SECONDS = 24 * 3600;

const invalidCredentials = () => new AppError(StaffErrors.INVALID_CREDENTIALS, 'Username or password is wrong');
const currentPasswordWrong = () =>
  new AppError(StaffErrors.CURRENT_PASSWORD_WRONG, 'The current password is wrong', { field: 'body.currentPassword' });
const otpInvalid = () => new AppError(StaffErrors.STAFF_OTP_INVALID, 'The code is wrong, expired or already used');
const accountLocked = (until: Date) =>
  new AppError(StaffErrors.ACCOUNT_LOCKED, 'Too many failed logins; the account is locked for a while', { lockedUntil: until.toISOString() });

/**
 * Staff accounts (院长 / 医师 / 咨询师 / 客服): password login with lockout, revocable sessions,
 * account management by the director, and the director's view of the operation log.
 */
export class StaffService {
  private readonly db: DataSource;
  private readonly config: Config;
  private readonly clock: Clock;
  private readonly sessions: SessionStore;
  private readonly audit: AuditService;
  private readonly redis: Redis;
  private readonly loginLimit: Limiter;
  private readonly totp: StaffTotp;
  private readonly scryptCost: ScryptCost;
  private dummy: Promise<string> | undefined;

  constructor(deps: StaffServiceDeps) {
    ({ db: this.db, config: this.config, clock: this.clock, sessions: this.sessions, audit: this.audit } = deps);
    // services.ts does not hand us Redis yet; until it does, share the session store's connection.
    this.redis = deps.redis;
    const { staffLoginRateLimitPerIp, staffLoginRateWindowSeconds } = deps.config.auth;
    this.loginLimit = new Limiter(deps.redis, 'staff-login:ip', { points: staffLoginRateLimitPerIp, durationSeconds: staffLoginRateWindowSeconds });
    this.scryptCost = { N: deps.config.auth.staffPasswordScryptN, r: 8, p: 1 };
    this.totp = new StaffTotp({ db: deps.db, cipher: deps.cipher, clock: deps.clock, issuer: deps.config.auth.staffTotpIssuer });
  }

  /**
   * Warms the dummy hash so the first unknown-username login costs the same as any other: by the
   * process that serves logins (createApp), not by every process that creates the services (a
   * scheduler, the due scan, a command), since one scrypt at this cost holds 128 MiB while it runs.
   */
  warmLoginHash(): void {
    this.dummyHash().catch(() => undefined);
  }

  /**
   * Password login. Unknown username, wrong password and inactive account give the same
   * INVALID_CREDENTIALS after the same scrypt work, and all three lock the same way after
   * STAFF_LOCKOUT_ATTEMPTS failures (ACCOUNT_LOCKED), so the answers never tell whether an
   * account exists. `from` carries the caller's address and request id for the audit row.
   *
   * First of all, each address may try STAFF_LOGIN_RATE_LIMIT_PER_IP logins per window, whatever
   * the usernames (the lockout is per account, so it alone does not stop one address guessing a
   * few passwords on every username); beyond that RATE_LIMITED, with no lookup and no password work.
   *
   * Each attempt on a real account is counted in SQL *before* its password is checked, and only
   * while the account is not locked, so a burst of guesses cannot all be tested: at most
   * STAFF_LOCKOUT_ATTEMPTS of them are, and the rest are refused unchecked. A right password
   * clears the count only while the account is still unlocked (or locked by this very attempt),
   * so a lock set by the burst while the password was being checked stands; and it only takes
   * off the attempts counted up to its own, so guesses counted after it still lead to the lock.
   */
  async login(input: LoginInput, from: Actor): Promise<LoginResult> {
    const actor = (s?: Staff | null): Actor => ({ type: 'staff', id: s?.id ?? null, role: s?.role ?? null, ip: from.ip, requestId: from.requestId });
    const fail = async (s: Staff | null, reason: string, extra: Record<string, unknown> = {}) =>
      // No password and, for unknown accounts, no username: people type passwords into the username box.
      this.audit.record(actor(s), 'staff.login', { allowed: false, details: { reason, ...(s ? { username: s.username } : {}), ...extra } });

    const wait = await this.loginLimit.hit(from.ip ?? 'none');
    if (wait !== null) {
      await fail(null, 'rate_limited', { retryAfterSeconds: wait });
      throw rateLimited('Too many login attempts from this address; please wait a moment', wait);
    }
    const repo = this.db.getRepository(Staff);
    const staff = await repo.findOne({ where: { username: input.username } });
    const now = this.clock.now();

    if (!staff || !staff.active) {
      const lockedUntil = await this.countUnusableFailure(input.username, now);
      await verifyPassword(input.password, await this.dummyHash());
      await fail(staff, staff ? 'inactive' : 'unknown_user', lockedUntil ? { lockedUntil: lockedUntil.toISOString() } : {});
      throw lockedUntil ? accountLocked(lockedUntil) : invalidCredentials();
    }

    const reserved = await this.reserveAttempt(staff.id, now);
    // An outsider's guesses lock the account for everyone but the addresses it has logged in from
    // before: there it has a counter of its own (per account and address), so guessing from
    // elsewhere cannot keep the clinic's own staff out for good.
    let viaKnownAddress: { lockedUntil: Date | null } | null = null;
    if (reserved.locked && (await this.isKnownAddress(staff.id, from.ip, now))) {
      const pair = await this.reserveKnownAddressAttempt(staff.id, from.ip, now);
      if (!pair.locked) viaKnownAddress = { lockedUntil: pair.lockedUntil };
      else Object.assign(reserved, { lockedUntil: pair.lockedUntil > reserved.lockedUntil ? pair.lockedUntil : reserved.lockedUntil });
    }
    if (reserved.locked && !viaKnownAddress) {
      // The password is not tested while locked, but the same work is done so timing says nothing.
      await verifyPassword(input.password, await this.dummyHash());
      await fail(staff, 'locked', { lockedUntil: reserved.lockedUntil.toISOString() });
      throw accountLocked(reserved.lockedUntil);
    }
    // From a known address while the account is locked, the address's own counter stands in for
    // the account's (which this attempt did not touch).
    const attempt: Extract<Attempt, { locked: false }> = reserved.locked
      ? { locked: false, slot: 0, lockedUntil: viaKnownAddress?.lockedUntil ?? null }
      : reserved;

    if (!(await verifyPassword(input.password, staff.passwordHash))) {
      await fail(staff, 'wrong_password', {
        ...(attempt.lockedUntil ? { lockedUntil: attempt.lockedUntil.toISOString() } : {}), ...(viaKnownAddress ? { knownAddress: true } : {}),
      });
      throw attempt.lockedUntil ? accountLocked(attempt.lockedUntil) : invalidCredentials();
    }

    // Second factor (ASVS L2): the password alone is not enough for an account with TOTP.
    const second: Record<string, unknown> = {};
    if (staff.totpEnabledAt) {
      if (input.otp === undefined && input.recoveryCode === undefined) {
        // Not a failed attempt: the password was right. Only this attempt comes off the count, so
        // asking without a code cannot wipe the wrong codes counted before it.
        if (!viaKnownAddress) await this.releaseAttempt(staff.id, attempt);
        await fail(staff, 'otp_required');
        throw new AppError(StaffErrors.STAFF_OTP_REQUIRED, 'Enter the 6-digit code from your authenticator app, or a recovery code');
      }
      if (input.otp !== undefined) {
        if (!(await this.totp.verify(staff.id, input.otp))) {
          await fail(staff, 'wrong_otp', attempt.lockedUntil ? { lockedUntil: attempt.lockedUntil.toISOString() } : {});
          throw attempt.lockedUntil ? accountLocked(attempt.lockedUntil) : otpInvalid();
        }
        second.factor = 'totp';
      } else {
        const left = await this.totp.useRecoveryCode(staff.id, input.recoveryCode as string);
        if (left === null) {
          await fail(staff, 'wrong_recovery_code', attempt.lockedUntil ? { lockedUntil: attempt.lockedUntil.toISOString() } : {});
          throw attempt.lockedUntil ? accountLocked(attempt.lockedUntil) : otpInvalid();
        }
        Object.assign(second, { factor: 'recovery_code', recoveryCodesLeft: left });
      }
    }

    if (viaKnownAddress) {
      // The account's lock stands for everyone else; only this address's counter is cleared.
      await this.redis.del(this.knownAddressCounterKey(staff.id, from.ip));
    } else {
      const lockedMeanwhile = await this.clearFailures(staff.id, attempt);
      if (lockedMeanwhile) {
        // Concurrent guesses locked the account while this password was being checked: refused.
        await fail(staff, 'locked_during_login', { lockedUntil: lockedMeanwhile.toISOString() });
        throw accountLocked(lockedMeanwhile);
      }
    }
    // A role that must have TOTP and has none gets a session that can only enrol it.
    const enrolOnly = !staff.totpEnabledAt && this.config.auth.staffTotpRequiredRoles.includes(staff.role);
    const session = await this.sessions.create(
      { kind: 'staff', staffId: staff.id, publicId: staff.publicId, role: staff.role, ...(enrolOnly ? { totpEnrolOnly: true } : {}) },
      this.config.auth.staffSessionTtlSeconds,
    );
    // A role change, deactivation or password change committed while we were hashing would not
    // have revoked this new session (it did not exist yet); one committed after this read will.
    const fresh = await repo.findOne({ where: { id: staff.id }, select: { id: true, role: true, active: true, passwordHash: true } });
    if (!fresh || !fresh.active || fresh.role !== staff.role || fresh.passwordHash !== staff.passwordHash) {
      await this.sessions.revoke(session.tokenHash);
      await fail(staff, 'changed_during_login');
      throw new AppError(CommonErrors.CONFLICT, 'The account changed while logging in; please try again');
    }
    // A hash of an older cost is replaced now that the password is known (only over the hash just
    // verified: a password change meanwhile wins). A failure here must not fail the login.
    await this.markKnownAddress(staff.id, from.ip, now);
    let rehashed = false;
    if (passwordNeedsRehash(staff.passwordHash, this.scryptCost)) {
      const upgraded = await hashPassword(input.password, this.scryptCost);
      const res = await repo.update({ id: staff.id, passwordHash: staff.passwordHash }, { passwordHash: upgraded }).catch(() => ({ affected: 0 }));
      rehashed = Boolean(res.affected);
    }
    await this.audit.record(actor(staff), 'staff.login', {
      allowed: true,
      details: { username: staff.username, ...second, ...(enrolOnly ? { totpEnrolmentRequired: true } : {}), ...(rehashed ? { passwordRehashed: true } : {}) },
    });
    return {
      token: session.token, expiresIn: session.expiresIn, staff: summaryOf(staff), ...(enrolOnly ? { totpEnrolmentRequired: true as const } : {}),
    };
  }

  /** Starts TOTP enrolment: a new secret and its otpauth:// URI, for the console to show as a QR. */
  async startTotp(actor: Actor, staffId: number): Promise<{ secret: string; otpauthUri: string }> {
    const staff = await this.activeStaff(staffId);
    if (staff.totpEnabledAt) throw new AppError(StaffErrors.STAFF_TOTP_ALREADY_ENABLED, 'TOTP is already on; turn it off first to enrol another device');
    const started = await this.totp.start(staff.id, staff.username);
    // Never the secret or the URI in the audit row.
    await this.audit.record(actor, 'staff.totp.start', { details: { staff: staff.publicId } });
    return started;
  }

  /**
   * Turns TOTP on with a first code from the enrolled secret. Answers the recovery codes, shown
   * this once (stored as keyed hashes). This session may then do everything; the others end.
   */
  async confirmTotp(actor: Actor, me: { staffId: number; tokenHash: string }, otp: string): Promise<{ recoveryCodes: string[] }> {
    const staff = await this.activeStaff(me.staffId);
    let recoveryCodes: string[];
    try {
      recoveryCodes = await runInTransaction(this.db, async (m) => {
        const row = await m.getRepository(Staff).findOne({ where: { id: staff.id }, lock: { mode: 'pessimistic_write' } });
        if (row?.totpEnabledAt) throw new AppError(StaffErrors.STAFF_TOTP_ALREADY_ENABLED, 'TOTP is already on');
        const codes = await this.totp.confirm(m, staff.id, otp);
        await this.audit.record(actor, 'staff.totp.enable', { details: { staff: staff.publicId, recoveryCodes: codes.length, otherSessionsRevoked: true } }, m);
        return codes;
      });
    } catch (err) {
      if (err instanceof AppError && err.code === StaffErrors.STAFF_TOTP_CODE_WRONG) {
        await this.audit.record(actor, 'staff.totp.enable', { allowed: false, details: { staff: staff.publicId, reason: 'wrong_code' } });
      }
      throw err;
    }
    await this.sessions.update(me.tokenHash, { totpEnrolOnly: false });
    await this.sessions.revokeAll({ kind: 'staff', staffId: staff.id }, { except: me.tokenHash });
    return { recoveryCodes };
  }

  /**
   * Turns one's own TOTP off with a current code; the recovery codes go too. Wrong codes count
   * toward the lockout like wrong passwords (a stolen session must not be able to guess its way
   * to turning the second factor off). Refused for a role that must keep TOTP.
   */
  async disableTotp(actor: Actor, staffId: number, otp: string): Promise<void> {
    const staff = await this.activeStaff(staffId);
    if (!staff.totpEnabledAt) throw new AppError(StaffErrors.STAFF_TOTP_NOT_ENABLED, 'TOTP is not on');
    if (this.config.auth.staffTotpRequiredRoles.includes(staff.role)) {
      throw new AppError(StaffErrors.STAFF_TOTP_REQUIRED, 'Your role must keep a second factor; ask another director to reset it to enrol a new device');
    }
    const refuse = (reason: string, lockedUntil?: Date | null) =>
      this.audit.record(actor, 'staff.totp.disable', { allowed: false, details: { staff: staff.publicId, reason, ...(lockedUntil ? { lockedUntil: lockedUntil.toISOString() } : {}) } });
    const attempt = await this.reserveAttempt(staff.id, this.clock.now());
    if (attempt.locked) {
      await refuse('locked', attempt.lockedUntil);
      throw accountLocked(attempt.lockedUntil);
    }
    const ok = await runInTransaction(this.db, async (m) => {
      if (!(await this.totp.verify(staff.id, otp, m))) return false;
      await this.totp.clear(m, staff.id);
      await this.audit.record(actor, 'staff.totp.disable', { details: { staff: staff.publicId } }, m);
      return true;
    });
    if (!ok) {
      await refuse('wrong_code', attempt.lockedUntil);
      if (attempt.lockedUntil) throw accountLocked(attempt.lockedUntil);
      throw new AppError(StaffErrors.STAFF_TOTP_CODE_WRONG, 'The code does not match', { field: 'body.otp' });
    }
    await this.clearFailures(staff.id, attempt);
  }

  /**
   * The director turns a colleague's TOTP off (lost phone and recovery codes): their sessions end,
   * and at the next login a role that must have TOTP can only enrol again.
   */
  async resetTotp(actor: Actor, staffPublicId: string): Promise<StaffView> {
    const target = await this.findByPublicId(staffPublicId);
    if (actor.type === 'staff' && actor.id === target.id) {
      throw new AppError(StaffErrors.OWN_TOTP_RESET, 'Turn your own TOTP off with DELETE /api/staff/me/totp');
    }
    const staff = await runInTransaction(this.db, async (m) => {
      const repo = m.getRepository(Staff);
      const row = await repo.findOne({ where: { id: target.id }, lock: { mode: 'pessimistic_write' } });
      if (!row) throw notFound('Staff member');
      await this.totp.clear(m, row.id);
      await this.audit.record(actor, 'staff.totp.reset', { details: { staff: row.publicId, wasEnabled: Boolean(row.totpEnabledAt), sessionsRevoked: true } }, m);
      return repo.findOneByOrFail({ id: row.id });
    });
    await this.sessions.revokeAll({ kind: 'staff', staffId: staff.id });
    return viewOf(staff);
  }

  private async activeStaff(staffId: number): Promise<Staff> {
    const staff = await this.db.getRepository(Staff).findOne({ where: { id: staffId } });
    if (!staff || !staff.active) throw new AppError(CommonErrors.TOKEN_INVALID, 'This session is no longer valid; please log in again');
    return staff;
  }

  /** Ends the session the request came with. */
  async logout(actor: Actor, tokenHash: string): Promise<void> {
    await this.sessions.revoke(tokenHash);
    await this.audit.record(actor, 'staff.logout');
  }

  /**
   * A staff member changes their own password. The current one is checked as at login: counted
   * toward the lockout before it is tested, not tested while the account is locked. On success
   * every other session of theirs ends (a leaked password may have opened them); `me.tokenHash`,
   * the session making the change, stays.
   */
  async changePassword(
    actor: Actor, me: { staffId: number; tokenHash: string }, input: { currentPassword: string; newPassword: string },
  ): Promise<{ revoked: number }> {
    const staff = await this.db.getRepository(Staff).findOne({ where: { id: me.staffId } });
    // Deactivation ends the sessions; this one lost the race with it.
    if (!staff || !staff.active) throw new AppError(CommonErrors.TOKEN_INVALID, 'This session is no longer valid; please log in again');
    // No password in the audit, neither the current nor the new one.
    const refuse = (reason: string, lockedUntil?: Date | null) =>
      this.audit.record(actor, 'staff.password.change', {
        allowed: false, details: { reason, staff: staff.publicId, ...(lockedUntil ? { lockedUntil: lockedUntil.toISOString() } : {}) },
      });

    const attempt = await this.reserveAttempt(staff.id, this.clock.now());
    if (attempt.locked) {
      await refuse('locked', attempt.lockedUntil);
      throw accountLocked(attempt.lockedUntil);
    }
    if (!(await verifyPassword(input.currentPassword, staff.passwordHash))) {
      await refuse('wrong_password', attempt.lockedUntil);
      throw attempt.lockedUntil ? accountLocked(attempt.lockedUntil) : currentPasswordWrong();
    }
    const lockedMeanwhile = await this.clearFailures(staff.id, attempt);
    if (lockedMeanwhile) {
      await refuse('locked_during_change', lockedMeanwhile);
      throw accountLocked(lockedMeanwhile);
    }

    const passwordHash = await hashPassword(input.newPassword, this.scryptCost);
    const changed = await runInTransaction(this.db, async (m) => {
      // Only over the hash just verified: of two concurrent changes, the second is refused, not lost.
      const { affected } = await m.getRepository(Staff).update({ id: staff.id, passwordHash: staff.passwordHash }, { passwordHash });
      if (!affected) return false;
      await this.audit.record(actor, 'staff.password.change', { details: { staff: staff.publicId, otherSessionsRevoked: true } }, m);
      return true;
    });
    if (!changed) {
      await refuse('changed_meanwhile');
      throw new AppError(CommonErrors.CONFLICT, 'The password was changed meanwhile; please log in again');
    }
    // After commit: a login racing with this change re-reads the hash after creating its session.
    const revoked = await this.sessions.revokeAll({ kind: 'staff', staffId: staff.id }, { except: me.tokenHash });
    return { revoked };
  }

  /**
   * The director sets a new password for a colleague who forgot theirs or whose password leaked:
   * every session of theirs ends and a lockout is lifted. Not for the director's own account
   * (OWN_PASSWORD_RESET): that goes through `changePassword`, which asks for the current one.
   */
  async resetPassword(actor: Actor, staffPublicId: string, newPassword: string): Promise<StaffView> {
    const target = await this.findByPublicId(staffPublicId);
    if (actor.type === 'staff' && actor.id === target.id) {
      throw new AppError(StaffErrors.OWN_PASSWORD_RESET, 'Change your own password with POST /api/staff/me/password');
    }
    // Hashed before the transaction, so the row lock is not held through scrypt.
    const passwordHash = await hashPassword(newPassword, this.scryptCost);
    const staff = await runInTransaction(this.db, async (m) => {
      const repo = m.getRepository(Staff);
      const row = await repo.findOne({ where: { id: target.id }, lock: { mode: 'pessimistic_write' } });
      if (!row) throw notFound('Staff member');
      await repo.update({ id: row.id }, { passwordHash, failedAttempts: 0, lockedUntil: null });
      await this.audit.record(actor, 'staff.password.reset', {
        details: {
          staff: row.publicId, failedAttempts: row.failedAttempts, lockedUntil: row.lockedUntil?.toISOString() ?? null, sessionsRevoked: true,
        },
      }, m);
      return repo.findOneByOrFail({ id: row.id });
    });
    // After commit, as in `update`: a login racing with the reset re-reads the hash after creating its session.
    await this.sessions.revokeAll({ kind: 'staff', staffId: staff.id });
    return viewOf(staff);
  }

  /** The logged-in staff member. */
  async me(staffId: number): Promise<MeView> {
    const staff = await this.db.getRepository(Staff).findOne({ where: { id: staffId } });
    if (!staff) throw notFound('Staff member');
    return {
      ...summaryOf(staff), active: Boolean(staff.active), totpEnabled: Boolean(staff.totpEnabledAt),
      totpRequired: this.config.auth.staffTotpRequiredRoles.includes(staff.role),
    };
  }

  /** Creates an account (director only at the route). Username must be free. */
  async create(actor: Actor, input: NewStaff): Promise<StaffView> {
    const taken = () => new AppError(StaffErrors.USERNAME_TAKEN, 'That username is already in use', { field: 'body.username' });
    // Checked first so the usual case never reaches a failed INSERT (whose parameters TypeORM logs).
    if (await this.db.getRepository(Staff).exists({ where: { username: input.username } })) throw taken();
    const passwordHash = await hashPassword(input.password, this.scryptCost);
    try {
      const saved = await runInTransaction(this.db, async (m) => {
        const repo = m.getRepository(Staff);
        const row = await repo.save(repo.create({
          publicId: publicId(), username: input.username, displayName: input.displayName, role: input.role,
          passwordHash, failedAttempts: 0, lockedUntil: null, active: true,
        }));
        await this.audit.record(actor, 'staff.create', { details: { staff: row.publicId, username: row.username, role: row.role } }, m);
        return row;
      });
      return viewOf(await this.db.getRepository(Staff).findOneByOrFail({ id: saved.id }));
    } catch (err) {
      if (isDuplicateKey(err)) throw taken();
      throw err;
    }
  }

  /** For the demo seed: creates the account when the username is free, otherwise returns it unchanged. */
  async ensureStaff(input: NewStaff): Promise<Staff> {
    const repo = this.db.getRepository(Staff);
    const existing = await repo.findOne({ where: { username: input.username } });
    if (existing) return existing;
    try {
      const view = await this.create(SYSTEM_ACTOR, input);
      return repo.findOneByOrFail({ publicId: view.id });
    } catch (err) {
      if (err instanceof AppError && err.code === StaffErrors.USERNAME_TAKEN) return repo.findOneByOrFail({ username: input.username });
      throw err;
    }
  }

  /** All accounts, optionally of one role or activity. */
  async list(actor: Actor, filter: { role?: StaffRole; active?: boolean } = {}): Promise<StaffView[]> {
    const where: { role?: StaffRole; active?: boolean } = {};
    if (filter.role) where.role = filter.role;
    if (filter.active !== undefined) where.active = filter.active;
    const rows = await this.db.getRepository(Staff).find({ where, order: { id: 'ASC' } });
    await this.audit.record(actor, 'staff.list', { details: { ...filter, count: rows.length } });
    return rows.map(viewOf);
  }

  /** Active colleagues by name, for pickers (an order's doctor, a task's assignee): no account details, so any staff role may ask. */
  async colleagues(filter: { role?: StaffRole } = {}): Promise<{ id: string; displayName: string; role: StaffRole }[]> {
    const rows = await this.db.getRepository(Staff).find({ where: { active: true, ...(filter.role ? { role: filter.role } : {}) }, order: { displayName: 'ASC' } });
    return rows.map((r) => ({ id: r.publicId, displayName: r.displayName, role: r.role }));
  }

  /**
   * Changes name, role or activity. A role change or deactivation ends every session of that
   * person at once (sessions carry the role). The last active director cannot be removed.
   */
  async update(actor: Actor, staffPublicId: string, patch: StaffPatch): Promise<StaffView> {
    const { staff, revoke } = await runInTransaction(this.db, async (m) => {
      const repo = m.getRepository(Staff);
      // Directors first, in id order, so two concurrent demotions queue instead of deadlocking.
      const mayDropDirector = patch.role !== undefined || patch.active === false;
      const directors = mayDropDirector ? await this.lockActiveDirectors(m) : [];
      const row = await repo.findOne({ where: { publicId: staffPublicId }, lock: { mode: 'pessimistic_write' } });
      if (!row) throw notFound('Staff member');

      const changes: Record<string, { from: unknown; to: unknown }> = {};
      for (const key of ['displayName', 'role', 'active'] as const) {
        const to = patch[key];
        if (to !== undefined && to !== (key === 'active' ? Boolean(row.active) : row[key])) changes[key] = { from: row[key], to };
      }
      const wasDirector = row.role === 'director' && Boolean(row.active);
      const staysDirector = (patch.role ?? row.role) === 'director' && (patch.active ?? Boolean(row.active));
      if (wasDirector && !staysDirector && !directors.some((id) => id !== row.id)) {
        throw new AppError(StaffErrors.LAST_DIRECTOR, 'This is the last active director; appoint another director first');
      }
      // Revoked whenever the patch sets a role or deactivates, even when the row already says so:
      // a retry of a change whose revocation failed after commit (Redis blip, crash) must revoke.
      const revokeNeeded = patch.role !== undefined || patch.active === false;
      if (Object.keys(changes).length === 0) {
        if (revokeNeeded) await this.audit.record(actor, 'staff.update', { details: { staff: row.publicId, changes, sessionsRevoked: true } }, m);
        return { staff: row, revoke: revokeNeeded };
      }

      await repo.update({ id: row.id }, {
        ...(changes.displayName ? { displayName: patch.displayName } : {}),
        ...(changes.role ? { role: patch.role } : {}),
        ...(changes.active ? { active: patch.active } : {}),
      });
      await this.audit.record(actor, 'staff.update', { details: { staff: row.publicId, changes, sessionsRevoked: revokeNeeded } }, m);
      return { staff: await repo.findOneByOrFail({ id: row.id }), revoke: revokeNeeded };
    });
    // After commit: a login racing with this change re-reads the row after creating its session.
    if (revoke) await this.sessions.revokeAll({ kind: 'staff', staffId: staff.id });
    return viewOf(staff);
  }

  /** Ends every session of a staff member (lost phone, suspected leak). */
  async revokeSessions(actor: Actor, staffPublicId: string): Promise<{ revoked: number }> {
    const staff = await this.findByPublicId(staffPublicId);
    const revoked = await this.sessions.revokeAll({ kind: 'staff', staffId: staff.id });
    await this.audit.record(actor, 'staff.revoke_sessions', { details: { staff: staff.publicId, revoked } });
    return { revoked };
  }

  /** Lifts a lockout and clears the failure count. */
  async unlock(actor: Actor, staffPublicId: string): Promise<StaffView> {
    // One transaction: the unlock and its audit row commit together or not at all.
    const staff = await runInTransaction(this.db, async (m) => {
      const repo = m.getRepository(Staff);
      const row = await repo.findOne({ where: { publicId: staffPublicId }, lock: { mode: 'pessimistic_write' } });
      if (!row) throw notFound('Staff member');
      await repo.update({ id: row.id }, { failedAttempts: 0, lockedUntil: null });
      await this.audit.record(actor, 'staff.unlock', {
        details: { staff: row.publicId, failedAttempts: row.failedAttempts, lockedUntil: row.lockedUntil?.toISOString() ?? null },
      }, m);
      return repo.findOneByOrFail({ id: row.id });
    });
    return viewOf(staff);
  }

  /**
   * The operation log for the director, newest first, keyset-paged by `before`. Public ids in
   * the filter are resolved to rows; an unknown one matches nothing. The listing is itself logged.
   */
  async listAudit(actor: Actor, filter: AuditFilter): Promise<AuditPage> {
    const page = await this.queryAudit(filter);
    const { limit, ...logged } = filter;
    await this.audit.record(actor, 'audit.list', {
      details: { ...logged, from: filter.from?.toISOString(), to: filter.to?.toISOString(), limit, count: page.items.length },
    });
    return page;
  }

  /** One page of the log with public ids, unaudited: for listAudit and the log's export (which audits each batch). */
  async queryAudit(filter: AuditFilter): Promise<AuditPage> {
    const empty: AuditPage = { items: [], nextBefore: null };
    let clientId: number | undefined;
    let actorId: number | undefined;
    if (filter.clientId !== undefined) {
      const client = await this.db.getRepository(Client).findOne({ where: { publicId: filter.clientId }, select: { id: true } });
      if (!client) return empty;
      clientId = client.id;
    }
    if (filter.staffId !== undefined) {
      const staff = await this.db.getRepository(Staff).findOne({ where: { publicId: filter.staffId }, select: { id: true } });
      if (!staff) return empty;
      actorId = staff.id;
    }
    // One row more than asked for: its presence is what says there is a next page.
    const fetched = await this.audit.list({
      clientId, actorId, action: filter.action, from: filter.from, to: filter.to, limit: filter.limit + 1, beforeId: filter.before,
    });
    const hasMore = fetched.length > filter.limit;
    const rows = fetched.slice(0, filter.limit);

    const staffIds = [...new Set(rows.filter((r) => r.actorType === 'staff' && r.actorId !== null).map((r) => r.actorId as number))];
    // Clients appear both as the subject of a row and as its actor (their own actions, route.denied).
    const clientIds = [...new Set([
      ...rows.filter((r) => r.clientId !== null).map((r) => r.clientId as number),
      ...rows.filter((r) => r.actorType === 'client' && r.actorId !== null).map((r) => r.actorId as number),
    ])];
    const staffPub = new Map((staffIds.length ? await this.db.getRepository(Staff).find({ where: { id: In(staffIds) }, select: { id: true, publicId: true } }) : []).map((s) => [s.id, s.publicId]));
    const clientPub = new Map((clientIds.length ? await this.db.getRepository(Client).find({ where: { id: In(clientIds) }, select: { id: true, publicId: true } }) : []).map((c) => [c.id, c.publicId]));

    const items: AuditItem[] = rows.map((r) => ({
      id: String(r.id),
      at: r.at.toISOString(),
      actor: {
        type: r.actorType,
        id: r.actorId === null ? null : r.actorType === 'staff' ? staffPub.get(r.actorId) ?? null : r.actorType === 'client' ? clientPub.get(r.actorId) ?? null : null,
        role: r.actorRole,
      },
      action: r.action,
      clientId: r.clientId === null ? null : clientPub.get(r.clientId) ?? null,
      allowed: Boolean(r.allowed),
      ip: r.ip,
      requestId: r.requestId,
      details: r.details,
    }));
    return { items, nextBefore: hasMore && items.length ? items[items.length - 1].id : null };
  }

  /**
   * Counts this attempt against a real account before its password is checked, in one short
   * transaction: `failed_attempts + 1` in SQL, only while not locked, locking when the count
   * reaches the limit. No row changed means the account is locked: the attempt is refused unchecked.
   */
  private async reserveAttempt(staffId: number, now: Date): Promise<Attempt> {
    const limit = this.config.auth.staffLockoutAttempts;
    const lockUntil = new Date(now.getTime() + this.config.auth.staffLockoutMinutes * 60_000);
    return runInTransaction(this.db, async (m) => {
      // A lock that has run out: the failures count from zero again.
      await m.query('UPDATE staff SET failed_attempts = 0, locked_until = NULL WHERE id = ? AND locked_until IS NOT NULL AND locked_until <= ?', [staffId, now]);
      // locked_until is assigned first and reads the old failed_attempts, so the statement means
      // the same whether MariaDB assigns left to right or simultaneously.
      const reserved = (await m.query(
        'UPDATE staff SET locked_until = IF(failed_attempts + 1 >= ?, ?, NULL), failed_attempts = failed_attempts + 1 ' +
          'WHERE id = ? AND (locked_until IS NULL OR locked_until <= ?)',
        [limit, lockUntil, staffId, now],
      )) as { affectedRows?: number };
      // Our row lock (held to commit) makes this read show exactly this attempt's count.
      const row = await m.getRepository(Staff).findOne({ where: { id: staffId }, select: { id: true, failedAttempts: true, lockedUntil: true } });
      if (!reserved.affectedRows) return { locked: true, lockedUntil: row?.lockedUntil ?? lockUntil };
      return { locked: false, slot: row?.failedAttempts ?? limit, lockedUntil: row?.lockedUntil ?? null };
    });
  }

  /**
   * After a right password: takes this attempt and the failures counted before it off the count,
   * but only while the account is unlocked, or locked by this very attempt (the limit-th attempt
   * was the right one). Guesses counted after this attempt stay counted. Returns the lock that
   * refuses the login, or null when cleared.
   */
  private async clearFailures(staffId: number, attempt: Extract<Attempt, { locked: false }>): Promise<Date | null> {
    const now = this.clock.now();
    const cleared = (await this.db.query(
      'UPDATE staff SET failed_attempts = IF(failed_attempts > ?, failed_attempts - ?, 0), locked_until = NULL ' +
        'WHERE id = ? AND ((locked_until IS NULL OR locked_until <= ?) OR (locked_until = ? AND failed_attempts = ?))',
      [attempt.slot, attempt.slot, staffId, now, attempt.lockedUntil ?? new Date(0), attempt.slot],
    )) as { affectedRows?: number };
    if (cleared.affectedRows) return null;
    const row = await this.db.getRepository(Staff).findOne({ where: { id: staffId }, select: { id: true, lockedUntil: true } });
    return row?.lockedUntil ?? now;
  }

  private knownAddressKey(staffId: number, ip: string | null): string {
    return `staff-known-addr:${staffId}:${sha256(ip ?? 'none').slice(0, 32)}`;
  }
  private knownAddressCounterKey(staffId: number, ip: string | null): string {
    return `staff-addr-fail:${staffId}:${sha256(ip ?? 'none').slice(0, 32)}`;
  }

  /** Remembers the address of a successful login (by the injected clock; the key's TTL only bounds memory). */
  private async markKnownAddress(staffId: number, ip: string | null, now: Date): Promise<void> {
    if (!ip) return;
    await this.redis.set(this.knownAddressKey(staffId, ip), String(now.getTime()), 'EX', (KNOWN_ADDRESS_DAYS + 1) * 86400).catch(() => undefined);
  }

  private async isKnownAddress(staffId: number, ip: string | null, now: Date): Promise<boolean> {
    if (!ip) return false;
    const at = await this.redis.get(this.knownAddressKey(staffId, ip)).catch(() => null);
    return at !== null && now.getTime() - Number(at) <= KNOWN_ADDRESS_DAYS * 86400_000;
  }

  private async reserveKnownAddressAttempt(staffId: number, ip: string | null, now: Date): Promise<{ locked: true; lockedUntil: Date } | { locked: false; lockedUntil: Date | null }> {
    const { refused, lockedUntil } = await this.countAttempt(this.knownAddressCounterKey(staffId, ip), now);
    return refused ? { locked: true, lockedUntil: lockedUntil as Date } : { locked: false, lockedUntil };
  }

  /** Counts one attempt on a Redis counter (COUNT_ATTEMPT_SCRIPT) with the accounts' limit and lock length. */
  private async countAttempt(key: string, now: Date): Promise<{ refused: boolean; lockedUntil: Date | null }> {
    const lockMs = this.config.auth.staffLockoutMinutes * 60_000;
    const [refused, untilMs] = (await this.redis.eval(
      COUNT_ATTEMPT_SCRIPT, 1, key, now.getTime(), this.config.auth.staffLockoutAttempts, lockMs, Math.ceil(lockMs / 1000) + UNKNOWN_FAILURE_TTL_SECONDS,
    )) as [number, number];
    return { refused: Number(refused) === 1, lockedUntil: Number(untilMs) > 0 ? new Date(Number(untilMs)) : null };
  }

  /**
   * Takes this one attempt off the count (a right password that still needs its second factor):
   * while unlocked, or when this attempt set the lock and nothing was counted after it.
   */
  private async releaseAttempt(staffId: number, attempt: Extract<Attempt, { locked: false }>): Promise<void> {
    if (attempt.lockedUntil) {
      await this.db.query(
        'UPDATE staff SET locked_until = NULL, failed_attempts = failed_attempts - 1 WHERE id = ? AND locked_until = ? AND failed_attempts = ?',
        [staffId, attempt.lockedUntil, attempt.slot],
      );
      return;
    }
    await this.db.query(
      'UPDATE staff SET failed_attempts = failed_attempts - 1 WHERE id = ? AND failed_attempts > 0 AND (locked_until IS NULL OR locked_until <= ?)',
      [staffId, this.clock.now()],
    );
  }

  /**
   * Counts a failed login for a username with no usable account (unknown or inactive), by the
   * same rules and limit as a real account, so after N wrong guesses both answer ACCOUNT_LOCKED
   * alike. Keyed by the username as the database compares it (utf8mb4_unicode_ci: case, accents
   * and trailing spaces ignored), hashed so typed-in passwords are not kept. Returns the lock
   * end when this attempt is refused or reaches the limit, else null.
   */
  private async countUnusableFailure(username: string, now: Date): Promise<Date | null> {
    try {
      const [{ w }] = (await this.db.query(
        'SELECT HEX(WEIGHT_STRING(CONVERT(? USING utf8mb4) COLLATE utf8mb4_unicode_ci)) AS w',
        [username.replace(/ +$/, '')],
      )) as Array<{ w: string }>;
      return (await this.countAttempt(`staff-login-fail:${sha256(w).slice(0, 32)}`, now)).lockedUntil;
    } catch {
      // Redis (or the database) unavailable: answer as a first wrong guess rather than fail (a 500
      // here, where a real account answers 401, would itself tell the two apart).
      return null;
    }
  }

  private async lockActiveDirectors(m: EntityManager): Promise<number[]> {
    const rows = await m.getRepository(Staff).find({
      where: { role: 'director', active: true }, select: { id: true }, order: { id: 'ASC' }, lock: { mode: 'pessimistic_write' },
    });
    return rows.map((r) => r.id);
  }

  private async findByPublicId(id: string): Promise<Staff> {
    const staff = await this.db.getRepository(Staff).findOne({ where: { publicId: id } });
    if (!staff) throw notFound('Staff member');
    return staff;
  }

  private dummyHash(): Promise<string> {
    return (this.dummy ??= hashPassword(newToken(), this.scryptCost));
  }
}
