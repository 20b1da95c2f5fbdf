import net from 'node:net';
import { Writable } from 'node:stream';
import request from 'supertest';
import Redis from 'ioredis';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient } from '../helpers/factories';
import { createLogger } from '../../src/shared/logger';
import { createRedis, hitCounter, redisVersionProblem } from '../../src/shared/redis';
import { createApp } from '../../src/app';

/** A TCP proxy to the real Redis that can be stopped (Redis "down") and started again on the same port. */
class RedisProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server!.close(r));
  }
}

async function until(check: () => Promise<boolean>, withinMs: number): Promise<boolean> {
  const end = Date.now() + withinMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('Redis goes away and comes back', () => {
  let t: TestContext;
  let proxy: RedisProxy;
  let redis: Redis;
  const lines: string[] = [];
  let http: ReturnType<typeof request>;

  beforeAll(async () => {
    t = await createTestContext();
    const url = new URL(t.config.redis.url);
    proxy = new RedisProxy({ host: url.hostname, port: Number(url.port || 6379) });
    await proxy.start();
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    const logger = createLogger('info', {}, sink);
    redis = createRedis({ ...t.config.redis, url: `redis://127.0.0.1:${proxy.port}${url.pathname}` }, { log: logger.child({ module: 'redis' }) });
    http = request(createApp({ ...t.deps, redis, logger }).app.callback());
  });
  afterAll(async () => {
    redis.disconnect();
    await proxy.stop();
    await t.close();
  });

  it('answers 503 within ~100 ms while down, logs the outage once as JSON, and serves again by itself when Redis returns', async () => {
    const client = await createClient(t);
    const token = await clientToken(t, client);
    expect((await http.get('/api/mp/me').set(bearer(token))).status).toBe(200);

    await proxy.stop();
    const errorsBefore = lines.length;
    const timings: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      const res = await http.get('/api/mp/me').set(bearer(token));
      timings.push(Date.now() - started);
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(res.headers['retry-after']).toBe('2');
    }
    const ready = await http.get('/readyz');
    expect(ready.status).toBe(503);
    // The first request may meet the connection as it drops; every later one is refused at once.
    expect(timings.slice(1).every((ms) => ms < 100)).toBe(true);
    // Let the reconnect attempts fail a few times (three of ioredis's own reconnect events): still one line.
    let reconnects = 0;
    const counting = () => { reconnects++; };
    redis.on('reconnecting', counting);
    try {
      expect(await until(async () => reconnects >= 3, 10_000)).toBe(true);
    } finally {
      redis.off('reconnecting', counting);
    }
    const outage = lines.slice(errorsBefore).map((l) => JSON.parse(l)).filter((l) => l.module === 'redis');
    expect(outage).toEqual([expect.objectContaining({ level: 50, event: 'redis.down', msg: expect.stringContaining('503') })]);
    expect(lines.slice(errorsBefore).filter((l) => /UPSTREAM|dependency/.test(l))).toEqual([]);

    await proxy.start();
    expect(await until(async () => (await http.get('/api/mp/me').set(bearer(token))).status === 200, 5000)).toBe(true);
    expect(lines.map((l) => JSON.parse(l)).filter((l) => l.event === 'redis.up')).toHaveLength(1);
  });
});

describe('Redis 6 compatibility', () => {
  let t: TestContext;
  beforeAll(async () => { t = await createTestContext(); });
  afterAll(async () => { await t.close(); });

  it('the fixed-window counter counts within its window and uses no Redis 7 syntax (EXPIRE … NX)', async () => {
    const base = new Redis(t.config.redis.url);
    const monitor = await base.monitor();
    const seen: string[][] = [];
    const key = `hit-test-${Date.now()}`;
    monitor.on('monitor', (_time: string, args: string[]) => { if (args.some((a) => a.includes(key))) seen.push(args); });
    try {
      expect([await hitCounter(t.deps.redis, key, 60), await hitCounter(t.deps.redis, key, 60)]).toEqual([1, 2]);
      const ttl = await t.deps.redis.ttl(key);
      expect(ttl).toBeGreaterThan(50);
      // The monitor reports commands as the server runs them: wait for the counter's own commands to arrive.
      expect(await until(async () => seen.filter((args) => /^incr$/i.test(args[0])).length >= 2, 5_000)).toBe(true);
      expect(seen.filter((args) => /^p?expire$/i.test(args[0]) && args.length > 3)).toEqual([]);
    } finally {
      monitor.disconnect();
      base.disconnect();
    }
  });
});

describe('the Redis version at start', () => {
  it('Redis 6 and newer are fine; an older one is named with what is needed', async () => {
    expect(redisVersionProblem('# Server\r\nredis_version:6.0.16\r\nredis_mode:standalone\r\n')).toBeNull();
    expect(redisVersionProblem('redis_version:7.2.4\r\n')).toBeNull();
    expect(redisVersionProblem('# Server\r\nredis_version:5.0.7\r\n')).toMatch(/Redis 5\.0\.7 is too old.*Redis 6 or newer/);
  });
});
