import { randomUUID } from 'node:crypto';
import { createTestContext, TestContext } from '../helpers/context';
import { createClient, clientToken } from '../helpers/factories';
import { fakeOpenid, randomIp } from '../helpers/login';
import { createRedis } from '../../src/shared/redis';
import { Limiter } from '../../src/shared/rate-limit';
import { AppError } from '../../src/shared/errors';

describe('limits of costly client actions (per client and per address, 429 with Retry-After)', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext({
      env: {
        TRUST_PROXY: 'true',
        RATE_LIMIT_DATA_EXPORT_PER_CLIENT: '2', RATE_LIMIT_DATA_EXPORT_PER_IP: '50', RATE_LIMIT_DATA_EXPORT_WINDOW_SECONDS: '86400',
        RATE_LIMIT_COMPLAINT_PER_CLIENT: '50', RATE_LIMIT_COMPLAINT_PER_IP: '2', RATE_LIMIT_COMPLAINT_WINDOW_SECONDS: '3600',
        RATE_LIMIT_PHONE_BINDING_PER_CLIENT: '1', RATE_LIMIT_PHONE_BINDING_PER_IP: '50',
        RATE_LIMIT_QUESTIONNAIRE_SUBMIT_PER_CLIENT: '1', RATE_LIMIT_QUESTIONNAIRE_SUBMIT_PER_IP: '50',
        RATE_LIMIT_REFERRAL_BINDING_PER_CLIENT: '5', RATE_LIMIT_REFERRAL_BINDING_PER_IP: '1',
      },
    });
  });
  afterAll(async () => { await t.close(); });

  const asClient = async () => `Bearer ${await clientToken(t, await createClient(t))}`;
  const expect429 = (res: { status: number; body: any; headers: Record<string, string> }, maxWait: number) => {
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('RATE_LIMITED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(maxWait);
  };

  it('data export: the 3rd export of one client within the day → 429, whatever the address; another client still exports', async () => {
    const auth = await asClient();
    const exportFrom = (who: string) => t.http.post('/api/mp/me/exports').set('Authorization', who).set('X-Forwarded-For', randomIp());
    expect((await exportFrom(auth)).status).toBe(201);
    expect((await exportFrom(auth)).status).toBe(201);

    expect429(await exportFrom(auth), 86400);
    expect((await exportFrom(await asClient())).status).toBe(201);
  });

  it('complaints: the 3rd from one address within the hour → 429 and no case is opened; another address still files', async () => {
    const ip = randomIp();
    const complain = async (from: string) => {
      const client = await createClient(t);
      const res = await t.http.post('/api/mp/complaints').set('Authorization', `Bearer ${await clientToken(t, client)}`).set('X-Forwarded-For', from)
        .send({ category: 'waiting', text: '等了一个多小时没人理', requestId: randomUUID() });
      const [{ n }] = await t.deps.db.query('SELECT COUNT(*) AS n FROM feedback_cases WHERE client_id = ?', [client.id]);
      return { res, cases: Number(n) };
    };
    expect((await complain(ip)).res.status).toBe(201);
    expect((await complain(ip)).res.status).toBe(201);

    const third = await complain(ip);
    expect429(third.res, 3600);
    expect(third.cases).toBe(0);
    expect((await complain(randomIp())).res.status).toBe(201);
  });

  it('phone binding: the 2nd attempt of a client → 429 before WeChat is asked (each attempt spends quota)', async () => {
    const auth = await asClient();
    const bind = () => t.http.post('/api/mp/me/phone').set('Authorization', auth).set('X-Forwarded-For', randomIp()).send({ code: 'not-a-real-code' });
    expect((await bind()).status).not.toBe(429);
    const calls = t.standIn.count('getuserphonenumber');

    expect429(await bind(), 3600);
    expect(t.standIn.count('getuserphonenumber')).toBe(calls);
  });

  it('questionnaire submission: the 2nd of a client → 429, even when the first was refused', async () => {
    const auth = await asClient();
    const submit = () => t.http.post('/api/mp/questionnaires/intent/submissions').set('Authorization', auth).set('X-Forwarded-For', randomIp())
      .send({ submissionId: randomUUID(), versionId: 'AAAAAAAAAAAAAAAAAAAAAA', answers: {} });
    expect((await submit()).status).not.toBe(429);

    expect429(await submit(), 3600);
  });

  it('referral binding: the 2nd sign-up with a code from one address → 429, the client is not created, and later it still binds', async () => {
    const referrer = await createClient(t);
    const [{ referral_code: code }] = await t.deps.db.query('SELECT referral_code FROM clients WHERE id = ?', [referrer.id]);
    const ip = randomIp();
    const signUp = (openid: string, launch?: object) =>
      t.http.post('/api/mp/auth/login').set('X-Forwarded-For', ip).send({ code: t.standIn.issueLoginCode({ openid }), ...(launch ? { launch } : {}) });
    const first = await signUp(fakeOpenid(), { referralCode: code });
    expect(first.status).toBe(200);
    expect(first.body.referral).toEqual({ bound: true });

    const openid = fakeOpenid();
    const second = await signUp(openid, { referralCode: code });
    expect429(second, 3600);
    expect(await t.deps.db.query('SELECT id FROM clients WHERE openid = ?', [openid])).toEqual([]);
    // Without a code the same address signs up as usual.
    expect((await signUp(fakeOpenid())).status).toBe(200);

    // Once the window has passed (here: the counter cleared) the same person signs up and is bound.
    await t.deps.redis.del(`rl:referralBinding:ip:${ip}`);
    const retried = await signUp(openid, { referralCode: code });
    expect(retried.status).toBe(200);
    expect(retried.body.referral).toEqual({ bound: true });
  });

  it('Redis unreachable: a limiter answers 503 UPSTREAM_UNAVAILABLE within about a second, never hangs', async () => {
    const deadRedis = createRedis({ url: 'redis://127.0.0.1:1/0', keyPrefix: 'x:' });
    deadRedis.on('error', () => undefined);
    try {
      const limiter = new Limiter(deadRedis, 'probe', { points: 5, durationSeconds: 60 });
      const started = Date.now();
      const err = await limiter.hit('k').then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('UPSTREAM_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(2500);
    } finally {
      deadRedis.disconnect();
    }
  });
});
