import { createTestContext, TestContext } from '../helpers/context';
import { createStaff, TEST_PASSWORD } from '../helpers/factories';
import { randomIp } from '../helpers/login';
import { Staff } from '../../src/modules/staff';

/**
 * The lockout cannot be turned against a known user: guesses from elsewhere lock the account for
 * every address but those the person has logged in from, which keep a counter of their own.
 * The proxy is trusted so each test picks its own addresses.
 */
describe('staff lockout per account and address (3 attempts, 15 minutes)', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext({ env: { TRUST_PROXY: 'true', STAFF_LOCKOUT_ATTEMPTS: '3', STAFF_LOCKOUT_MINUTES: '15', STAFF_LOGIN_RATE_LIMIT_PER_IP: '1000000' } });
  });
  afterAll(async () => { await t.close(); });

  const login = (ip: string, username: string, password: string) =>
    t.http.post('/api/staff/auth/login').set('X-Forwarded-For', ip).send({ username, password });
  const staffRow = (id: number) => t.deps.db.getRepository(Staff).findOneByOrFail({ id });

  it('an outsider locking the account does not keep its holder out at the address they use; a new address stays locked', async () => {
    const staff = await createStaff(t, 'consultant');
    const clinic = randomIp();
    await login(clinic, staff.username, TEST_PASSWORD).expect(200);
    const outsider = randomIp();

    // Every 15 minutes, for an hour: the lock is renewed each time.
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 3; i++) await login(outsider, staff.username, `Guess-${round}-${i}`);
      expect((await staffRow(staff.id)).lockedUntil).not.toBeNull();

      const res = await login(clinic, staff.username, TEST_PASSWORD);

      expect(res.status).toBe(200);
      t.clock.advance(15 * 60_000 + 1);
    }
    await login(outsider, staff.username, 'Guess-again').expect(401);
    await login(outsider, staff.username, 'Guess-again-2').expect(401);
    await login(outsider, staff.username, 'Guess-again-3').expect(423);
    expect((await login(randomIp(), staff.username, TEST_PASSWORD)).status).toBe(423);
    expect((await staffRow(staff.id)).lockedUntil).not.toBeNull();
  });

  it('at a known address, wrong guesses while the account is locked lock that address too', async () => {
    const staff = await createStaff(t, 'doctor');
    const clinic = randomIp();
    await login(clinic, staff.username, TEST_PASSWORD).expect(200);
    const outsider = randomIp();
    for (let i = 0; i < 3; i++) await login(outsider, staff.username, `Guess-${i}`);

    await login(clinic, staff.username, 'Typo-Password-1').expect(401);
    await login(clinic, staff.username, 'Typo-Password-2').expect(401);
    const third = await login(clinic, staff.username, 'Typo-Password-3');
    const right = await login(clinic, staff.username, TEST_PASSWORD);

    expect(third.status).toBe(423);
    expect(right.status).toBe(423);
    expect(right.body.error.code).toBe('ACCOUNT_LOCKED');
  });

  it('an address is known for 30 days after the last login there', async () => {
    const staff = await createStaff(t, 'customer_service');
    const home = randomIp();
    await login(home, staff.username, TEST_PASSWORD).expect(200);
    t.clock.advance(31 * 86400_000);
    const outsider = randomIp();
    for (let i = 0; i < 3; i++) await login(outsider, staff.username, `Guess-${i}`);

    const res = await login(home, staff.username, TEST_PASSWORD);

    expect(res.status).toBe(423);
  });
});
