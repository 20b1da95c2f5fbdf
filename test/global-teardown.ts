import { loadConfig } from '../src/config';
import Redis from 'ioredis';

export default async function globalTeardown(): Promise<void> {
  const config = loadConfig(process.env, { dotenv: false });
  if (process.env.KEEP_TEST_DB !== '1') {
    const mysql = await import('mysql2/promise');
    const conn = await mysql.createConnection({ host: config.db.host, port: config.db.port, user: config.db.user, password: config.db.password });
    await conn.query(`DROP DATABASE IF EXISTS \`${config.db.database}\``);
    await conn.end();
  }
  const redis = new Redis(config.redis.url);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${config.redis.keyPrefix}*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await redis.quit();
}
