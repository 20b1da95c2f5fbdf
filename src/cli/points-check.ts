import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { systemClock } from '../shared/clock';
import { AuditService } from '../modules/audit';
import { PointsService } from '../modules/points';
import type { ConsistencyReport } from '../modules/points';
import { runCheckCli } from './check-cli';

/** The points consistency check: every balance equals the sum of its ledger entries. */
export async function runConsistencyCheck(deps: { db: DataSource; config: Config }): Promise<ConsistencyReport> {
  const points = new PointsService({ db: deps.db, config: deps.config, clock: systemClock, audit: new AuditService(deps.db, systemClock) });
  return points.checkConsistency();
}

// `node dist/src/cli/points-check.js`: prints the report as one JSON line; exit code 1 on drift, 2 on failure.
if (require.main === module) {
  runCheckCli('points-check', async (deps) => {
    const report = await runConsistencyCheck(deps);
    return { ok: report.drift.length === 0, ...report };
  });
}
