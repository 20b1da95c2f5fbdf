import { createTestContext, TestContext } from '../helpers/context';
import { holdPasswordCheck } from '../helpers/locks';
import { bearer, createStaff, staffToken, TEST_PASSWORD } from '../helpers/factories';
import { Staff } from '../../src/modules/staff';
import { AuditEntry } from '../../src/modules/audit';

const LOCKOUT = 3;
const NEW_PASSWORD = 'Brand-New-Pass-77';

// Every supertest request comes from 127.0.0.1, in every test file at once: the per-IP staff
// login limit is lifted here and proven on its own in ip-limit.test.ts.
describe('staff passwords: own change and director reset', () => {
  let t: TestContext;
  let director: Staff;
  let directorAuth: { Authorization: string };
  beforeAll(async () => {
    t = await createTestContext({ env: { STAFF_LOCKOUT_ATTEMPTS: String(LOCKOUT), STAFF_LOCKOUT_MINUTES: '15', STAFF_LOGIN_RATE_LIMIT_PER_IP: '1000000' } });
    director = await createStaff(t, 'director');
    directorAuth = bearer(await staffToken(t, director));
  });
  afterAll(async () => { await t.close(); });

  const login = (username: string, password: string) => t.http.post('/api/staff/auth/login').send({ username, password });
  const change = (token: string, body: object) => t.http.post('/api/staff/me/password').set(bearer(token)).send(body);
  const reset = (auth: { Authorization: string }, staff: Staff, body: object) => t.http.post(`/api/staff/staff/${staff.publicId}/password`).set(auth).send(body);
  const staffRow = (id: number) => t.deps.db.getRepository(Staff).findOneByOrFail({ id });
  const isLive = async (token: string) => (await t.http.get('/api/staff/me').set(bearer(token))).status === 200;
  const audits = (action: string, staff: Staff) =>
    t.deps.db.getRepository(AuditEntry).createQueryBuilder('a')
      .where('a.action = :action', { action })
      .andWhere("JSON_VALUE(a.details, '$.staff') = :staff", { staff: staff.publicId })
      .orderBy('a.id', 'ASC').getMany();

  describe('POST /api/staff/me/password', () => {
    it('replaces the password, ends every other session of the caller and keeps the one used', async () => {
      const staff = await createStaff(t, 'consultant');
      const mine = (await login(staff.username, TEST_PASSWORD).expect(200)).body.token as string;
      const otherDevice = (await login(staff.username, TEST_PASSWORD).expect(200)).body.token as string;
      const colleague = await createStaff(t, 'consultant');
      const colleagueToken = await staffToken(t, colleague);

      const res = await change(mine, { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD });

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ revoked: 1 });
      expect(await isLive(mine)).toBe(true);
      expect(await isLive(otherDevice)).toBe(false);
      expect(await isLive(colleagueToken)).toBe(true);
      expect((await login(staff.username, TEST_PASSWORD)).status).toBe(401);
      expect((await login(staff.username, NEW_PASSWORD)).status).toBe(200);
    });

    it('is audited as staff.password.change without either password', async () => {
      const staff = await createStaff(t, 'doctor');
      const token = await staffToken(t, staff);

      await change(token, { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD }).expect(200);

      const rows = await audits('staff.password.change', staff);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ allowed: true, actorType: 'staff', actorId: staff.id, actorRole: 'doctor' });
      expect(JSON.stringify(rows[0].details)).not.toMatch(new RegExp(`${TEST_PASSWORD}|${NEW_PASSWORD}|scrypt`));
    });

    it('a wrong current password answers 403 CURRENT_PASSWORD_WRONG, counts toward the lockout and changes nothing', async () => {
      const staff = await createStaff(t, 'customer_service');
      const token = await staffToken(t, staff);
      const other = await staffToken(t, staff);
      const before = await staffRow(staff.id);

      const res = await change(token, { currentPassword: 'Not-My-Password-1', newPassword: NEW_PASSWORD });

      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({ code: 'CURRENT_PASSWORD_WRONG', details: { field: 'body.currentPassword' } });
      const after = await staffRow(staff.id);
      expect(after.passwordHash).toBe(before.passwordHash);
      expect(after.failedAttempts).toBe(1);
      expect(await isLive(other)).toBe(true);
      const rows = await audits('staff.password.change', staff);
      expect(rows.map((r) => [r.allowed, r.details?.reason])).toEqual([[false, 'wrong_password']]);
      expect(JSON.stringify(rows[0].details)).not.toMatch(/Not-My-Password|Brand-New/);
    });

    it(`${LOCKOUT} wrong current passwords lock the account like failed logins; then even the right one is refused`, async () => {
      const staff = await createStaff(t, 'doctor');
      const token = await staffToken(t, staff);
      for (let i = 1; i < LOCKOUT; i++) await change(token, { currentPassword: `Wrong-Current-${i}`, newPassword: NEW_PASSWORD }).expect(403);

      const last = await change(token, { currentPassword: 'Wrong-Current-X', newPassword: NEW_PASSWORD });

      expect(last.status).toBe(423);
      expect(last.body.error.code).toBe('ACCOUNT_LOCKED');
      expect((await staffRow(staff.id)).lockedUntil).not.toBeNull();
      expect((await change(token, { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD })).status).toBe(423);
      expect((await login(staff.username, TEST_PASSWORD)).status).toBe(423);
    });

    it('a right current password clears earlier failures', async () => {
      const staff = await createStaff(t, 'doctor');
      const token = await staffToken(t, staff);
      await login(staff.username, 'Wrong-Login-1').expect(401);

      await change(token, { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD }).expect(200);

      expect(await staffRow(staff.id)).toMatchObject({ failedAttempts: 0, lockedUntil: null });
    });

    it.each([
      ['too short', 'Sh0rt-pw'],
      ['one kind of character only', 'onlylowercaseletters'],
      ['too long', `Aa1-${'x'.repeat(130)}`],
    ])('a weak new password (%s) answers 400 VALIDATION_FAILED on body.newPassword and counts nothing', async (_what, weak) => {
      const staff = await createStaff(t, 'consultant');
      const token = await staffToken(t, staff);
      const before = await staffRow(staff.id);

      const res = await change(token, { currentPassword: TEST_PASSWORD, newPassword: weak });

      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'body.newPassword' })]);
      expect(await staffRow(staff.id)).toEqual(before);
    });

    it('the same password as the current one answers 400 VALIDATION_FAILED on body.newPassword', async () => {
      const staff = await createStaff(t, 'consultant');
      const token = await staffToken(t, staff);
      const other = await staffToken(t, staff);

      const res = await change(token, { currentPassword: TEST_PASSWORD, newPassword: TEST_PASSWORD });

      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'body.newPassword', message: expect.stringMatching(/differ from the current password/) })]);
      expect(await isLive(other)).toBe(true);
    });

    it.each([
      [{ currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD, username: 'someone_else' }, 'body.username'],
      [{ currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD, staffId: 'A'.repeat(22) }, 'body.staffId'],
      [{ newPassword: NEW_PASSWORD }, 'body.currentPassword'],
      [{ currentPassword: TEST_PASSWORD }, 'body.newPassword'],
      [{ currentPassword: 42, newPassword: NEW_PASSWORD }, 'body.currentPassword'],
    ])('body %j answers 400 naming %s and changes nothing', async (body, field) => {
      const staff = await createStaff(t, 'doctor');
      const token = await staffToken(t, staff);
      const before = await staffRow(staff.id);

      const res = await change(token, body);

      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.details).toEqual([expect.objectContaining({ field })]);
      expect(await staffRow(staff.id)).toEqual(before);
    });

    it('needs a staff session', async () => {
      expect((await t.http.post('/api/staff/me/password').send({ currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD })).status).toBe(401);
    });
  });

  describe('POST /api/staff/staff/:id/password (director)', () => {
    it('sets the password, ends every session of that person, lifts the lockout and is audited', async () => {
      const staff = await createStaff(t, 'consultant');
      const tokens = [await staffToken(t, staff), await staffToken(t, staff)];
      for (let i = 0; i < LOCKOUT; i++) await login(staff.username, `Forgotten-${i}`);
      expect((await staffRow(staff.id)).lockedUntil).not.toBeNull();

      const res = await reset(directorAuth, staff, { newPassword: NEW_PASSWORD });

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: staff.publicId, failedAttempts: 0, lockedUntil: null, active: true });
      for (const token of tokens) expect(await isLive(token)).toBe(false);
      expect((await login(staff.username, TEST_PASSWORD)).status).toBe(401);
      expect((await login(staff.username, NEW_PASSWORD)).status).toBe(200);
      const rows = await audits('staff.password.reset', staff);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ allowed: true, actorId: director.id, actorRole: 'director' });
      expect(rows[0].details).toMatchObject({ staff: staff.publicId, failedAttempts: LOCKOUT, sessionsRevoked: true });
      expect(JSON.stringify(rows[0].details)).not.toMatch(new RegExp(`${NEW_PASSWORD}|scrypt`));
    });

    it.each(['doctor', 'consultant', 'customer_service'] as const)('a %s cannot reset anyone (403 FORBIDDEN), nothing changes', async (role) => {
      const caller = await createStaff(t, role);
      const staff = await createStaff(t, 'doctor');
      const token = await staffToken(t, staff);
      const before = await staffRow(staff.id);

      const res = await reset(bearer(await staffToken(t, caller)), staff, { newPassword: NEW_PASSWORD });

      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
      expect(await staffRow(staff.id)).toEqual(before);
      expect(await isLive(token)).toBe(true);
    });

    it('the director cannot reset their own password here (403 OWN_PASSWORD_RESET) and keeps their sessions', async () => {
      const self = await createStaff(t, 'director');
      const token = await staffToken(t, self);
      const before = await staffRow(self.id);

      const res = await reset(bearer(token), self, { newPassword: NEW_PASSWORD });

      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('OWN_PASSWORD_RESET');
      expect(await staffRow(self.id)).toEqual(before);
      expect(await isLive(token)).toBe(true);
    });

    it('a weak password, unknown fields and an unknown id are refused', async () => {
      const staff = await createStaff(t, 'doctor');
      const before = await staffRow(staff.id);

      const weak = await reset(directorAuth, staff, { newPassword: 'short' });
      const extra = await reset(directorAuth, staff, { newPassword: NEW_PASSWORD, currentPassword: TEST_PASSWORD });
      const missing = await t.http.post(`/api/staff/staff/${'A'.repeat(22)}/password`).set(directorAuth).send({ newPassword: NEW_PASSWORD });

      expect([weak.status, [...new Set(weak.body.error.details.map((d: { field: string }) => d.field))]]).toEqual([400, ['body.newPassword']]);
      expect([extra.status, extra.body.error.details]).toEqual([400, [expect.objectContaining({ field: 'body.currentPassword' })]]);
      expect(missing.status).toBe(404);
      expect(await staffRow(staff.id)).toEqual(before);
    });

    it('a login with the old password whose check straddles the reset is refused, leaving no session', async () => {
      const staff = await createStaff(t, 'consultant');
      // Hold the password inside its (slow, scrypt) check meanwhile.
      const held = holdPasswordCheck(TEST_PASSWORD);
    try {
        const pending = login(staff.username, TEST_PASSWORD).then((r) => r);
        await held.reached;
        await reset(directorAuth, staff, { newPassword: NEW_PASSWORD }).expect(200);

        held.release();
        const res = await pending;

        expect(res.status).toBe(409);
        expect(res.body).not.toHaveProperty('token');
        expect(await t.deps.redis.scard(`sess-of:staff:${staff.id}`)).toBe(0);
      } finally {
        held.restore();
      }
    });
  });
});
