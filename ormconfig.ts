import 'reflect-metadata';
import { loadConfig } from './src/config';
import { createDataSource } from './src/datasource';

/** The DataSource for the TypeORM CLI (migration:run / revert / generate); settings come from the environment. */
export default createDataSource(loadConfig().db);
