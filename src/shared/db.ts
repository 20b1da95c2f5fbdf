import { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../config';
import { entities } from '../modules/entities';
import { migrations } from '../../migrations';

/** The one DataSource shape, shared by the app, the TypeORM CLI (ormconfig.ts), tests and benchmarks. */
export function createDataSource(db: Config['db'], overrides: { database?: string } = {}): DataSource {
  return new DataSource({
    type: db.dialect,
    host: db.host,
    port: db.port,
    username: db.user,
    password: db.password,
    database: overrides.database ?? db.database,
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
    logging: db.logging ? ['query', 'error'] : ['error'],
    extra: { connectionLimit: db.poolSize, waitForConnections: true, enableKeepAlive: true },
  });
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

/** Runs `work` in one transaction; it commits or rolls back as a whole. */
export function inTransaction<T>(ds: DataSource, work: (m: EntityManager) => Promise<T>): Promise<T> {
  return ds.transaction(work);
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
