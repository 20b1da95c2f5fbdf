import Joi from 'joi';
import { area, oneOf, setting } from '../setting';

export const db = area('MySQL / MariaDB', {
  dialect: oneOf('DB_DIALECT', ['mariadb', 'mysql'], {
    default: 'mariadb', doc: 'mariadb (local) or mysql (MySQL 8 / TiDB); decides how the schema is read back, not what it is',
  }),
  host: setting('DB_HOST', Joi.string().hostname(), { default: '127.0.0.1', doc: 'Database host' }),
  port: setting('DB_PORT', Joi.number().port(), { default: 3306, doc: 'Database port' }),
  user: setting('DB_USER', Joi.string(), {
    default: 'root', doc: 'Database user. Production refuses root: give the API its own database user',
  }),
  password: setting('DB_PASSWORD', Joi.string().allow(''), { default: '', doc: 'Database password (production refuses an empty one)' }),
  database: setting('DB_NAME', Joi.string().pattern(/^[A-Za-z0-9_]+$/), { default: 'meiyan', doc: 'Database name; created at start outside production when missing' }),
  poolSize: setting('DB_POOL_SIZE', Joi.number().integer().min(1).max(200), { default: 20, doc: 'Connections per process' }),
  logging: setting('DB_LOGGING', Joi.boolean(), { default: false, doc: 'Log every SQL statement (debugging only)' }),
});

export const redis = area('Redis', {
  url: setting('REDIS_URL', Joi.string().uri({ scheme: ['redis', 'rediss'] }), { default: 'redis://127.0.0.1:6379/0', doc: 'Redis server (6 or newer)' }),
  keyPrefix: setting('REDIS_KEY_PREFIX', Joi.string().pattern(/^[A-Za-z0-9:_-]*$/).allow(''), { default: 'meiyan:', doc: 'Prefix of every key this product writes' }),
});
