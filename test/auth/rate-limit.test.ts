import { createTestContext, TestContext } from '../helpers/context';
import { fakeOpenid, randomIp } from '../helpers/login';

describe('login rate limits', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext({ env: { TRUST_PROXY: 'true', LOGIN_RATE_LIMIT_PER_IP: '3', LOGIN_RATE_LIMIT_PER_CLIENT: '2', LOGIN_RATE_WINDOW_SECONDS: '60' } });
  });
  afterAll(async () => { await t.close(); });

  const login = (code: string, ip: string) => t.http.post('/api/mp/auth/login').set('X-Forwarded-For', ip).send({ code });

  it('per IP: the 4th attempt in the window → 429 RATE_LIMITED with Retry-After, before WeChat is asked', async () => {
    const ip = randomIp();
    for (let i = 0; i < 3; i++) expect((await login(t.standIn.issueLoginCode(), ip)).status).toBe(200);
    const calls = t.standIn.count('jscode2session');

    const res = await login(t.standIn.issueLoginCode(), ip);

    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('RATE_LIMITED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(t.standIn.count('jscode2session')).toBe(calls);
    // another address is not affected
    expect((await login(t.standIn.issueLoginCode(), randomIp())).status).toBe(200);
  });

  it('per IP: junk codes count too (no free guessing)', async () => {
    const ip = randomIp();
    for (let i = 0; i < 3; i++) expect((await login(`junk-${i}`, ip)).status).toBe(401);
    expect((await login(t.standIn.issueLoginCode(), ip)).status).toBe(429);
  });

  it('per client: the 3rd login of one openid in the window → 429, whatever the address', async () => {
    const openid = fakeOpenid();
    expect((await login(t.standIn.issueLoginCode({ openid }), randomIp())).status).toBe(200);
    expect((await login(t.standIn.issueLoginCode({ openid }), randomIp())).status).toBe(200);
    const res = await login(t.standIn.issueLoginCode({ openid }), randomIp());
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('RATE_LIMITED');
    expect(res.headers['retry-after']).toBeDefined();
  });
});
