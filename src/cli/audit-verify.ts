import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../config';
import { createDataSource } from '../datasource';
import { systemClock } from '../shared/clock';
import { AuditService, type ChainReport } from '../modules/audit';

/** Proves the audit log's hash chain (DESIGN.md: tampering shows); names the first broken row. */
export async function runAuditVerify(deps: { db: DataSource }): Promise<ChainReport> {
  return new AuditService(deps.db, systemClock).verifyChain();
}

async function main(): Promise<number> {
  const config = loadConfig();
  const db = createDataSource(config.db);
  await db.initialize();
  try {
    const report = await runAuditVerify({ db });
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return report.ok ? 0 : 1;
  } finally {
    await db.destroy();
  }
}

// `node dist/src/cli/audit-verify.js`: one JSON line (rows checked, the head to keep elsewhere, the
// first broken row); exit code 1 when the chain is broken, 2 on failure.
if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`audit-verify failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
