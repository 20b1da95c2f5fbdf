import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createStaff, TEST_PASSWORD } from '../helpers/factories';
import { sha256 } from '../../src/shared/crypto';
import { loadConfig } from '../../src/config';

// The test run turns the idle timeout off (global-setup); this file runs it at its default.
describe('staff session idle timeout (30 minutes, beside the absolute lifetime)', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext({ env: { STAFF_SESSION_IDLE_MINUTES: '30', STAFF_LOGIN_RATE_LIMIT_PER_IP: '1000000' } });
  });
  afterAll(async () => { await t.close(); });

  const login = async () => {
    const staff = await createStaff(t, 'consultant');
    const res = await t.http.post('/api/staff/auth/login').send({ username: staff.username, password: TEST_PASSWORD }).expect(200);
    return res.body.token as string;
  };
  const me = (token: string) => t.http.get('/api/staff/me').set(bearer(token));

  it('the default, when the variable is unset, is 30 minutes', () => {
    const { STAFF_SESSION_IDLE_MINUTES: _unset, ...env } = process.env;
    expect(loadConfig(env, { dotenv: false }).auth.staffSessionIdleMinutes).toBe(30);
  });

  it('a session used every 20 minutes lives on past 30 minutes of age', async () => {
    const token = await login();

    for (let i = 0; i < 4; i++) {
      t.clock.advance(20 * 60_000);
      expect((await me(token)).status).toBe(200);
    }
  });

  it('a session unused for more than 30 minutes answers 401 TOKEN_INVALID and is gone from Redis', async () => {
    const token = await login();
    t.clock.advance(30 * 60_000);
    expect((await me(token)).status).toBe(200);

    t.clock.advance(30 * 60_000 + 1000);
    const res = await me(token);

    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'TOKEN_INVALID' });
    expect(await t.deps.redis.exists(`sess:${sha256(token)}`)).toBe(0);
    t.clock.set(new Date());
    expect((await me(token)).status).toBe(401);
  });

  it('use does not stretch the absolute lifetime: Redis keeps the TTL set at login', async () => {
    const token = await login();
    const key = `sess:${sha256(token)}`;
    await t.deps.redis.expire(key, 100);

    t.clock.advance(10 * 60_000);
    await me(token).expect(200);

    expect(await t.deps.redis.ttl(key)).toBeLessThanOrEqual(100);
    expect(JSON.parse((await t.deps.redis.get(key))!).seenAt).toBe(t.clock.now().getTime());
  });
});
