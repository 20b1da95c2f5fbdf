import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createStaff, staffToken, TEST_PASSWORD } from '../helpers/factories';
import { Staff } from '../../src/modules/staff';
import { commonPasswordReason } from '../../src/modules/staff/staff.passwords';

describe('common and breached-pattern passwords are refused for staff', () => {
  let t: TestContext;
  let directorAuth: { Authorization: string };
  beforeAll(async () => {
    t = await createTestContext();
    directorAuth = bearer(await staffToken(t, await createStaff(t, 'director')));
  });
  afterAll(async () => { await t.close(); });

  it.each([
    'Password123!', 'P@ssw0rd2024', 'Qwerty12345', '1qaz2wsx3edc', 'Woaini5201314', 'Aa123456789', 'Admin@12345', 'Meiyan2026!',
    '!!Welcome2026', 'Zxcvbnm@123', 'abcabcabcA', 'Iloveyou1314!', 'QAZwsx123456', 'abcdefghij1',
  ])('%s is refused', (password) => {
    expect(commonPasswordReason(password)).not.toBeNull();
  });

  it.each(['Correct-Horse-42', 'Brand-New-Pass-77', 'Demo-Director-2026', 'Tiger-Lily-2031', 'Hu4ng-Shan-Tea'])('%s is accepted', (password) => {
    expect(commonPasswordReason(password)).toBeNull();
  });

  it('creating an account with one answers 400 VALIDATION_FAILED naming body.password, and creates nothing', async () => {
    const username = `common_${Date.now()}`;
    const res = await t.http.post('/api/staff/staff').set(directorAuth).send({ username, displayName: '新同事', role: 'doctor', password: 'P@ssw0rd2024' });

    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'body.password', message: expect.stringMatching(/common/) })]);
    expect(await t.deps.db.getRepository(Staff).existsBy({ username })).toBe(false);
  });

  it('changing one\'s own or resetting a colleague\'s to one answers 400 naming body.newPassword and changes nothing', async () => {
    const staff = await createStaff(t, 'consultant');
    const before = (await t.deps.db.getRepository(Staff).findOneByOrFail({ id: staff.id })).passwordHash;

    const own = await t.http.post('/api/staff/me/password').set(bearer(await staffToken(t, staff))).send({ currentPassword: TEST_PASSWORD, newPassword: 'Qwerty@12345' });
    const reset = await t.http.post(`/api/staff/staff/${staff.publicId}/password`).set(directorAuth).send({ newPassword: 'Woaini5201314' });

    for (const res of [own, reset]) {
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'body.newPassword' })]);
    }
    const after = await t.deps.db.getRepository(Staff).findOneByOrFail({ id: staff.id });
    expect(after).toMatchObject({ passwordHash: before, failedAttempts: 0 });
  });
});
