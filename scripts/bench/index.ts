import 'reflect-metadata';
import { loadConfig } from '../../src/config';
import { ensureDatabase } from '../../src/shared/db';
import { createDataSource } from '../../src/datasource';
import { createRedis } from '../../src/shared/redis';
import { systemClock } from '../../src/shared/clock';
import { createLogger } from '../../src/shared/logger';
import { createServices, Deps } from '../../src/services';
import { freePort, load, LoadResult, progress, report, startProcess, stopProcess } from './harness';
import { seedProfileClient } from './seed';
import { pointsRedeemBench } from './points-redeem';
import { BenchDb, BenchDbOptions, dropDatabase } from './harness';
import { questionnaireSubmitBench } from './questionnaire-submit';
import { dueScanBench } from './due-scan';
import { rfmBench } from './rfm';
import { outboxDrainBench } from './outbox-drain';
import { wecomCallbacksBench } from './wecom-callbacks';
import { roiBench } from './roi';
import { voucherIssueBench } from './voucher-issue';
import { importBench } from './import';

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
  // Load comes from one address at 64 connections: the per-address limit of submissions is not what is measured.
  RATE_LIMIT_QUESTIONNAIRE_SUBMIT_PER_IP: '100000000',
};

async function withApp<T>(work: (ctx: { url: string; pid: number; deps: Deps; services: ReturnType<typeof createServices> }) => Promise<T>, opts: { dbName?: string } = {}): Promise<T> {
  const port = await freePort();
  const env = { ...BENCH_ENV, ...(opts.dbName ? { DB_NAME: opts.dbName } : {}), PORT: String(port), HOST: '127.0.0.1' };
  const app = await startProcess('dist/src/main.js', env, `http://127.0.0.1:${port}/readyz`);
  const config = loadConfig({ ...process.env, ...env }, { dotenv: false });
  const db = createDataSource(config.db);
  await db.initialize();
  const redis = createRedis(config.redis);
  const deps: Deps = { config, db, redis, clock: systemClock, logger: createLogger('warn') };
  try {
    return await work({ url: `http://127.0.0.1:${port}`, pid: app.pid!, deps, services: createServices(deps) });
  } finally {
    await stopProcess(app);
    await redis.quit();
    await db.destroy();
  }
}

/**
 * For benches that call services in this process (no HTTP): the database `name`, created and
 * migrated when missing and kept for the next run (big seeds are reused), or new and dropped at the end (`fresh`).
 */
async function withDatabase<T>(name: string, opts: BenchDbOptions, work: (ctx: BenchDb) => Promise<T>): Promise<T> {
  const env = { ...BENCH_ENV, DB_NAME: name, ...opts.env };
  const config = loadConfig({ ...process.env, ...env }, { dotenv: false });
  if (opts.fresh) await dropDatabase(config.db, name);
  await ensureDatabase(config.db);
  const db = createDataSource(config.db);
  await db.initialize();
  const redis = createRedis(config.redis);
  try {
    await db.runMigrations({ transaction: 'each' });
    const deps: Deps = { config, db, redis, clock: opts.clock ?? systemClock, logger: createLogger('warn') };
    return await work({ deps, services: createServices(deps), env });
  } finally {
    await redis.quit();
    await db.destroy();
    if (opts.fresh) await dropDatabase(config.db, name);
  }
}

/** The bare Koa endpoint, and the same after `BUSY_US` µs of CPU work per request (a yardstick for the ratio). */
async function bare(): Promise<{ bare: LoadResult; busy: LoadResult }> {
  const port = await freePort();
  const child = await startProcess('dist/scripts/bench/bare-koa.js', { PORT: String(port) }, `http://127.0.0.1:${port}/bare`);
  try {
    progress('bare Koa endpoint');
    const plain = await load({ url: `http://127.0.0.1:${port}/bare`, pid: child.pid });
    progress(`bare Koa endpoint plus ${BUSY_US} µs of CPU work per request`);
    const busy = await load({ url: `http://127.0.0.1:${port}/bare/busy/${BUSY_US}`, pid: child.pid });
    return { bare: plain, busy };
  } finally {
    await stopProcess(child);
  }
}
const BUSY_US = 50;

const benches: Record<string, () => Promise<void>> = {
  /** The client's own profile beside a bare Koa endpoint. */
  async profile() {
    const { bare: baseline, busy } = await bare();
    report('bare_koa', { rps: baseline.rps, p99_ms: baseline.p99, cpu_us: baseline.cpuUs! }, 'baseline');
    report('bare_koa_busy', { busy_us: BUSY_US, rps: busy.rps, p99_ms: busy.p99, ratio: busy.rps / baseline.rps, cpu_us: busy.cpuUs! }, 'baseline');
    await withApp(async ({ url, pid, deps, services }) => {
      // The floor under every route: the app's middleware (request id, logs, metrics, headers) and nothing else.
      progress('GET /healthz');
      const floor = await load({ url: `${url}/healthz`, pid });
      report('profile_healthz', { rps: floor.rps, p99_ms: floor.p99, ratio: floor.rps / baseline.rps, cpu_us: floor.cpuUs! }, 'baseline');
      const token = await seedProfileClient(deps, services);
      progress('GET /api/mp/me');
      const r = await load({ url: `${url}/api/mp/me`, headers: { authorization: `Bearer ${token}` }, pid });
      if (r.non2xx || r.errors) throw new Error(`profile bench saw ${r.non2xx} non-2xx answers and ${r.errors} errors`);
      // Goal: the route costs at most 50 µs of server CPU per request above the middleware floor.
      report('profile', { rps: r.rps, p99_ms: r.p99, ratio: r.rps / baseline.rps, cpu_us: r.cpuUs! }, { cpu_us: ['<=', floor.cpuUs! + 50] });
    });
  },
  /** redemptions spread over many accounts and on one hot account, each beside raw mysql2; then the ledger check. */
  points_redeem: () => pointsRedeemBench(withApp),
  /** full questionnaire submissions by new clients beside the same row writes on raw mysql2. */
  questionnaire_submit: () => questionnaireSubmitBench(withApp),
  /** the due follow-up scan over 1,000,000 scheduled steps (seconds, peak memory). */
  due_scan: () => dueScanBench(withDatabase),
  /** RFM over 1,000,000 clients. */
  rfm: () => rfmBench(withDatabase),
  /** the nightly rules issuing vouchers (with their messages) to 100,000 eligible clients. */
  voucher_issue: () => voucherIssueBench(withDatabase),
  roi_report: () => roiBench(withDatabase),
  /** `npm run import` of a generated 100,000-client, 300,000-order workbook (seconds, peak memory). */
  import: () => importBench(withDatabase, BENCH_ENV),
  /** outbox messages per second through the simulated WeCom, budgets off. */
  outbox_drain: () => outboxDrainBench(withDatabase),
  /** WeCom callbacks verified, decrypted and recorded per second by one API process. */
  wecom_callbacks: () => wecomCallbacksBench(BENCH_ENV),
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
