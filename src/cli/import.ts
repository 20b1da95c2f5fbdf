import 'reflect-metadata';
import { createReadStream, statSync } from 'node:fs';
import { loadConfig } from '../config';
import { createDataSource } from '../datasource';
import { createRedis } from '../shared/redis';
import { systemClock } from '../shared/clock';
import { createLogger } from '../shared/logger';
import { AppError } from '../shared/errors';
import { createServices } from '../services';
import { SYSTEM_ACTOR } from '../modules/audit';
import { IMPORT_KINDS, type ImportKind, type PassReport } from '../modules/impex';

const USAGE = 'usage: npm run import -- FILE.xlsx|FILE.csv [--dry-run] [--kind clients|orders|treatments] [--source SYSTEM_ID]';

interface Args { file: string; dryRun: boolean; kind: ImportKind | null; source: string }

function parseArgs(argv: string[]): Args {
  const args: Args = { file: '', dryRun: false, kind: null, source: 'legacy' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--dry-run') args.dryRun = true;
    else if (a === '--kind') args.kind = argv[++i] as ImportKind;
    else if (a === '--source') args.source = argv[++i];
    else if (!a.startsWith('--') && !args.file) args.file = a;
    else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  if (!args.file) throw new Error(USAGE);
  if (args.kind && !IMPORT_KINDS.includes(args.kind)) throw new Error(`--kind must be one of ${IMPORT_KINDS.join(', ')}`);
  if (!/^[A-Za-z0-9_.-]{1,32}$/.test(args.source)) throw new Error('--source: 1 to 32 of A-Z a-z 0-9 _ . -');
  return args;
}

/**
 * `npm run import -- file.xlsx [--dry-run] [--kind …] [--source …]`: imports clients, orders and
 * treatments as the console's import does (same engine, batches, idempotency by source id), acting
 * as the system. Progress goes to stderr; the report (counts, every problem) to stdout as JSON.
 * Exit code 0: nothing refused; 1: some rows were refused; 2: the import could not run.
 */
async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  statSync(args.file);
  const config = loadConfig();
  const db = createDataSource(config.db);
  await db.initialize();
  const redis = createRedis(config.redis);
  try {
    const services = createServices({ config, db, redis, clock: systemClock, logger: createLogger('warn') });
    let last = 0;
    const reports = await services.impex.importFile(SYSTEM_ACTOR, () => createReadStream(args.file), {
      kind: args.kind, sourceSystem: args.source, dryRun: args.dryRun,
      onProgress: (kind, done, total) => {
        if (Date.now() - last < 1000 && done < total) return;
        last = Date.now();
        process.stderr.write(`import: ${kind} ${done}/${total} rows${total ? ` (${Math.floor((done * 100) / total)}%)` : ''}\n`);
      },
    });
    const done = Object.entries(reports).filter((e): e is [ImportKind, PassReport] => e[1] !== null);
    process.stdout.write(`${JSON.stringify({ dryRun: args.dryRun, sourceSystem: args.source, ...Object.fromEntries(done) }, null, 1)}\n`);
    return done.some(([, r]) => r.problemCount > 0) ? 1 : 0;
  } finally {
    await redis.quit();
    await db.destroy();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      const detail = err instanceof AppError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
      process.stderr.write(`import failed: ${detail}\n`);
      process.exit(2);
    },
  );
}
