import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { loadConfig } from '../config';
import { createDataSource } from '../datasource';
import { systemClock } from '../shared/clock';
import { AuditService } from '../modules/audit';
import { PointsService } from '../modules/points';
import type { ConsistencyReport } from '../modules/points';

/** The points consistency check (issue 4): every balance equals the sum of its ledger entries. */
export async function runConsistencyCheck(deps: { db: DataSource; config: Config }): Promise<ConsistencyReport> {
  const points = new PointsService({ db: deps.db, config: deps.config, clock: systemClock, audit: new AuditService(deps.db, systemClock) });
  return points.checkConsistency();
}

async function main(): Promise<number> {
  const config = loadConfig();
  const db = createDataSource(config.db);
  await db.initialize();
  try {
    const report = await runConsistencyCheck({ db, config });
    process.stdout.write(`${JSON.stringify({ ok: report.drift.length === 0, ...report })}\n`);
    return report.drift.length === 0 ? 0 : 1;
  } finally {
    await db.destroy();
  }
}

// `node dist/src/cli/points-check.js`: prints the report as one JSON line; exit code 1 on drift, 2 on failure.
if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`points-check failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
