import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config';
import { ensureDatabase } from '../src/shared/db';
import { createDataSource } from '../src/datasource';

/**
 * One database per test run, made from the real migrations: up, all the way down, and up again,
 * so every migration is proven reversible (DESIGN.md, testing).
 */
export default async function globalSetup(): Promise<void> {
  const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  process.env.NODE_ENV = 'test';
  process.env.DB_NAME = `meiyan_test_${run}`;
  process.env.REDIS_KEY_PREFIX = `meiyan-test:${run}:`;
  process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
  process.env.DEMO_SEED = 'false';
  // Many tests move the clock by hours or days between requests of one staff session; the idle
  // timeout is proven with its default in test/staff/session-idle.test.ts.
  process.env.STAFF_SESSION_IDLE_MINUTES ??= '0';
  // Every supertest request comes from 127.0.0.1 and the run shares one Redis prefix, so per-address
  // limits of client actions would let test files throttle one another, and tests of retries and races
  // send one client's action many times. Tests of a limit set their own (with addresses of their own).
  for (const action of ['DATA_EXPORT', 'COMPLAINT', 'PHONE_BINDING', 'REFERRAL_BINDING', 'QUESTIONNAIRE_SUBMIT']) {
    process.env[`RATE_LIMIT_${action}_PER_IP`] ??= '1000000';
    process.env[`RATE_LIMIT_${action}_PER_CLIENT`] ??= '1000000';
  }
  // The login limits per address likewise: many files log staff and clients in from 127.0.0.1 at
  // once (the console walkthroughs a dozen times each). The limit tests set their own.
  process.env.STAFF_LOGIN_RATE_LIMIT_PER_IP ??= '1000000';
  process.env.LOGIN_RATE_LIMIT_PER_IP ??= '1000000';
  // OWASP's scrypt cost (128 MiB, ~0.5 s per hash) in every login of every file would starve the
  // run; test/staff/password-hash.test.ts proves the default and the rehash at it.
  process.env.STAFF_PASSWORD_SCRYPT_N ??= '16384';
  const config = loadConfig(process.env, { dotenv: false });
  await ensureDatabase(config.db);
  const ds = createDataSource(config.db);
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
    for (let i = 0; i < ds.migrations.length; i++) await ds.undoLastMigration({ transaction: 'each' });
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await ds.destroy();
  }
}
