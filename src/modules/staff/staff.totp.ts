import * as OTPAuth from 'otpauth';
import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '../../shared/clock';
import { randomCode, type FieldCipher } from '../../shared/crypto';
import { AppError } from '../../shared/errors';
import { StaffErrors } from './staff.errors';

/** RFC 6238 as authenticator apps expect it: SHA-1, 6 digits, 30 s; one step either side for clock drift. */
const PERIOD = 30;
const WINDOW = 1;
export const RECOVERY_CODE_COUNT = 10;

/** Associated data of a staff member's TOTP secret and of the one being enrolled (re-encryption needs them too). */
export const totpAad = {
  secret: (staffId: number) => `staff:${staffId}:totp_secret`,
  pending: (staffId: number) => `staff:${staffId}:totp_pending`,
};
const secretAad = totpAad.secret;
const pendingAad = totpAad.pending;

/** Recovery codes as people type them: case, spaces and dashes do not matter. */
function normalizeRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

/**
 * Staff TOTP (ASVS L2 multi-factor): enrolment with a pending secret confirmed by a first code,
 * codes good once (the last accepted time step is kept), single-use recovery codes stored as keyed
 * hashes. Secrets are encrypted with the field cipher, bound to their row and column.
 */
export class StaffTotp {
  constructor(private readonly deps: { db: DataSource; cipher: FieldCipher; clock: Clock; issuer: string }) {}

  private totp(secretBase32: string, label: string): OTPAuth.TOTP {
    return new OTPAuth.TOTP({
      issuer: this.deps.issuer, label, algorithm: 'SHA1', digits: 6, period: PERIOD, secret: OTPAuth.Secret.fromBase32(secretBase32),
    });
  }

  /** The time step a code matches (within the drift window), or null. */
  private stepOf(secretBase32: string, otp: string): number | null {
    const timestamp = this.deps.clock.now().getTime();
    const delta = this.totp(secretBase32, 'x').validate({ token: otp, timestamp, window: WINDOW });
    return delta === null ? null : Math.floor(timestamp / 1000 / PERIOD) + delta;
  }

  private async secrets(staffId: number, m: EntityManager | DataSource = this.deps.db): Promise<{ secret: string | null; pending: string | null }> {
    const [row] = (await m.query('SELECT totp_secret_enc AS s, totp_pending_enc AS p FROM staff WHERE id = ?', [staffId])) as Array<{ s: Buffer | null; p: Buffer | null }>;
    return {
      secret: row?.s ? this.deps.cipher.decrypt(row.s, secretAad(staffId)) : null,
      pending: row?.p ? this.deps.cipher.decrypt(row.p, pendingAad(staffId)) : null,
    };
  }

  /** Starts (or restarts) enrolment: a new pending secret and its otpauth:// URI for the QR. */
  async start(staffId: number, username: string): Promise<{ secret: string; otpauthUri: string }> {
    const secret = new OTPAuth.Secret({ size: 20 }).base32;
    await this.deps.db.query('UPDATE staff SET totp_pending_enc = ? WHERE id = ?', [this.deps.cipher.encrypt(secret, pendingAad(staffId)), staffId]);
    return { secret, otpauthUri: this.totp(secret, username).toString() };
  }

  /**
   * Turns TOTP on with a code from the pending secret; returns fresh recovery codes (shown once).
   * Runs in the caller's transaction with the staff row locked.
   */
  async confirm(m: EntityManager, staffId: number, otp: string): Promise<string[]> {
    const { pending } = await this.secrets(staffId, m);
    if (!pending) throw new AppError(StaffErrors.STAFF_TOTP_NOT_STARTED, 'Start enrolment first (POST /api/staff/me/totp)');
    const step = this.stepOf(pending, otp);
    if (step === null) throw codeWrong();
    await m.query(
      'UPDATE staff SET totp_secret_enc = ?, totp_pending_enc = NULL, totp_enabled_at = ?, totp_last_step = ? WHERE id = ?',
      [this.deps.cipher.encrypt(pending, secretAad(staffId)), this.deps.clock.now(), step, staffId],
    );
    return this.newRecoveryCodes(m, staffId);
  }

  /** Turns TOTP off after a current code; the recovery codes go with it. In the caller's transaction. */
  async disable(m: EntityManager, staffId: number, otp: string): Promise<void> {
    if (!(await this.verify(staffId, otp, m))) throw codeWrong();
    await this.clear(m, staffId);
  }

  async clear(m: EntityManager, staffId: number): Promise<void> {
    await m.query('UPDATE staff SET totp_secret_enc = NULL, totp_pending_enc = NULL, totp_enabled_at = NULL, totp_last_step = NULL WHERE id = ?', [staffId]);
    await m.query('DELETE FROM staff_recovery_codes WHERE staff_id = ?', [staffId]);
  }

  /**
   * True when the code matches the enabled secret at a later time step than any accepted before:
   * the step is claimed in one conditional UPDATE, so a code (even one sent twice at once) works once.
   */
  async verify(staffId: number, otp: string, m: EntityManager | DataSource = this.deps.db): Promise<boolean> {
    const { secret } = await this.secrets(staffId, m);
    if (!secret) return false;
    const step = this.stepOf(secret, otp);
    if (step === null) return false;
    const res = (await m.query(
      'UPDATE staff SET totp_last_step = ? WHERE id = ? AND totp_secret_enc IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < ?)',
      [step, staffId, step],
    )) as { affectedRows?: number };
    return Boolean(res.affectedRows);
  }

  /** Uses up one recovery code; returns how many are left, or null when the code is unknown or used. */
  async useRecoveryCode(staffId: number, code: string): Promise<number | null> {
    const res = (await this.deps.db.query(
      'UPDATE staff_recovery_codes SET used_at = ? WHERE staff_id = ? AND code_hash = ? AND used_at IS NULL',
      [this.deps.clock.now(), staffId, this.hashOf(staffId, code)],
    )) as { affectedRows?: number };
    if (!res.affectedRows) return null;
    const [{ n }] = (await this.deps.db.query('SELECT COUNT(*) AS n FROM staff_recovery_codes WHERE staff_id = ? AND used_at IS NULL', [staffId])) as Array<{ n: number | string }>;
    return Number(n);
  }

  private hashOf(staffId: number, code: string): string {
    return this.deps.cipher.blindIndex('staff-recovery-code', `${staffId}:${normalizeRecoveryCode(code)}`);
  }

  private async newRecoveryCodes(m: EntityManager, staffId: number): Promise<string[]> {
    // 10 characters of a 31-letter alphabet: about 50 bits each, shown as XXXXX-XXXXX.
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
      const c = randomCode(10);
      return `${c.slice(0, 5)}-${c.slice(5)}`;
    });
    await m.query('DELETE FROM staff_recovery_codes WHERE staff_id = ?', [staffId]);
    await m.query(
      `INSERT INTO staff_recovery_codes (staff_id, code_hash) VALUES ${codes.map(() => '(?, ?)').join(', ')}`,
      codes.flatMap((c) => [staffId, this.hashOf(staffId, c)]),
    );
    return codes;
  }
}

const codeWrong = () => new AppError(StaffErrors.STAFF_TOTP_CODE_WRONG, 'The code does not match; check the authenticator app and the phone clock', { field: 'body.otp' });
