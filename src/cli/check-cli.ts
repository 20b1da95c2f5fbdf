import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { loadConfig } from '../config';
import { createDataSource } from '../datasource';

/**
 * Runs a read-only check against the configured database as a command: prints its report as one
 * JSON line and exits 0 when `ok`, 1 when the check found a problem, 2 when it could not run.
 */
export function runCheckCli(name: string, check: (deps: { db: DataSource; config: Config }) => Promise<{ ok: boolean }>): void {
  const main = async (): Promise<number> => {
    const config = loadConfig();
    const db = createDataSource(config.db);
    await db.initialize();
    try {
      const report = await check({ db, config });
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return report.ok ? 0 : 1;
    } finally {
      await db.destroy();
    }
  };
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${name} failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
