import { createTestContext, TestContext } from '../helpers/context';
import { createStaff, TEST_PASSWORD } from '../helpers/factories';
import { Staff } from '../../src/modules/staff';
import { AuditEntry } from '../../src/modules/audit';
import { hashPassword, verifyPassword } from '../../src/shared/crypto';
import { loadConfig } from '../../src/config';

// The test run hashes at N = 2^14 (global-setup); this file runs OWASP's cost, the default.
describe('staff password hashing at OWASP\'s scrypt cost, with rehash at the next login', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext({ env: { STAFF_PASSWORD_SCRYPT_N: String(2 ** 17), STAFF_LOGIN_RATE_LIMIT_PER_IP: '1000000' } });
  });
  afterAll(async () => { await t.close(); });

  const login = (username: string, password: string) => t.http.post('/api/staff/auth/login').send({ username, password });
  const hashOf = async (id: number) => (await t.deps.db.getRepository(Staff).findOneByOrFail({ id })).passwordHash;

  it('defaults to N = 2^17, r = 8, p = 1, both in the config and in hashPassword', async () => {
    const { STAFF_PASSWORD_SCRYPT_N: _unset, ...env } = process.env;
    expect(loadConfig(env, { dotenv: false }).auth.staffPasswordScryptN).toBe(131072);
    expect(await hashPassword('Some-Password-1')).toMatch(/^scrypt\$131072\$8\$1\$/);
  });

  it('a hash of the old cost is replaced at the next successful login, and the new one verifies', async () => {
    const staff = await createStaff(t, 'doctor', { passwordHash: await hashPassword(TEST_PASSWORD, { N: 2 ** 14, r: 8, p: 1 }) });

    await login(staff.username, 'Wrong-Password-1').expect(401);
    expect(await hashOf(staff.id)).toMatch(/^scrypt\$16384\$/);
    await login(staff.username, TEST_PASSWORD).expect(200);

    const upgraded = await hashOf(staff.id);
    expect(upgraded).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await verifyPassword(TEST_PASSWORD, upgraded)).toBe(true);
    const [row] = await t.deps.db.getRepository(AuditEntry).find({ where: { action: 'staff.login', actorId: staff.id, allowed: true } });
    expect(row.details).toMatchObject({ passwordRehashed: true });
    expect(JSON.stringify(row.details)).not.toContain(TEST_PASSWORD);

    // Already at the cost: left alone.
    await login(staff.username, TEST_PASSWORD).expect(200);
    expect(await hashOf(staff.id)).toBe(upgraded);
  });
});
