import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createStaff, staffToken, TEST_PASSWORD } from '../helpers/factories';
import { Staff, StaffRole } from '../../src/modules/staff';
import { AuditEntry } from '../../src/modules/audit';

// Every supertest request comes from 127.0.0.1, in every test file at once: the per-IP staff
// login limit is lifted here and proven on its own in ip-limit.test.ts.
const NO_IP_LIMIT = { STAFF_LOGIN_RATE_LIMIT_PER_IP: '1000000' };

describe('staff account management (director only)', () => {
  let t: TestContext;
  let director: Staff;
  let auth: { Authorization: string };
  beforeAll(async () => {
    t = await createTestContext({ env: NO_IP_LIMIT });
    director = await createStaff(t, 'director');
    auth = bearer(await staffToken(t, director));
  });
  afterAll(async () => { await t.close(); });

  const uniqueName = (p: string) => `${p}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const login = (username: string, password: string) => t.http.post('/api/staff/auth/login').send({ username, password });

  it('creates an account (201) whose holder can then log in; the creation is audited', async () => {
    const username = uniqueName('dr_li');

    const res = await t.http.post('/api/staff/staff').set(auth)
      .send({ username, displayName: '李医生', role: 'doctor', password: 'Strong-Pass-2026' });

    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), username, displayName: '李医生', role: 'doctor', active: true, failedAttempts: 0 });
    expect(res.body).not.toHaveProperty('passwordHash');
    const row = await t.deps.db.getRepository(Staff).findOneByOrFail({ username });
    expect(row.passwordHash).toMatch(/^scrypt\$/);
    await login(username, 'Strong-Pass-2026').expect(200);
    const audit = await t.deps.db.getRepository(AuditEntry).findBy({ action: 'staff.create', actorId: director.id });
    expect(audit.map((a) => a.details?.staff)).toContain(res.body.id);
  });

  it.each([
    ['too short', 'Ab1-short'],
    ['all one class', 'onlylowercaseletters'],
    ['all digits', '12345678901234'],
  ])('refuses a weak password (%s) with 400 on body.password', async (_why, password) => {
    const res = await t.http.post('/api/staff/staff').set(auth).send({ username: uniqueName('weak'), displayName: 'x', role: 'doctor', password });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(['body.password']);
  });

  it('refuses unknown fields on create (no mass assignment of failedAttempts or active)', async () => {
    const username = uniqueName('mass');
    const res = await t.http.post('/api/staff/staff').set(auth)
      .send({ username, displayName: 'x', role: 'doctor', password: 'Strong-Pass-2026', failedAttempts: 0, active: false });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['body.active', 'body.failedAttempts']);
    expect(await t.deps.db.getRepository(Staff).findOneBy({ username })).toBeNull();
  });

  it('a taken username answers 409 USERNAME_TAKEN', async () => {
    const existing = await createStaff(t, 'doctor');
    const res = await t.http.post('/api/staff/staff').set(auth)
      .send({ username: existing.username, displayName: 'x', role: 'doctor', password: 'Strong-Pass-2026' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('USERNAME_TAKEN');
  });

  it('lists staff, optionally by role', async () => {
    const cs = await createStaff(t, 'customer_service');

    const all = await t.http.get('/api/staff/staff').set(auth);
    const onlyCs = await t.http.get('/api/staff/staff?role=customer_service').set(auth);

    expect(all.status).toBe(200);
    expect(all.body.items.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining([director.publicId, cs.publicId]));
    expect(onlyCs.body.items.map((s: { role: string }) => s.role)).toEqual(expect.arrayContaining(['customer_service']));
    expect(new Set(onlyCs.body.items.map((s: { role: string }) => s.role))).toEqual(new Set(['customer_service']));
    expect((await t.http.get('/api/staff/staff?role=janitor').set(auth)).status).toBe(400);
  });

  it('changing a role ends that person\'s sessions at once, and is audited with the change', async () => {
    const staff = await createStaff(t, 'consultant');
    const { body } = await login(staff.username, TEST_PASSWORD).expect(200);
    await t.http.get('/api/staff/me').set(bearer(body.token)).expect(200);

    const res = await t.http.patch(`/api/staff/staff/${staff.publicId}`).set(auth).send({ role: 'doctor' });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: staff.publicId, role: 'doctor' });
    const after = await t.http.get('/api/staff/me').set(bearer(body.token));
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('TOKEN_INVALID');
    const relog = await login(staff.username, TEST_PASSWORD).expect(200);
    expect(relog.body.staff.role).toBe('doctor');
    const audit = await t.deps.db.getRepository(AuditEntry).findBy({ action: 'staff.update', actorId: director.id });
    expect(audit.map((a) => a.details)).toContainEqual({ staff: staff.publicId, changes: { role: { from: 'consultant', to: 'doctor' } }, sessionsRevoked: true });
  });

  it('deactivating ends sessions and stops further logins', async () => {
    const staff = await createStaff(t, 'doctor');
    const token = await staffToken(t, staff);

    await t.http.patch(`/api/staff/staff/${staff.publicId}`).set(auth).send({ active: false }).expect(200);

    expect((await t.http.get('/api/staff/me').set(bearer(token))).status).toBe(401);
    const res = await login(staff.username, TEST_PASSWORD);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('INVALID_CREDENTIALS');
  });

  it('retrying a role change revokes a session the first attempt failed to end, though the row already has the role', async () => {
    const staff = await createStaff(t, 'consultant');
    await t.http.patch(`/api/staff/staff/${staff.publicId}`).set(auth).send({ role: 'doctor' }).expect(200);
    // The first PATCH committed but its revocation was lost (Redis blip, crash): a session with the old role is live.
    const stale = await t.services.sessions.create({ kind: 'staff', staffId: staff.id, publicId: staff.publicId, role: 'consultant' }, 3600);
    expect((await t.http.get('/api/staff/me').set(bearer(stale.token))).status).toBe(200);

    const retry = await t.http.patch(`/api/staff/staff/${staff.publicId}`).set(auth).send({ role: 'doctor' });

    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ role: 'doctor' });
    expect((await t.http.get('/api/staff/me').set(bearer(stale.token))).status).toBe(401);
    const audit = await t.deps.db.getRepository(AuditEntry).findBy({ action: 'staff.update', actorId: director.id });
    expect(audit.map((a) => a.details)).toContainEqual({ staff: staff.publicId, changes: {}, sessionsRevoked: true });
  });

  it('a deactivation whose revocation failed after commit is revoked by the retried PATCH', async () => {
    const staff = await createStaff(t, 'doctor');
    const token = await staffToken(t, staff);
    const spy = jest.spyOn(t.services.sessions, 'revokeAll').mockRejectedValueOnce(new Error('Redis blip'));
    try {
      expect((await t.http.patch(`/api/staff/staff/${staff.publicId}`).set(auth).send({ active: false })).status).toBe(500);
    } finally {
      spy.mockRestore();
    }
    expect((await t.deps.db.getRepository(Staff).findOneByOrFail({ id: staff.id })).active).toBe(false);
    expect((await t.http.get('/api/staff/me').set(bearer(token))).status).toBe(200);

    await t.http.patch(`/api/staff/staff/${staff.publicId}`).set(auth).send({ active: false }).expect(200);

    expect((await t.http.get('/api/staff/me').set(bearer(token))).status).toBe(401);
  });

  it('renaming keeps the sessions', async () => {
    const staff = await createStaff(t, 'doctor');
    const token = await staffToken(t, staff);

    const res = await t.http.patch(`/api/staff/staff/${staff.publicId}`).set(auth).send({ displayName: '王医生' });

    expect(res.body.displayName).toBe('王医生');
    expect((await t.http.get('/api/staff/me').set(bearer(token))).body.displayName).toBe('王医生');
  });

  it.each([
    [{ failedAttempts: 0 }, 'body.failedAttempts'],
    [{ passwordHash: 'scrypt$1$1$1$AA==$AA==' }, 'body.passwordHash'],
    [{ lockedUntil: null }, 'body.lockedUntil'],
    [{ id: 1, role: 'director' }, 'body.id'],
  ])('PATCH refuses unknown field %j with 400 and changes nothing', async (patch, field) => {
    const staff = await createStaff(t, 'consultant');
    const before = await t.deps.db.getRepository(Staff).findOneByOrFail({ id: staff.id });

    const res = await t.http.patch(`/api/staff/staff/${staff.publicId}`).set(auth).send(patch);

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    const after = await t.deps.db.getRepository(Staff).findOneByOrFail({ id: staff.id });
    expect(after).toEqual(before);
  });

  it('PATCH with an empty body or wrong types answers 400; an unknown id answers 404', async () => {
    const staff = await createStaff(t, 'consultant');
    expect((await t.http.patch(`/api/staff/staff/${staff.publicId}`).set(auth).send({})).status).toBe(400);
    expect((await t.http.patch(`/api/staff/staff/${staff.publicId}`).set(auth).send({ active: 'no' })).status).toBe(400);
    const missing = await t.http.patch(`/api/staff/staff/${'A'.repeat(22)}`).set(auth).send({ displayName: 'x' });
    expect(missing.status).toBe(404);
    expect((await t.http.patch('/api/staff/staff/123').set(auth).send({ displayName: 'x' })).status).toBe(400);
  });

  it('revoke-sessions ends every session of a person', async () => {
    const staff = await createStaff(t, 'customer_service');
    const tokens = [await staffToken(t, staff), await staffToken(t, staff)];

    const res = await t.http.post(`/api/staff/staff/${staff.publicId}/revoke-sessions`).set(auth);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ revoked: 2 });
    for (const token of tokens) expect((await t.http.get('/api/staff/me').set(bearer(token))).status).toBe(401);
  });

  it('the last active director cannot be demoted or deactivated', async () => {
    // Its own database: making someone the last director must not touch other files' directors.
    const own = await createTestContext({ isolatedDatabase: true });
    try {
      const solo = await createStaff(own, 'director');
      const soloAuth = bearer(await staffToken(own, solo));

      const demote = await own.http.patch(`/api/staff/staff/${solo.publicId}`).set(soloAuth).send({ role: 'doctor' });
      const deactivate = await own.http.patch(`/api/staff/staff/${solo.publicId}`).set(soloAuth).send({ active: false });

      expect([demote.status, demote.body.error.code]).toEqual([409, 'LAST_DIRECTOR']);
      expect([deactivate.status, deactivate.body.error.code]).toEqual([409, 'LAST_DIRECTOR']);
      const second = await createStaff(own, 'director');
      expect((await own.http.patch(`/api/staff/staff/${second.publicId}`).set(soloAuth).send({ role: 'doctor' })).status).toBe(200);
    } finally {
      await own.close();
    }
  });

  it('ensureStaff (demo seed) creates once and is idempotent', async () => {
    const username = uniqueName('seed');
    const input = { username, displayName: '种子', role: 'consultant' as StaffRole, password: 'Seed-Pass-2026' };

    const [a, b] = await Promise.all([t.services.staff.ensureStaff(input), t.services.staff.ensureStaff(input)]);
    const c = await t.services.staff.ensureStaff({ ...input, role: 'director' });

    expect(a.id).toBe(b.id);
    expect(c).toMatchObject({ id: a.id, role: 'consultant' });
    expect(await t.deps.db.getRepository(Staff).countBy({ username })).toBe(1);
    await login(username, 'Seed-Pass-2026').expect(200);
  });

  describe.each(['doctor', 'consultant', 'customer_service'] as StaffRole[])('role guard: %s', (role) => {
    it.each([
      ['GET', '/api/staff/staff'],
      ['POST', '/api/staff/staff'],
      ['PATCH', '/api/staff/staff/AAAAAAAAAAAAAAAAAAAAAA'],
      ['GET', '/api/staff/audit'],
    ])('%s %s answers 403 FORBIDDEN and writes a denied audit row', async (method, path) => {
      const staff = await createStaff(t, role);
      const req = t.http[method.toLowerCase() as 'get' | 'post' | 'patch'](path).set(bearer(await staffToken(t, staff)));

      const res = await (method === 'GET' ? req : req.send({ displayName: 'x' }));

      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
      const rows = await t.deps.db.getRepository(AuditEntry).findBy({ actorType: 'staff', actorId: staff.id });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ action: 'route.denied', allowed: false, actorRole: role });
      expect(rows[0].details).toMatchObject({ route: expect.stringContaining(path.startsWith('/api/staff/audit') ? '/api/staff/audit' : '/api/staff/staff') });
    });
  });
});
