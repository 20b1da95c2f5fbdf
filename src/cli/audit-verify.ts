import type { DataSource } from 'typeorm';
import { systemClock } from '../shared/clock';
import { verifyAuditChain, type ChainReport } from '../modules/audit';
import { runCheckCli } from './check-cli';

/** Proves the audit log's hash chain (DESIGN.md: tampering shows); names the first broken row. */
export async function runAuditVerify(deps: { db: DataSource }): Promise<ChainReport> {
  return verifyAuditChain(deps.db, systemClock.now());
}

// `node dist/src/cli/audit-verify.js`: one JSON line (rows checked, the head to keep elsewhere, the
// first broken row); exit code 1 when the chain is broken, 2 on failure.
if (require.main === module) runCheckCli('audit-verify', runAuditVerify);
