import { createTestContext, TestContext } from '../helpers/context';
import { createStaff, TEST_PASSWORD } from '../helpers/factories';
import { randomIp } from '../helpers/login';
import { Staff } from '../../src/modules/staff';
import { AuditEntry } from '../../src/modules/audit';

const LIMIT = 3;

/**
 * Per-address limit on staff login, across usernames (the lockout is per account). The proxy is
 * trusted so each test picks its own address: other test files log in from 127.0.0.1 meanwhile.
 */
describe(`staff login per-IP limit (${LIMIT} per 60 s)`, () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext({ env: { TRUST_PROXY: 'true', STAFF_LOGIN_RATE_LIMIT_PER_IP: String(LIMIT), STAFF_LOGIN_RATE_WINDOW_SECONDS: '60' } });
  });
  afterAll(async () => { await t.close(); });

  const login = (ip: string, username: string, password: string) =>
    t.http.post('/api/staff/auth/login').set('X-Forwarded-For', ip).send({ username, password });
  const staffRow = (id: number) => t.deps.db.getRepository(Staff).findOneByOrFail({ id });
  const auditsFrom = (ip: string) => t.deps.db.getRepository(AuditEntry).find({ where: { action: 'staff.login', ip }, order: { id: 'ASC' } });

  it(`the ${LIMIT + 1}th login from one address, on other usernames, answers 429 RATE_LIMITED with Retry-After even with the right password`, async () => {
    const ip = randomIp();
    const staff = await createStaff(t, 'doctor');
    for (let i = 0; i < LIMIT; i++) expect((await login(ip, `sprayed_${i}_${Date.now()}`, 'Guess-Password-1')).status).toBe(401);

    const res = await login(ip, staff.username, TEST_PASSWORD);

    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('RATE_LIMITED');
    expect(res.body).not.toHaveProperty('token');
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.body.error.details).toEqual({ retryAfterSeconds: retryAfter });
    // Refused before the account was looked at: the attempt is not counted toward its lockout.
    expect(await staffRow(staff.id)).toMatchObject({ failedAttempts: 0, lockedUntil: null });
  });

  it('another address is not affected, and the same account logs in from it', async () => {
    const blocked = randomIp();
    for (let i = 0; i <= LIMIT; i++) await login(blocked, `sprayed_${i}_${Date.now()}`, 'Guess-Password-1');
    expect((await login(blocked, 'anyone', 'Guess-Password-1')).status).toBe(429);
    const staff = await createStaff(t, 'consultant');

    const res = await login(randomIp(), staff.username, TEST_PASSWORD);

    expect(res.status).toBe(200);
  });

  it('refusals are audited as denied staff.login with reason rate_limited, without username or password', async () => {
    const ip = randomIp();
    for (let i = 0; i < LIMIT; i++) await login(ip, `sprayed_${i}_${Date.now()}`, 'Guess-Password-1');

    await login(ip, 'Typed-Secret-In-Username-9', 'Secret-Password-9').expect(429);

    const rows = await auditsFrom(ip);
    expect(rows).toHaveLength(LIMIT + 1);
    const refused = rows[LIMIT];
    expect(refused).toMatchObject({ allowed: false, actorType: 'staff', actorId: null, ip });
    expect(refused.details).toEqual({ reason: 'rate_limited', retryAfterSeconds: expect.any(Number) });
    expect(JSON.stringify(refused.details)).not.toMatch(/Typed-Secret|Secret-Password/);
  });

  it('the staff limit has its own counter: mini-program logins from the same address still go through', async () => {
    const ip = randomIp();
    for (let i = 0; i <= LIMIT; i++) await login(ip, `sprayed_${i}_${Date.now()}`, 'Guess-Password-1');
    expect((await login(ip, 'anyone', 'Guess-Password-1')).status).toBe(429);

    const res = await t.http.post('/api/mp/auth/login').set('X-Forwarded-For', ip).send({ code: t.standIn.issueLoginCode() });

    expect(res.status).toBe(200);
  });
});
