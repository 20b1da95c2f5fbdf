import { Writable } from 'node:stream';
import request from 'supertest';
import { createTestContext, TestContext } from '../helpers/context';
import { createClient } from '../helpers/factories';
import { createLogger, requestScope } from '../../src/shared/logger';
import { createRedis } from '../../src/shared/redis';
import { createApp } from '../../src/app';
import { Client } from '../../src/modules/clients';

describe('behind a proxy', () => {
  let t: TestContext;
  beforeAll(async () => { t = await createTestContext({ env: { TRUST_PROXY: 'true', TRUST_PROXY_HOPS: '1', LOGIN_RATE_LIMIT_PER_IP: '2' } }); });
  afterAll(async () => { await t.close(); });

  it('a caller cannot dodge the per-IP login limit by writing its own X-Forwarded-For entries', async () => {
    const real = `10.77.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await t.http.post('/api/mp/auth/login').set('X-Forwarded-For', `203.0.113.${i}, ${real}`).send({ code: `junk-code-${i}` });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 429]);
  });
});

describe('when a dependency fails', () => {
  let t: TestContext;
  beforeAll(async () => { t = await createTestContext(); });
  afterAll(async () => { await t.close(); });

  it('Redis down: authenticated routes answer 503 UPSTREAM_UNAVAILABLE with Retry-After, /readyz answers 503', async () => {
    const deadRedis = createRedis({ url: 'redis://127.0.0.1:1/0', keyPrefix: 'x:' });
    deadRedis.on('error', () => undefined);
    try {
      const { app } = createApp({ ...t.deps, redis: deadRedis });
      const http = request(app.callback());
      const me = await http.get('/api/mp/me').set('Authorization', `Bearer ${'a'.repeat(43)}`);
      expect(me.status).toBe(503);
      expect(me.body.error.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(me.headers['retry-after']).toBe('2');
      const ready = await http.get('/readyz');
      expect(ready.status).toBe(503);
      // Which dependency is down is said on the operations port only (test/system/ops-endpoints.test.ts).
      expect(ready.body).toEqual({ error: { code: 'NOT_READY', message: 'Not ready' } });
    } finally {
      deadRedis.disconnect();
    }
  });

  it('a method the router does not know answers 405, not 500', async () => {
    const res = await t.http.propfind('/healthz');
    expect(res.status).toBe(405);
    expect(res.body.error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('a failed query is logged without its parameters or the duplicated value', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    const log = createLogger('info', {}, sink);
    const existing = await createClient(t);
    let failure: unknown;
    try {
      await t.deps.db.getRepository(Client).insert({ ...existing, id: undefined, publicId: 'p'.repeat(22), referralCode: 'ZZZZZZZZ' });
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeDefined();
    log.error({ err: failure }, 'unhandled error');
    const out = lines.join('');
    expect(out).toContain('ER_DUP_ENTRY');
    expect(out).not.toContain(existing.openid);
    expect(out).not.toContain('"parameters"');
  });

  it('a line\'s own fields stay on that line: later lines of the request carry only its id', () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    const service = createLogger('info', {}, sink);
    const access = createLogger('info', { log: 'access' }, sink);
    requestScope.run({ reqId: 'req-1' }, () => {
      service.info({ clientId: 4, phone: '13800138000' }, 'client login');
      access.info({ method: 'POST', status: 200 }, 'request');
    });
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(first).toMatchObject({ reqId: 'req-1', clientId: 4, phone: '[redacted]' });
    expect(second).toMatchObject({ reqId: 'req-1', method: 'POST' });
    expect(second).not.toHaveProperty('clientId');
    expect(second).not.toHaveProperty('phone');
  });
});
