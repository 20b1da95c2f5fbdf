import * as OTPAuth from 'otpauth';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createStaff, staffToken, TEST_PASSWORD } from '../helpers/factories';
import { Staff } from '../../src/modules/staff';
import { AuditEntry } from '../../src/modules/audit';
import { loadConfig } from '../../src/config';

// Every supertest request comes from 127.0.0.1: the per-IP staff login limit is lifted here.
describe('staff TOTP second factor', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext({ env: { STAFF_LOGIN_RATE_LIMIT_PER_IP: '1000000', STAFF_LOCKOUT_ATTEMPTS: '4', STAFF_TOTP_REQUIRED_ROLES: 'director' } });
  });
  afterAll(async () => { await t.close(); });

  const code = (secret: string) => OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), timestamp: t.clock.now().getTime() });
  const nextStep = () => t.clock.advance(30_000);
  const login = (username: string, extra: Record<string, string> = {}, password = TEST_PASSWORD) =>
    t.http.post('/api/staff/auth/login').send({ username, password, ...extra });
  const staffRow = (id: number) => t.deps.db.getRepository(Staff).findOneByOrFail({ id });
  const audits = (actorId: number, action: string) =>
    t.deps.db.getRepository(AuditEntry).find({ where: { action, actorId }, order: { id: 'ASC' } });

  /** Enrols through the API with a session of the staff member; returns the secret and the recovery codes. */
  const enrol = async (staff: Staff, token?: string) => {
    const auth = bearer(token ?? (await staffToken(t, staff)));
    const started = await t.http.post('/api/staff/me/totp').set(auth).expect(200);
    const confirmed = await t.http.post('/api/staff/me/totp/confirm').set(auth).send({ otp: code(started.body.secret) }).expect(200);
    nextStep();
    return { secret: started.body.secret as string, recoveryCodes: confirmed.body.recoveryCodes as string[], auth };
  };

  it('enrolment answers a secret and its otpauth URI, keeps the secret encrypted, and a first code turns it on with 10 recovery codes', async () => {
    const doctor = await createStaff(t, 'doctor');
    const auth = bearer(await staffToken(t, doctor));
    const other = bearer(await staffToken(t, doctor));

    const started = await t.http.post('/api/staff/me/totp').set(auth);
    expect(started.status).toBe(200);
    expect(started.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(started.body.otpauthUri).toMatch(new RegExp(`^otpauth://totp/Meiyan%20CRM:${doctor.username}\\?.*secret=${started.body.secret}`));
    const [stored] = await t.deps.db.query('SELECT totp_pending_enc AS p, totp_secret_enc AS s FROM staff WHERE id = ?', [doctor.id]);
    expect(stored.s).toBeNull();
    expect(Buffer.from(stored.p).toString('latin1')).not.toContain(started.body.secret);

    const wrong = await t.http.post('/api/staff/me/totp/confirm').set(auth).send({ otp: code(started.body.secret) === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatchObject({ code: 'STAFF_TOTP_CODE_WRONG', details: { field: 'body.otp' } });
    expect((await t.http.get('/api/staff/me').set(auth)).body.totpEnabled).toBe(false);

    const confirmed = await t.http.post('/api/staff/me/totp/confirm').set(auth).send({ otp: code(started.body.secret) });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.recoveryCodes).toHaveLength(10);
    expect(new Set(confirmed.body.recoveryCodes).size).toBe(10);
    const hashes = await t.deps.db.query('SELECT code_hash FROM staff_recovery_codes WHERE staff_id = ?', [doctor.id]);
    expect(hashes).toHaveLength(10);
    expect(JSON.stringify(hashes)).not.toContain(confirmed.body.recoveryCodes[0].replace('-', ''));
    expect((await t.http.get('/api/staff/me').set(auth)).body).toMatchObject({ totpEnabled: true, totpRequired: false });
    // Turning it on ends the other sessions, which never proved the second factor.
    expect((await t.http.get('/api/staff/me').set(other)).status).toBe(401);
    const rows = await audits(doctor.id, 'staff.totp.enable');
    expect(rows.map((r) => r.allowed)).toEqual([false, true]);
    expect(JSON.stringify(rows)).not.toContain(started.body.secret);
    await t.http.post('/api/staff/me/totp').set(auth).expect(409);
  });

  it('login without a code answers 401 STAFF_OTP_REQUIRED and does not count; a wrong code counts; the right one logs in once', async () => {
    const doctor = await createStaff(t, 'doctor');
    const { secret } = await enrol(doctor);
    await login(doctor.username, {}, 'Wrong-Password-1').expect(401);

    const noCode = await login(doctor.username);
    expect(noCode.status).toBe(401);
    expect(noCode.body.error.code).toBe('STAFF_OTP_REQUIRED');
    expect((await staffRow(doctor.id)).failedAttempts).toBe(1);

    const wrong = await login(doctor.username, { otp: code(secret) === '123456' ? '654321' : '123456' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('STAFF_OTP_INVALID');
    expect((await staffRow(doctor.id)).failedAttempts).toBe(2);

    const right = await login(doctor.username, { otp: code(secret) });
    expect(right.status).toBe(200);
    expect(right.body.totpEnrolmentRequired).toBeUndefined();
    expect((await staffRow(doctor.id)).failedAttempts).toBe(0);
    // The same code again, within its 30 s: refused (a code is good once).
    const replay = await login(doctor.username, { otp: code(secret) });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('STAFF_OTP_INVALID');
    nextStep();
    await login(doctor.username, { otp: code(secret) }).expect(200);
  });

  it('asking without a code between wrong codes does not wipe them: wrong codes lock the account', async () => {
    const doctor = await createStaff(t, 'doctor');
    const { secret } = await enrol(doctor);
    const bad = () => (code(secret) === '000000' ? '999999' : '000000');

    for (let i = 0; i < 3; i++) {
      await login(doctor.username, { otp: bad() }).expect(401);
      await login(doctor.username).expect(401);
    }
    const fourth = await login(doctor.username, { otp: bad() });

    expect(fourth.status).toBe(423);
    expect(fourth.body.error.code).toBe('ACCOUNT_LOCKED');
    await login(doctor.username, { otp: code(secret) }).expect(423);
  });

  it('a recovery code logs in once, typed in any case and without its dash', async () => {
    const doctor = await createStaff(t, 'doctor');
    const { recoveryCodes } = await enrol(doctor);

    const first = await login(doctor.username, { recoveryCode: recoveryCodes[3].replace('-', '').toLowerCase() });
    const again = await login(doctor.username, { recoveryCode: recoveryCodes[3] });

    expect(first.status).toBe(200);
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe('STAFF_OTP_INVALID');
    const rows = await audits(doctor.id, 'staff.login');
    expect(rows.filter((r) => r.allowed).map((r) => r.details)).toEqual([expect.objectContaining({ factor: 'recovery_code', recoveryCodesLeft: 9 })]);
  });

  it('otp and recoveryCode together, or an otp that is not 6 digits, answer 400 naming the field', async () => {
    const both = await t.http.post('/api/staff/auth/login').send({ username: 'x', password: 'y', otp: '123456', recoveryCode: 'ABCDE-FGHJK' });
    expect(both.status).toBe(400);
    const short = await t.http.post('/api/staff/auth/login').send({ username: 'x', password: 'y', otp: '12345' });
    expect(short.status).toBe(400);
    expect(short.body.error.details).toEqual([expect.objectContaining({ field: 'body.otp' })]);
  });

  it('turning TOTP off needs a current code; then the password alone logs in again', async () => {
    const doctor = await createStaff(t, 'doctor');
    const { secret, auth } = await enrol(doctor);

    const wrong = await t.http.delete('/api/staff/me/totp').set(auth).send({ otp: code(secret) === '000000' ? '999999' : '000000' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe('STAFF_TOTP_CODE_WRONG');
    expect((await staffRow(doctor.id)).failedAttempts).toBe(1);
    await t.http.delete('/api/staff/me/totp').set(auth).send({ otp: code(secret) }).expect(204);

    await login(doctor.username).expect(200);
    expect(await t.deps.db.query('SELECT id FROM staff_recovery_codes WHERE staff_id = ?', [doctor.id])).toHaveLength(0);
  });

  it('the director resets a colleague\'s TOTP, which ends their sessions; not their own', async () => {
    const director = await createStaff(t, 'director');
    const doctor = await createStaff(t, 'doctor');
    const { auth: doctorAuth } = await enrol(doctor);
    const { auth: directorAuth } = await enrol(director);

    const res = await t.http.delete(`/api/staff/staff/${doctor.publicId}/totp`).set(directorAuth);
    expect(res.status).toBe(200);
    expect((await t.http.get('/api/staff/me').set(doctorAuth)).status).toBe(401);
    await login(doctor.username).expect(200);
    const own = await t.http.delete(`/api/staff/staff/${director.publicId}/totp`).set(directorAuth);
    expect(own.status).toBe(403);
    expect(own.body.error.code).toBe('OWN_TOTP_RESET');
    expect((await audits(director.id, 'staff.totp.reset')).map((r) => r.details?.staff)).toEqual([doctor.publicId]);
  });

  describe('a role that must have TOTP (STAFF_TOTP_REQUIRED_ROLES=director)', () => {
    it('is the director by default in production, nobody elsewhere', () => {
      const prod: NodeJS.ProcessEnv = {
        ...process.env, NODE_ENV: 'production', DATA_KEYS: `1:${Buffer.alloc(32, 7).toString('base64')}`, BLIND_INDEX_KEY: Buffer.alloc(32, 9).toString('base64'),
        WECHAT_APPID: 'wx0123456789abcdef', WECHAT_SECRET: 's'.repeat(32), DB_USER: 'meiyan', DB_PASSWORD: 'db-secret',
      };
      delete prod.STAFF_TOTP_REQUIRED_ROLES;
      delete prod.WECHAT_STANDIN;
      expect(loadConfig(prod, { dotenv: false }).auth.staffTotpRequiredRoles).toEqual(['director']);
      const dev = { ...prod, NODE_ENV: 'development' };
      expect(loadConfig(dev, { dotenv: false }).auth.staffTotpRequiredRoles).toEqual([]);
    });

    it('logs a director without TOTP into a session that may only enrol; enrolling opens everything', async () => {
      const director = await createStaff(t, 'director');

      const res = await login(director.username);
      expect(res.status).toBe(200);
      expect(res.body.totpEnrolmentRequired).toBe(true);
      const auth = bearer(res.body.token);
      expect((await t.http.get('/api/staff/me').set(auth)).body).toMatchObject({ totpEnabled: false, totpRequired: true });
      const blocked = await t.http.get('/api/staff/staff').set(auth);
      expect(blocked.status).toBe(403);
      expect(blocked.body.error.code).toBe('STAFF_TOTP_ENROLMENT_REQUIRED');

      const { secret } = await enrol(director, res.body.token);

      expect((await t.http.get('/api/staff/staff').set(auth)).status).toBe(200);
      const off = await t.http.delete('/api/staff/me/totp').set(auth).send({ otp: code(secret) });
      expect(off.status).toBe(403);
      expect(off.body.error.code).toBe('STAFF_TOTP_REQUIRED');
      await login(director.username).expect(401);
    });
  });
});
