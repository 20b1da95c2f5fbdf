import type { DataSource } from 'typeorm';
import type { Config } from './config';
import { dataSourceOf } from './shared/db';
import { entities } from './modules/entities';
import { migrations } from '../migrations';

/** The one DataSource, shared by the app, the TypeORM CLI (ormconfig.ts), tests and benchmarks. */
export function createDataSource(db: Config['db'], overrides: { database?: string } = {}): DataSource {
  return dataSourceOf(db, { entities, migrations, database: overrides.database });
}
