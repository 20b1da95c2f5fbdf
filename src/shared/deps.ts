import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import type { Redis } from './redis';
import type { Clock } from './clock';
import type { Logger } from './logger';

/** The outside world a process is given: configuration, connections, the clock and the logger. */
export interface Deps {
  config: Config;
  db: DataSource;
  redis: Redis;
  clock: Clock;
  logger: Logger;
}
