import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { systemClock } from '../shared/clock';
import { createLogger } from '../shared/logger';
import { AuditService } from '../modules/audit';
import type { ConsistencyReport } from '../modules/points';
import { WalletService } from '../modules/wallet';
import type { WalletConsistencyReport } from '../modules/wallet';
import { runConsistencyCheck as checkPoints } from './points-check';
import { runCheckCli } from './check-cli';

export interface LedgersReport {
  ok: boolean;
  points: ConsistencyReport;
  wallet: WalletConsistencyReport;
}

/** Both value ledgers: every points and every stored-value balance equals the sum of its entries (and none is negative). */
export async function runLedgersCheck(deps: { db: DataSource; config: Config }): Promise<LedgersReport> {
  const wallet = new WalletService({
    db: deps.db, clock: systemClock, audit: new AuditService(deps.db, systemClock), logger: createLogger(deps.config.logLevel, { module: 'wallet' }),
    orders: () => { throw new Error('the ledgers check records no payment'); },
  });
  const [points, stored] = await Promise.all([checkPoints(deps), wallet.checkConsistency()]);
  return { ok: points.drift.length === 0 && stored.drift.length === 0 && stored.orders.length === 0, points, wallet: stored };
}

// `node dist/src/cli/ledgers-check.js`: prints the report as one JSON line; exit code 1 on drift, 2 on failure.
if (require.main === module) runCheckCli('ledgers-check', runLedgersCheck);
