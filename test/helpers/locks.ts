import * as crypto from '../../src/shared/crypto';
import type { EntityManager } from 'typeorm';
import type { TestContext } from './context';

/** A transaction left open on a connection of its own, so that concurrent work can be made to wait on its locks. */
export interface HeldTransaction {
  manager: EntityManager;
  commit(): Promise<void>;
  /** Rolls back if still open and frees the connection; safe to call after commit (for `finally`). */
  release(): Promise<void>;
}

/** Opens a READ COMMITTED transaction (the isolation every service transaction uses) and holds it. */
export async function holdTransaction(t: TestContext): Promise<HeldTransaction> {
  const qr = t.deps.db.createQueryRunner();
  await qr.connect();
  await qr.startTransaction('READ COMMITTED');
  let released = false;
  return {
    manager: qr.manager,
    async commit() {
      await qr.commitTransaction();
    },
    async release() {
      if (released) return;
      released = true;
      try {
        if (qr.isTransactionActive) await qr.rollbackTransaction();
      } finally {
        await qr.release();
      }
    },
  };
}

// InnoDB refreshes its information_schema lock tables only when they were not read in the last 100 ms.
const POLL_MS = 150;

/**
 * Resolves once another transaction waits on a lock the held one has (InnoDB's lock-wait table):
 * the concurrent work has reached that lock. Polls the server (no business time passes); fails
 * after `timeoutMs`.
 */
export async function waitUntilBlockedBy(t: TestContext, held: HeldTransaction, timeoutMs = 10_000): Promise<void> {
  const [{ thread }] = await held.manager.query('SELECT CONNECTION_ID() AS thread');
  for (let waited = 0; ; waited += POLL_MS) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    const [{ n }] = await t.deps.db.query(
      `SELECT COUNT(*) AS n FROM information_schema.INNODB_LOCK_WAITS w JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id
        WHERE b.trx_mysql_thread_id = ?`,
      [thread],
    );
    if (Number(n) > 0) return;
    if (waited >= timeoutMs) throw new Error('nothing came to wait on the held transaction');
  }
}

/** A password check held open: the real check runs once released. */
export interface HeldPasswordCheck {
  /** Settles when a check of the password has started and is waiting. */
  reached: Promise<void>;
  release(): void;
  /** Releases and puts the real function back (for `finally`). */
  restore(): void;
}

/**
 * Holds every check of `password` (the slow scrypt step of a staff login) until released, so a
 * test can change the account while a login is between reading it and deciding. The real check
 * still runs; other passwords pass straight through.
 */
export function holdPasswordCheck(password: string): HeldPasswordCheck {
  const original = crypto.verifyPassword;
  let reached!: () => void;
  const atCheck = new Promise<void>((r) => { reached = r; });
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const spy = jest.spyOn(crypto, 'verifyPassword').mockImplementation(async (candidate, stored) => {
    if (candidate === password) {
      reached();
      await gate;
    }
    return original(candidate, stored);
  });
  return { reached: atCheck, release, restore: () => { release(); spy.mockRestore(); } };
}
