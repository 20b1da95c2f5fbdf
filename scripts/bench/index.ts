import 'reflect-metadata';
import { loadConfig } from '../../src/config';
import { createDataSource } from '../../src/shared/db';
import { createRedis } from '../../src/shared/redis';
import { systemClock } from '../../src/shared/clock';
import { createLogger } from '../../src/shared/logger';
import { createServices, Deps } from '../../src/services';
import { freePort, load, progress, report, startProcess, stopProcess } from './harness';
import { seedProfileClient } from './seed';

/**
 * `npm run bench` runs every benchmark; `npm run bench -- NAME` runs one. Each starts the real
 * app (dist/src/main.js) in its own process on its own database and prints BENCH lines.
 */
const BENCH_ENV = {
  NODE_ENV: 'development',
  ROLES: 'api',
  DEMO_SEED: 'false',
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
  DB_NAME: process.env.BENCH_DB_NAME ?? 'meiyan_bench',
  REDIS_KEY_PREFIX: 'meiyan-bench:',
  WECHAT_STANDIN: 'false',
  WECHAT_APPID: 'wxbench',
  WECHAT_SECRET: 'bench',
};

async function withApp<T>(work: (ctx: { url: string; deps: Deps; services: ReturnType<typeof createServices> }) => Promise<T>): Promise<T> {
  const port = await freePort();
  const env = { ...BENCH_ENV, PORT: String(port), HOST: '127.0.0.1' };
  const app = await startProcess('dist/src/main.js', env, `http://127.0.0.1:${port}/readyz`);
  const config = loadConfig({ ...process.env, ...env }, { dotenv: false });
  const db = createDataSource(config.db);
  await db.initialize();
  const redis = createRedis(config.redis);
  const deps: Deps = { config, db, redis, clock: systemClock, logger: createLogger('warn') };
  try {
    return await work({ url: `http://127.0.0.1:${port}`, deps, services: createServices(deps) });
  } finally {
    await stopProcess(app);
    await redis.quit();
    await db.destroy();
  }
}

async function bare(): Promise<{ rps: number; p99: number }> {
  const port = await freePort();
  const child = await startProcess('dist/scripts/bench/bare-koa.js', { PORT: String(port) }, `http://127.0.0.1:${port}/bare`);
  try {
    progress('bare Koa endpoint');
    return await load({ url: `http://127.0.0.1:${port}/bare` });
  } finally {
    await stopProcess(child);
  }
}

const benches: Record<string, () => Promise<void>> = {
  /** Issue 2: the client's own profile beside a bare Koa endpoint. */
  async profile() {
    const baseline = await bare();
    report('bare_koa', { rps: baseline.rps, p99_ms: baseline.p99 });
    await withApp(async ({ url, deps, services }) => {
      const token = await seedProfileClient(deps, services);
      progress('GET /api/mp/me');
      const r = await load({ url: `${url}/api/mp/me`, headers: { authorization: `Bearer ${token}` } });
      if (r.non2xx || r.errors) throw new Error(`profile bench saw ${r.non2xx} non-2xx answers and ${r.errors} errors`);
      report('profile', { rps: r.rps, p99_ms: r.p99, ratio: r.rps / baseline.rps });
    });
  },
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((n) => !benches[n]);
  if (unknown.length) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}\n`);
    process.exit(2);
  }
  for (const name of wanted.length ? wanted : Object.keys(benches)) {
    progress(`running ${name}`);
    await benches[name]();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
