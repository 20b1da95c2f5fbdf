import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createStaff, staffToken, TEST_PASSWORD } from '../helpers/factories';
import { Staff } from '../../src/modules/staff';
import { AuditEntry } from '../../src/modules/audit';

// Every supertest request comes from 127.0.0.1, in every test file at once: the per-IP staff
// login limit is lifted here and proven on its own in ip-limit.test.ts.
describe('staff login lockout (3 attempts, 15 minutes)', () => {
  let t: TestContext;
  beforeAll(async () => { t = await createTestContext({ env: { STAFF_LOCKOUT_ATTEMPTS: '3', STAFF_LOCKOUT_MINUTES: '15', STAFF_LOGIN_RATE_LIMIT_PER_IP: '1000000' } }); });
  afterAll(async () => { await t.close(); });

  const login = (username: string, password: string) => t.http.post('/api/staff/auth/login').send({ username, password });
  const staffRow = (id: number) => t.deps.db.getRepository(Staff).findOneByOrFail({ id });

  it('locks the account after 3 consecutive failures; the right password is then refused with ACCOUNT_LOCKED', async () => {
    const staff = await createStaff(t, 'doctor');
    await login(staff.username, 'Wrong-Password-1').expect(401);
    await login(staff.username, 'Wrong-Password-2').expect(401);

    const third = await login(staff.username, 'Wrong-Password-3');
    const expectedUntil = new Date(t.clock.now().getTime() + 15 * 60_000).toISOString();
    expect(third.status).toBe(423);
    expect(third.body.error).toMatchObject({ code: 'ACCOUNT_LOCKED', details: { lockedUntil: expectedUntil } });

    const right = await login(staff.username, TEST_PASSWORD);
    expect(right.status).toBe(423);
    expect(right.body.error).toMatchObject({ code: 'ACCOUNT_LOCKED', details: { lockedUntil: expectedUntil } });
    const row = await staffRow(staff.id);
    expect(row.failedAttempts).toBe(3);
    expect(row.lockedUntil?.toISOString()).toBe(expectedUntil);
    const audits = await t.deps.db.getRepository(AuditEntry).find({ where: { action: 'staff.login', actorId: staff.id }, order: { id: 'ASC' } });
    expect(audits.map((a) => [a.allowed, a.details?.reason])).toEqual([
      [false, 'wrong_password'], [false, 'wrong_password'], [false, 'wrong_password'], [false, 'locked'],
    ]);
  });

  it('logs in again once the clock passes lockedUntil, and the count starts afresh', async () => {
    const staff = await createStaff(t, 'consultant');
    for (let i = 0; i < 3; i++) await login(staff.username, `Wrong-Password-${i}`);
    await login(staff.username, TEST_PASSWORD).expect(423);

    t.clock.advance(14 * 60_000);
    await login(staff.username, TEST_PASSWORD).expect(423);
    t.clock.advance(60_000 + 1);
    const res = await login(staff.username, TEST_PASSWORD);

    expect(res.status).toBe(200);
    const row = await staffRow(staff.id);
    expect(row).toMatchObject({ failedAttempts: 0, lockedUntil: null });
  });

  it('after an expired lock one wrong guess does not lock again at once', async () => {
    const staff = await createStaff(t, 'consultant');
    for (let i = 0; i < 3; i++) await login(staff.username, `Wrong-Password-${i}`);
    t.clock.advance(15 * 60_000 + 1);

    const res = await login(staff.username, 'Wrong-Again-1');

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('INVALID_CREDENTIALS');
    expect(await staffRow(staff.id)).toMatchObject({ failedAttempts: 1, lockedUntil: null });
  });

  it('concurrent wrong guesses all count and lock the account', async () => {
    const staff = await createStaff(t, 'customer_service');

    const answers = await Promise.all([0, 1, 2].map((i) => login(staff.username, `Parallel-Guess-${i}`)));

    // The guess that reaches the limit answers 423; one that finishes after it may report the lock too.
    const statuses = answers.map((r) => r.status);
    expect(statuses.every((s) => s === 401 || s === 423)).toBe(true);
    expect(statuses).toContain(423);
    const row = await staffRow(staff.id);
    expect(row.failedAttempts).toBe(3);
    expect(row.lockedUntil).not.toBeNull();
    await login(staff.username, TEST_PASSWORD).expect(423);
  });

  it('the director can unlock an account, which clears the count and lets the person in', async () => {
    const director = await createStaff(t, 'director');
    const staff = await createStaff(t, 'doctor');
    for (let i = 0; i < 3; i++) await login(staff.username, `Wrong-Password-${i}`);

    const res = await t.http.post(`/api/staff/staff/${staff.publicId}/unlock`).set(bearer(await staffToken(t, director)));

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: staff.publicId, failedAttempts: 0, lockedUntil: null });
    await login(staff.username, TEST_PASSWORD).expect(200);
    const audit = await t.deps.db.getRepository(AuditEntry).findBy({ action: 'staff.unlock', actorId: director.id });
    expect(audit).toHaveLength(1);
    expect(audit[0].details).toMatchObject({ staff: staff.publicId, failedAttempts: 3 });
  });

  it('unlock and its audit row commit together: when the audit write fails the account stays locked', async () => {
    const director = await createStaff(t, 'director');
    const staff = await createStaff(t, 'doctor');
    for (let i = 0; i < 3; i++) await login(staff.username, `Wrong-Password-${i}`);
    const locked = await staffRow(staff.id);
    const audit = t.services.audit;
    const record = audit.record.bind(audit);
    const spy = jest.spyOn(audit, 'record').mockImplementation(async (actor, action, opts, manager) => {
      if (action === 'staff.unlock') throw new Error('audit write failed');
      return record(actor, action, opts, manager);
    });
    try {
      const res = await t.http.post(`/api/staff/staff/${staff.publicId}/unlock`).set(bearer(await staffToken(t, director)));
      expect(res.status).toBe(500);
    } finally {
      spy.mockRestore();
    }

    expect(await staffRow(staff.id)).toMatchObject({ failedAttempts: 3, lockedUntil: locked.lockedUntil });
    expect(await t.deps.db.getRepository(AuditEntry).findBy({ action: 'staff.unlock', actorId: director.id })).toHaveLength(0);
    await login(staff.username, TEST_PASSWORD).expect(423);
  });

  it('an unknown username or inactive account locks exactly like a real one, so the answers cannot tell them apart', async () => {
    const real = await createStaff(t, 'doctor');
    const inactive = await createStaff(t, 'doctor', { active: false });
    const unknown = `nobody_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const answers = async (username: string, password = 'Wrong-Password-x') => {
      const res = await login(username, password);
      return { status: res.status, body: res.body };
    };
    const round = async (username: string, n: number) => {
      const out = [];
      for (let i = 0; i < n; i++) out.push(await answers(username));
      return out;
    };

    const realAnswers = await round(real.username, 4);
    expect(realAnswers.map((a) => a.status)).toEqual([401, 401, 423, 423]);
    expect(await round(unknown, 4)).toEqual(realAnswers);
    expect(await round(inactive.username, 4)).toEqual(realAnswers);

    // The right password, and other spellings the database treats as the same name, change nothing.
    expect(await answers(inactive.username, TEST_PASSWORD)).toEqual(await answers(real.username, TEST_PASSWORD));
    expect(await answers(`${unknown.toUpperCase()}  `)).toEqual(await answers(real.username.toUpperCase()));

    // Once the lock runs out both count afresh.
    t.clock.advance(15 * 60_000 + 1);
    const after = await answers(real.username);
    expect(after.status).toBe(401);
    expect(await answers(unknown)).toEqual(after);
    expect(await answers(inactive.username)).toEqual(after);
  });
});
