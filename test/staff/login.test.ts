import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff, staffToken, TEST_PASSWORD } from '../helpers/factories';
import { Staff } from '../../src/modules/staff';
import { AuditEntry } from '../../src/modules/audit';
import { sha256 } from '../../src/shared/crypto';

// Every supertest request comes from 127.0.0.1, in every test file at once: the per-IP staff
// login limit is lifted here and proven on its own in ip-limit.test.ts.
const NO_IP_LIMIT = { STAFF_LOGIN_RATE_LIMIT_PER_IP: '1000000' };

describe('staff login and sessions', () => {
  let t: TestContext;
  beforeAll(async () => { t = await createTestContext({ env: NO_IP_LIMIT }); });
  afterAll(async () => { await t.close(); });

  const login = (username: string, password: string) => t.http.post('/api/staff/auth/login').send({ username, password });
  const staffRow = (id: number) => t.deps.db.getRepository(Staff).findOneByOrFail({ id });
  const loginAudits = (staffId: number) =>
    t.deps.db.getRepository(AuditEntry).find({ where: { action: 'staff.login', actorType: 'staff', actorId: staffId }, order: { id: 'ASC' } });

  it('logs in with the right password and returns a token, its lifetime and the public staff view', async () => {
    const doctor = await createStaff(t, 'doctor');

    const res = await login(doctor.username, TEST_PASSWORD);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expiresIn: t.config.auth.staffSessionTtlSeconds,
      staff: { id: doctor.publicId, username: doctor.username, displayName: doctor.displayName, role: 'doctor' },
    });
    expect(JSON.stringify(res.body)).not.toMatch(/passwordHash|scrypt/);
    const me = await t.http.get('/api/staff/me').set(bearer(res.body.token));
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ id: doctor.publicId, username: doctor.username, displayName: doctor.displayName, role: 'doctor', active: true, totpEnabled: false, totpRequired: false });
  });

  it('a successful login writes an allowed audit row without the password', async () => {
    const staff = await createStaff(t, 'consultant');

    await login(staff.username, TEST_PASSWORD).expect(200);

    const rows = await loginAudits(staff.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ allowed: true, actorRole: 'consultant' });
    expect(JSON.stringify(rows[0].details)).not.toContain(TEST_PASSWORD);
  });

  it('a wrong password answers 401 INVALID_CREDENTIALS, counts the failure and is audited as denied', async () => {
    const staff = await createStaff(t, 'consultant');

    const res = await login(staff.username, 'Wrong-Password-1');

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('INVALID_CREDENTIALS');
    expect((await staffRow(staff.id)).failedAttempts).toBe(1);
    const rows = await loginAudits(staff.id);
    expect(rows.map((r) => r.allowed)).toEqual([false]);
    expect(JSON.stringify(rows[0].details)).not.toContain('Wrong-Password-1');
  });

  it('an unknown username gets exactly the same answer as a wrong password, in similar time', async () => {
    const staff = await createStaff(t, 'doctor');
    const timed = async (username: string) => {
      const started = process.hrtime.bigint();
      const res = await login(username, 'Wrong-Password-1');
      return { res, ms: Number(process.hrtime.bigint() - started) / 1e6 };
    };
    await timed('nobody_warmup');

    const wrong = await timed(staff.username);
    const unknown = await timed(`nobody_${Date.now()}`);

    expect(unknown.res.status).toBe(wrong.res.status);
    expect(unknown.res.body).toEqual(wrong.res.body);
    // Both run one scrypt; an unknown name must not answer in a fraction of the time.
    expect(unknown.ms).toBeGreaterThan(wrong.ms * 0.3);
  });

  it('an inactive account gets the same 401 even with the right password', async () => {
    const staff = await createStaff(t, 'doctor', { active: false });

    const res = await login(staff.username, TEST_PASSWORD);

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('INVALID_CREDENTIALS');
  });

  it('a success resets the failure count', async () => {
    const staff = await createStaff(t, 'doctor');
    await login(staff.username, 'Wrong-Password-1').expect(401);
    await login(staff.username, 'Wrong-Password-2').expect(401);
    expect((await staffRow(staff.id)).failedAttempts).toBe(2);

    await login(staff.username, TEST_PASSWORD).expect(200);

    expect((await staffRow(staff.id)).failedAttempts).toBe(0);
  });

  it('concurrent wrong guesses are all counted', async () => {
    const staff = await createStaff(t, 'doctor');
    const guesses = t.config.auth.staffLockoutAttempts - 1;

    const answers = await Promise.all(Array.from({ length: guesses }, (_, i) => login(staff.username, `Wrong-Guess-${i}`)));

    expect(answers.map((r) => r.status)).toEqual(Array(guesses).fill(401));
    expect((await staffRow(staff.id)).failedAttempts).toBe(guesses);
  });

  it('unknown fields and wrong types in the login body answer 400 VALIDATION_FAILED naming the field', async () => {
    const res = await t.http.post('/api/staff/auth/login').send({ username: 'x', password: 'y', role: 'director' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'body.role' })]);

    const typed = await t.http.post('/api/staff/auth/login').send({ username: 42, password: ['a'] });
    expect(typed.status).toBe(400);
    expect(typed.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['body.password', 'body.username']);
  });

  it('logout answers 204 and the token then answers 401 TOKEN_INVALID', async () => {
    const staff = await createStaff(t, 'customer_service');
    const { body } = await login(staff.username, TEST_PASSWORD).expect(200);

    const out = await t.http.post('/api/staff/auth/logout').set(bearer(body.token));
    expect(out.status).toBe(204);

    const after = await t.http.get('/api/staff/me').set(bearer(body.token));
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('TOKEN_INVALID');
    const audit = await t.deps.db.getRepository(AuditEntry).findBy({ action: 'staff.logout', actorId: staff.id });
    expect(audit).toHaveLength(1);
  });

  it('a tampered token (one character changed) answers 401', async () => {
    const staff = await createStaff(t, 'doctor');
    const { body } = await login(staff.username, TEST_PASSWORD).expect(200);
    const token: string = body.token;
    const tampered = token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11);

    const res = await t.http.get('/api/staff/me').set(bearer(tampered));

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('TOKEN_INVALID');
  });

  it('a staff session expires: Redis holds it with the configured TTL, and once expired it answers 401', async () => {
    const staff = await createStaff(t, 'doctor');
    const { body } = await login(staff.username, TEST_PASSWORD).expect(200);
    const key = `sess:${sha256(body.token)}`;

    const ttl = await t.deps.redis.ttl(key);
    expect(ttl).toBeGreaterThan(t.config.auth.staffSessionTtlSeconds - 5);
    expect(ttl).toBeLessThanOrEqual(t.config.auth.staffSessionTtlSeconds);

    // Let Redis expire it now rather than sleeping through the TTL.
    await t.deps.redis.pexpire(key, 1);
    while ((await t.deps.redis.exists(key)) === 1) await new Promise((r) => setTimeout(r, 2));
    const res = await t.http.get('/api/staff/me').set(bearer(body.token));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('TOKEN_INVALID');
  });

  it('a client (mini-program) token on a staff route answers 401', async () => {
    const client = await createClient(t);
    const token = await clientToken(t, client);

    const res = await t.http.get('/api/staff/me').set(bearer(token));

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('TOKEN_INVALID');
  });

  it('no token on a staff route answers 401 UNAUTHENTICATED', async () => {
    const res = await t.http.get('/api/staff/me');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('a session issued before the factory helper still works with /me (sanity of staffToken)', async () => {
    const staff = await createStaff(t, 'director');
    const res = await t.http.get('/api/staff/me').set(bearer(await staffToken(t, staff)));
    expect(res.status).toBe(200);
    expect(res.body.role).toBe('director');
  });
});
