import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createTestContext, TestContext } from '../helpers/context';
import { createRedis } from '../../src/shared/redis';
import { loadConfig } from '../../src/config';
import { createApp } from '../../src/app';

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('operations endpoints with an operations port (production default)', () => {
  let t: TestContext;
  let publicUrl: string;
  let opsUrl: string;
  const servers: http.Server[] = [];

  beforeAll(async () => {
    t = await createTestContext();
    const opsServer = http.createServer();
    opsUrl = await listen(opsServer);
    const config = { ...t.config, ops: { port: (opsServer.address() as AddressInfo).port, host: '127.0.0.1' } };
    const { app } = createApp({ ...t.deps, config }, t.services);
    opsServer.on('request', app.callback());
    const publicServer = http.createServer(app.callback());
    publicUrl = await listen(publicServer);
    servers.push(opsServer, publicServer);
  });
  afterAll(async () => {
    for (const s of servers) await new Promise((r) => { s.closeAllConnections(); s.close(r); });
    await t.close();
  });

  it.each(['/metrics', '/openapi.json', '/docs', '/docs/swagger-ui.css', '/METRICS', '/metrics/', '/%6detrics'])('%s is not on the public port (404)', async (path) => {
    const res = await request(publicUrl).get(path);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  it('they answer on the operations port, which serves no API route', async () => {
    expect((await request(opsUrl).get('/metrics')).text).toContain('http_requests_total');
    expect((await request(opsUrl).get('/openapi.json')).body.openapi).toMatch(/^3\./);
    expect((await request(opsUrl).get('/docs')).status).toBe(200);
    expect((await request(opsUrl).post('/api/staff/auth/login').send({ username: 'x', password: 'y' })).status).toBe(404);
    expect((await request(publicUrl).post('/api/staff/auth/login').send({ username: 'x', password: 'y' })).status).toBe(401);
  });

  it('/readyz says "ready" and nothing internal on the public port; the operations port names the dependencies', async () => {
    expect((await request(publicUrl).get('/readyz')).body).toEqual({ status: 'ready' });
    expect((await request(opsUrl).get('/readyz')).body).toEqual({ status: 'ready', mysql: 'ok', redis: 'ok' });
  });

  it('with Redis down, the public /readyz says only NOT_READY', async () => {
    const dead = createRedis({ url: 'redis://127.0.0.1:1/0', keyPrefix: 'x:' });
    try {
      const { app } = createApp({ ...t.deps, redis: dead }, t.services);
      const res = await request(app.callback()).get('/readyz');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ error: { code: 'NOT_READY', message: 'Not ready' } });
    } finally {
      dead.disconnect();
    }
  });

  it('production has an operations port by default, on 127.0.0.1, and refuses it equal to PORT', () => {
    const prod = {
      NODE_ENV: 'production', WECHAT_APPID: 'wx1', WECHAT_SECRET: 's', DB_USER: 'meiyan', DB_PASSWORD: 'x',
      DATA_KEYS: `1:${Buffer.alloc(32, 9).toString('base64')}`, BLIND_INDEX_KEY: Buffer.alloc(32, 8).toString('base64'),
    };
    expect(loadConfig(prod, { dotenv: false }).ops).toEqual({ port: 9464, host: '127.0.0.1' });
    expect(() => loadConfig({ ...prod, OPS_PORT: '3000' }, { dotenv: false })).toThrow(/OPS_PORT must differ/);
    expect(loadConfig({ NODE_ENV: 'test' }, { dotenv: false }).ops.port).toBeNull();
  });
});
