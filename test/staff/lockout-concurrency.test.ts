import { createTestContext, TestContext } from '../helpers/context';
import { holdPasswordCheck } from '../helpers/locks';
import { createStaff, TEST_PASSWORD } from '../helpers/factories';
import { Staff } from '../../src/modules/staff';
import { AuditEntry } from '../../src/modules/audit';

const LIMIT = 3;

/**
 * Lockout against bursts: two app instances (as behind a load balancer) on the same database and
 * Redis. Every attempt is counted before its password is checked, so a burst cannot test more
 * guesses than the limit, and a right password in the burst cannot erase the lock.
 */
describe('staff login lockout under concurrent bursts (two app instances, 3 attempts)', () => {
  let a: TestContext;
  let b: TestContext;
  // Every supertest request comes from 127.0.0.1, in every test file at once: the per-IP staff
  // login limit is lifted here and proven on its own in ip-limit.test.ts.
  const env = { STAFF_LOCKOUT_ATTEMPTS: String(LIMIT), STAFF_LOCKOUT_MINUTES: '15', STAFF_LOGIN_RATE_LIMIT_PER_IP: '1000000' };
  beforeAll(async () => {
    a = await createTestContext({ env });
    b = await createTestContext({ env, now: a.clock.now().toISOString() });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  const login = (t: TestContext, username: string, password: string) => t.http.post('/api/staff/auth/login').send({ username, password });
  const staffRow = (id: number) => a.deps.db.getRepository(Staff).findOneByOrFail({ id });
  const loginAudits = (staffId: number) =>
    a.deps.db.getRepository(AuditEntry).find({ where: { action: 'staff.login', actorType: 'staff', actorId: staffId }, order: { id: 'ASC' } });
  const liveSessions = (staffId: number) => a.deps.redis.scard(`sess-of:staff:${staffId}`);

  it('limit+5 wrong guesses and the right password at once: the account ends locked and at most `limit` guesses were tested', async () => {
    const staff = await createStaff(a, 'doctor');
    const wrong = LIMIT + 5;
    const guesses = Array.from({ length: wrong }, (_, i) => ({ t: i % 2 ? b : a, password: `Burst-Guess-${i}` }));
    const rightAt = Math.floor(wrong / 2);
    guesses.splice(rightAt, 0, { t: b, password: TEST_PASSWORD });

    const answers = await Promise.all(guesses.map((g) => login(g.t, staff.username, g.password).then((r) => r)));

    const right = answers[rightAt];
    const wrongAnswers = answers.filter((_, i) => i !== rightAt);
    expect(wrongAnswers.every((r) => r.status === 401 || r.status === 423)).toBe(true);
    const row = await staffRow(staff.id);
    expect(row.lockedUntil).not.toBeNull();
    expect(row.lockedUntil!.getTime()).toBeGreaterThan(a.clock.now().getTime());
    expect(row.failedAttempts).toBe(LIMIT);
    await login(a, staff.username, TEST_PASSWORD).expect(423);

    const audits = await loginAudits(staff.id);
    const tested = audits.filter((r) => r.details?.reason === 'wrong_password').length;
    const refusedUnchecked = audits.filter((r) => r.details?.reason === 'locked').length;
    if (right.status === 200) {
      // The right password was checked and cleared the count before the burst reached the limit:
      // it only takes off the attempts counted up to its own, so the burst still locks.
      expect(tested).toBeLessThanOrEqual(2 * LIMIT - 1);
    } else {
      expect(right.status).toBe(423);
      expect(right.body.error.code).toBe('ACCOUNT_LOCKED');
      expect(right.body).not.toHaveProperty('token');
      expect(await liveSessions(staff.id)).toBe(0);
      expect(audits.some((r) => r.allowed)).toBe(false);
      // Every attempt took one of `limit` slots before being checked; the rest were refused unchecked.
      expect(tested).toBeLessThanOrEqual(LIMIT);
    }
    expect(tested + refusedUnchecked).toBeGreaterThanOrEqual(wrong);
  });

  it('a right password whose check is overtaken by guesses that lock the account is refused, and the lock stands', async () => {
    const staff = await createStaff(a, 'consultant');
    // Hold the password inside its (slow, scrypt) check meanwhile.
    const held = holdPasswordCheck(TEST_PASSWORD);
    try {
      const right = login(a, staff.username, TEST_PASSWORD).then((r) => r);
      await held.reached;
      const statuses: number[] = [];
      for (let i = 0; i < LIMIT && !statuses.includes(423); i++) statuses.push((await login(b, staff.username, `Overtaking-${i}`)).status);
      expect(statuses[statuses.length - 1]).toBe(423);
      const lockedUntil = (await staffRow(staff.id)).lockedUntil;
      expect(lockedUntil).not.toBeNull();

      held.release();
      const res = await right;

      expect(res.status).toBe(423);
      expect(res.body.error).toMatchObject({ code: 'ACCOUNT_LOCKED', details: { lockedUntil: lockedUntil!.toISOString() } });
      expect(await staffRow(staff.id)).toMatchObject({ failedAttempts: LIMIT, lockedUntil });
      expect(await liveSessions(staff.id)).toBe(0);
    } finally {
      held.restore();
    }
  });

  it('the right password as the limit-th attempt still logs in (the lock it set is its own)', async () => {
    const staff = await createStaff(a, 'doctor');
    for (let i = 1; i < LIMIT; i++) await login(a, staff.username, `Typo-${i}`).expect(401);

    const res = await login(b, staff.username, TEST_PASSWORD);

    expect(res.status).toBe(200);
    expect(await staffRow(staff.id)).toMatchObject({ failedAttempts: 0, lockedUntil: null });
  });
});
