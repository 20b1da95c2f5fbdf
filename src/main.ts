import 'reflect-metadata';
import http from 'node:http';
import { ConfigError, loadConfig, Config } from './config';
import { createLogger, Logger } from './shared/logger';
import { ensureDatabase } from './shared/db';
import { createDataSource } from './datasource';
import { createRedis, redisVersionProblem } from './shared/redis';
import { systemClock } from './shared/clock';
import { createServices, Deps } from './services';
import { createApp } from './app';
import { startBot, BotHandle } from './bot';
import { startScheduler, SchedulerHandle } from './scheduler';
import { startWeChatStandIn, StandInHandle } from './integrations/wechat/standin';
import { startWeComStandIn, WeComStandInHandle } from './integrations/wecom/standin';
import { seedDemo, DemoSummary } from './modules/demo';
import type { DataSource } from 'typeorm';

/** Runs the migrations under a MySQL named lock, so several instances starting together migrate once. */
async function migrate(db: DataSource, log: Logger): Promise<void> {
  const runner = db.createQueryRunner();
  try {
    const [{ locked }] = await runner.query("SELECT GET_LOCK('meiyan_migrations', 60) AS locked");
    if (Number(locked) !== 1) throw new Error('could not take the migration lock within 60 s (another instance is migrating?)');
    const done = await db.runMigrations({ transaction: 'each' });
    if (done.length) log.info({ migrations: done.map((m) => m.name) }, 'migrations applied');
  } finally {
    await runner.query("SELECT RELEASE_LOCK('meiyan_migrations')").catch(() => undefined);
    await runner.release();
  }
}

function banner(config: Config, demo: DemoSummary | null, standIn: StandInHandle | null, wecomStandIn: WeComStandInHandle | null = null): string {
  const lines = [
    '',
    `  美颜客户管理 is running (${config.env}; roles: ${config.roles.join(', ')})`,
  ];
  if (config.roles.includes('api')) {
    const ops = config.ops.port === null ? config.publicUrl : `http://${config.ops.host}:${config.ops.port}`;
    lines.push(`  API           ${config.publicUrl}`, `  Staff console ${config.publicUrl}/console/  (WeCom sidebar: /console/sidebar/)`, `  API docs      ${ops}/docs`, `  Readiness     ${config.publicUrl}/readyz`);
    if (config.ops.port !== null) lines.push(`  Operations    ${ops}  (/metrics, /openapi.json, /docs; not on the public port)`);
  }
  if (standIn) lines.push(`  WeChat stand-in ${standIn.url}  (mint a login code: curl -XPOST ${standIn.url}/__standin/login-code)`);
  if (wecomStandIn) lines.push(`  WeCom stand-in  ${wecomStandIn.url}  (a client adds a consultant: curl -XPOST ${wecomStandIn.url}/__standin/add-contact -d '{"userid":"zhangsan"}')`);
  if (config.roles.includes('bot')) lines.push(`  Bot           ${config.bot.puppet === 'mock' ? 'Wechaty on the mock puppet (simulated WeCom)' : 'Wechaty on puppet-service'}`);
  if (demo?.staff.length) {
    lines.push('  Demo staff logins (POST /api/staff/auth/login):');
    for (const s of demo.staff) lines.push(`    ${s.role.padEnd(17)} ${s.username} / ${s.password}`);
    lines.push(`  (this installation's own passwords, kept readable for you only in ${demo.passwordsFile})`);
  }
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee .env.example for every setting.\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, { pid: process.pid });
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

  const standIn = config.wechat.standIn
    ? await startWeChatStandIn({ port: config.wechat.standInPort, host: '127.0.0.1', appId: config.wechat.appId, appSecret: config.wechat.appSecret, publishedPages: [config.referrals.sharePage] })
    : null;
  // On a port picked at start (WECHAT_STANDIN_PORT=0) the API calls the stand-in where it actually listens.
  if (standIn && config.wechat.standInPort === 0 && !process.env.WECHAT_API_BASE) config.wechat.apiBaseUrl = standIn.url;

  // The WeCom stand-in plays the corp and sends its callbacks to this process's callback URL.
  const wecomStandIn = config.wecom.standIn && config.wecom.official
    ? await startWeComStandIn({
      port: config.wecom.standInPort, host: '127.0.0.1', corpId: config.wecom.corpId, agentId: config.wecom.agentId,
      agentSecret: config.wecom.agentSecret, contactSecret: config.wecom.contactSecret,
      callback: { url: `http://127.0.0.1:${config.port}/api/wecom/callback`, token: config.wecom.callbackToken, aesKey: config.wecom.callbackAesKey },
    })
    : null;

  if (config.env !== 'production') await ensureDatabase(config.db);
  const db = createDataSource(config.db);
  await db.initialize();
  await migrate(db, logger);
  const redis = createRedis(config.redis, { log: logger.child({ module: 'redis' }) });
  // Said at start rather than as a command refused later; a Redis not up yet is checked on its next start.
  const tooOld = redisVersionProblem(await redis.info('server').catch(() => ''));
  if (tooOld) throw new Error(tooOld);
  const deps: Deps = { config, db, redis, clock: systemClock, logger };
  const services = createServices(deps);
  const demo = config.demoSeed ? await seedDemo(deps, services) : null;

  let server: http.Server | null = null;
  let opsServer: http.Server | null = null;
  let bot: BotHandle | null = null;
  let scheduler: SchedulerHandle | null = null;
  if (config.roles.includes('api')) {
    const { app } = createApp(deps, services);
    server = http.createServer(app.callback());
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => server!.listen(config.port, config.host, resolve));
    if (config.ops.port !== null) {
      opsServer = http.createServer(app.callback());
      await new Promise<void>((resolve) => opsServer!.listen(config.ops.port!, config.ops.host, resolve));
    }
  }
  if (config.roles.includes('scheduler')) scheduler = await startScheduler(deps, services);
  // WECOM_MODE=official: WeCom's own API serves alone, no bot account.
  if (config.roles.includes('bot') && config.wecom.mode !== 'official') bot = await startBot(deps, services);
  process.stdout.write(banner(config, demo, standIn, wecomStandIn));
  logger.info({ port: config.port, roles: config.roles }, 'started');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: no new requests, finishing what is in flight');
    const force = setTimeout(() => {
      logger.error('graceful stop took too long; exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    // Open notification streams would hold the server open: end them first (browsers fall back to polling, then reconnect elsewhere).
    services.workStream.close();
    if (server) {
      const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
    }
    if (opsServer) {
      const closed = new Promise<void>((resolve) => opsServer!.close(() => resolve()));
      opsServer.closeAllConnections();
      await closed;
    }
    await scheduler?.stop();
    await bot?.stop();
    // Audit rows committed by the last requests are being linked into the chain (else the next sweep links them).
    await services.audit.chainer.idle();
    await redis.quit().catch(() => undefined);
    await db.destroy();
    await standIn?.close();
    await wecomStandIn?.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`startup failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
