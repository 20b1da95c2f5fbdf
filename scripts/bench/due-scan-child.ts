/**
 * The due-step scan alone, in a process of its own (forked by due-scan.ts once the bench database
 * is seeded): CareService.enqueueDue at the bench's instant, again until a call finds nothing due.
 * Sends the parent the seconds it took and this process's peak memory, so the figure is the scan's.
 */
import 'reflect-metadata';
import { loadConfig } from '../../src/config';
import { createDataSource } from '../../src/datasource';
import { createRedis } from '../../src/shared/redis';
import { ManualClock } from '../../src/shared/clock';
import { createLogger } from '../../src/shared/logger';
import { createServices } from '../../src/services';
import { AT, sampleMemory, ScanResult } from './due-scan';

async function main(): Promise<void> {
  const config = loadConfig(process.env, { dotenv: false });
  const db = createDataSource(config.db);
  await db.initialize();
  const redis = createRedis(config.redis);
  try {
    const services = createServices({ config, db, redis, clock: new ManualClock(AT), logger: createLogger('warn') });
    const memory = sampleMemory(10);
    const started = process.hrtime.bigint();
    let steps = 0;
    for (;;) {
      const n = await services.care.enqueueDue(AT);
      if (!n) break;
      steps += n;
    }
    const s = Number(process.hrtime.bigint() - started) / 1e9;
    const result: ScanResult = { s, steps, ...memory.stop() };
    await new Promise<void>((resolve, reject) => process.send!(result, (err: Error | null) => (err ? reject(err) : resolve())));
  } finally {
    await redis.quit();
    await db.destroy();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
