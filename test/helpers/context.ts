import 'reflect-metadata';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { loadConfig, Config } from '../../src/config';
import { ensureDatabase } from '../../src/shared/db';
import { createDataSource } from '../../src/datasource';
import { createRedis } from '../../src/shared/redis';
import { ManualClock } from '../../src/shared/clock';
import { createLogger } from '../../src/shared/logger';
import { createApp, AppHandle } from '../../src/app';
import type { Deps } from '../../src/services';
import { startWeChatStandIn, StandInHandle } from '../../src/integrations/wechat/standin';
import { checkResponsesAgainstOpenApi } from './openapi';

export interface TestContext {
  deps: Deps;
  config: Config;
  clock: ManualClock;
  handle: AppHandle;
  services: AppHandle['services'];
  http: TestAgent;
  standIn: StandInHandle;
  close(): Promise<void>;
}

/**
 * A real app on the run's real database and Redis, with the WeChat stand-in on a free port and
 * a manual clock. Call once per test file (beforeAll) and close in afterAll.
 */
export async function createTestContext(
  opts: { env?: Record<string, string>; now?: string; isolatedDatabase?: boolean; shareDatabaseOf?: TestContext } = {},
): Promise<TestContext> {
  const clock = new ManualClock(opts.now ?? new Date());
  // A test that needs the whole database to itself (e.g. "the last director") gets a fresh,
  // migrated one, dropped on close, so it cannot disturb test files running beside it.
  // A second app instance on that database (`shareDatabaseOf`) neither creates nor drops it.
  // Its Redis keys are its own too: sessions and revocation sets are keyed by row ids, which repeat
  // across databases, so another file revoking "staff 3" would end this file's staff 3's sessions.
  const suffix = Math.random().toString(36).slice(2, 8);
  const isolated = opts.isolatedDatabase ? `${process.env.DB_NAME}_${suffix}` : null;
  const dbName = isolated ?? opts.shareDatabaseOf?.config.db.database;
  const keyPrefix = isolated ? `${process.env.REDIS_KEY_PREFIX ?? ''}${suffix}:` : opts.shareDatabaseOf?.config.redis.keyPrefix;
  const base = loadConfig({ ...process.env, ...(keyPrefix ? { REDIS_KEY_PREFIX: keyPrefix } : {}), ...opts.env, ...(dbName ? { DB_NAME: dbName } : {}) }, { dotenv: false });
  if (isolated) await ensureDatabase(base.db);
  const standIn = await startWeChatStandIn({ port: 0, clock, appId: base.wechat.appId, appSecret: base.wechat.appSecret });
  const config: Config = { ...base, wechat: { ...base.wechat, apiBaseUrl: standIn.url, standIn: true } };
  const db = createDataSource(config.db);
  await db.initialize();
  if (isolated) await db.runMigrations({ transaction: 'each' });
  const redis = createRedis(config.redis);
  const deps: Deps = { config, db, redis, clock, logger: createLogger(config.logLevel) };
  const handle = createApp(deps);
  checkResponsesAgainstOpenApi(handle.app, handle.openapi);
  const http = request(handle.app.callback());
  return {
    deps, config, clock, handle, services: handle.services, http, standIn,
    async close() {
      handle.services.workStream.close();
      await standIn.close();
      await redis.quit();
      // The audit rows written last are linked in the background: let that finish before the pool closes.
      await handle.services.audit.chainer.idle();
      if (isolated) await db.query(`DROP DATABASE \`${isolated}\``);
      await db.destroy();
    },
  };
}
