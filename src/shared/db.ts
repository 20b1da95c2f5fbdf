import { DataSource, type DataSourceOptions, type EntityManager, type Logger as OrmLogger } from 'typeorm';
import pino from 'pino';
import { maskSqlValues } from './logger';
import type { Config } from '../config';

/** What the DataSource is made of: given by src/datasource.ts, so shared/ needs no module. */
export interface DataSourceParts {
  entities: NonNullable<DataSourceOptions['entities']>;
  migrations: NonNullable<DataSourceOptions['migrations']>;
  database?: string;
}

/** The one DataSource shape; src/datasource.ts gives it the entities and migrations. */
export function dataSourceOf(db: Config['db'], parts: DataSourceParts): DataSource {
  const { entities, migrations } = parts;
  return new DataSource({
    type: db.dialect,
    host: db.host,
    port: db.port,
    username: db.user,
    password: db.password,
    database: parts.database ?? db.database,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z', // UTC in storage (DESIGN.md)
    dateStrings: false,
    supportBigNumbers: true,
    bigNumberStrings: false,
    poolSize: db.poolSize,
    entities,
    migrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logger: new SafeOrmLogger(db.logging),
    extra: { connectionLimit: db.poolSize, waitForConnections: true, enableKeepAlive: true },
  });
}

/**
 * TypeORM's own loggers print failed queries with their parameters: ciphertexts, password hashes,
 * blind indexes. This one logs the statement and the error, never the parameters.
 */
class SafeOrmLogger implements OrmLogger {
  private readonly out = pino({ base: { module: 'typeorm' }, level: process.env.LOG_LEVEL ?? 'info' });
  constructor(private readonly logQueries: boolean) {}
  logQuery(query: string): void {
    if (this.logQueries) this.out.debug({ query }, 'query');
  }
  logQueryError(error: string | Error, query: string): void {
    const e = error as Error & { code?: string };
    this.out.warn({ query: query.slice(0, 500), code: e.code, message: maskSqlValues(typeof error === 'string' ? error : e.message ?? '').slice(0, 300) }, 'query failed');
  }
  logQuerySlow(time: number, query: string): void {
    this.out.warn({ ms: time, query: query.slice(0, 500) }, 'slow query');
  }
  logSchemaBuild(): void {}
  logMigration(message: string): void {
    this.out.info(message);
  }
  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.out.warn({ message }, 'typeorm');
  }
}

/** Creates the database when it does not exist yet (local runs, tests, benchmarks). */
export async function ensureDatabase(db: Config['db'], name = db.database): Promise<void> {
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection({ host: db.host, port: db.port, user: db.user, password: db.password });
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await conn.end();
  }
}

/** mysql2 pool figures for /metrics. */
export function poolStats(ds: DataSource): { total: number; free: number; queued: number } {
  // mysql2's pool keeps these as internal arrays/queues; read defensively.
  const pool = (ds.driver as unknown as { pool?: Record<string, unknown> }).pool as
    | { _allConnections?: { length: number }; _freeConnections?: { length: number }; _connectionQueue?: { length: number } }
    | undefined;
  return {
    total: pool?._allConnections?.length ?? 0,
    free: pool?._freeConnections?.length ?? 0,
    queued: pool?._connectionQueue?.length ?? 0,
  };
}

export function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: string; driverError?: { code?: string } })?.code === 'ER_DUP_ENTRY' ||
    (err as { driverError?: { code?: string } })?.driverError?.code === 'ER_DUP_ENTRY';
}

const RETRYABLE_LOCK_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

/** MySQL chose this transaction as a deadlock victim or it waited too long for a lock; it was rolled back. */
export function isDeadlock(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  return RETRYABLE_LOCK_CODES.has(e?.code ?? '') || RETRYABLE_LOCK_CODES.has(e?.driverError?.code ?? '');
}

/** How a transaction is run: the retry rule and the number of attempts. */
export interface TransactionOptions {
  /** Runs in this transaction instead of a new one, when it is active (a service called by another inside its transaction). */
  manager?: EntityManager | null;
  /** Tries in all, the first included (default 5). */
  attempts?: number;
  /** What a retry can fix: a deadlock or a lock-wait timeout by default; a caller may add more (e.g. a lost unique-key race). */
  retryIf?: (err: unknown) => boolean;
}

/**
 * The one way to run a transaction. READ COMMITTED (no gap locks, so unrelated rows never block
 * each other; writes that grant value serialise on their account row by a conditional UPDATE or
 * SELECT … FOR UPDATE); rolled back and run again when MySQL picks it as a deadlock victim or a
 * lock wait times out, after a jittered pause that grows with each attempt, so the transactions
 * that collided do not collide again. Given the caller's manager in an active transaction, the
 * work joins it: the outer transaction owns the commit and the retry.
 */
export async function runInTransaction<T>(db: DataSource, work: (m: EntityManager) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
  if (opts.manager?.queryRunner?.isTransactionActive) return work(opts.manager);
  return withTransactionRetry(() => db.transaction('READ COMMITTED', work), opts);
}

/**
 * The retry loop of runInTransaction, for a transaction run on a bare mysql2 connection (the
 * benchmarks' baselines). Services use runInTransaction.
 */
export async function withTransactionRetry<T>(work: () => Promise<T>, opts: Pick<TransactionOptions, 'attempts' | 'retryIf'> = {}): Promise<T> {
  const attempts = opts.attempts ?? 5;
  const retryIf = opts.retryIf ?? isDeadlock;
  for (let i = 1; ; i++) {
    try {
      return await work();
    } catch (err) {
      if (i >= attempts || !retryIf(err)) throw err;
      // Full jitter over a doubling window: 10, 20, 40, … ms, at most 100 (a lock is held for milliseconds).
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(100, 5 * 2 ** i)));
    }
  }
}
