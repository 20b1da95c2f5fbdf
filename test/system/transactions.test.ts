import fs from 'node:fs';
import path from 'node:path';
import type { EntityManager } from 'typeorm';
import { createTestContext, TestContext } from '../helpers/context';
import { createClient } from '../helpers/factories';
import { runInTransaction } from '../../src/shared/db';

const SRC = path.join(__dirname, '../../src');
const HELPER = path.join(SRC, 'shared/db.ts');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('one way to run a transaction (runInTransaction in src/shared/db.ts)', () => {
  it('no file under src/ opens a transaction by itself: no .transaction(, startTransaction( or retry loop of its own', () => {
    const offending = sourceFiles(SRC)
      .filter((f) => f !== HELPER)
      .flatMap((f) =>
        fs.readFileSync(f, 'utf8').split('\n').flatMap((line, i) =>
          /\.transaction\s*\(|\.startTransaction\s*\(|\bwithTransactionRetry\b|START TRANSACTION/i.test(line.replace(/\/\/.*$/, ''))
            ? [`${path.relative(SRC, f)}:${i + 1}: ${line.trim()}`]
            : [],
        ),
      );
    expect(offending).toEqual([]);
  });

  describe('on the database', () => {
    let t: TestContext;
    beforeAll(async () => { t = await createTestContext(); });
    afterAll(async () => { await t.close(); });

    it('two transactions locking two rows in opposite orders both commit: the deadlock victim is run again', async () => {
      const [a, b] = await Promise.all([createClient(t), createClient(t)]);
      let attempts = 0;
      // Each holds its first row until the other holds its own, so the second locks cross.
      let arrived = 0;
      let release!: () => void;
      const bothHold = new Promise<void>((r) => { release = r; });
      const lockBoth = (first: number, second: number, note: string) =>
        runInTransaction(t.deps.db, async (m: EntityManager) => {
          attempts++;
          await m.query('UPDATE clients SET address_enc = NULL WHERE id = ?', [first]);
          if (++arrived === 2) release();
          await bothHold;
          await m.query('UPDATE clients SET stage = ? WHERE id = ?', [note, second]);
          return note;
        });

      const results = await Promise.all([lockBoth(a.id, b.id, 'consulting'), lockBoth(b.id, a.id, 'booked')]);

      expect(results).toEqual(['consulting', 'booked']);
      expect(attempts).toBe(3);
    });

    it('given the caller\'s manager in a transaction, the work joins it and rolls back with it', async () => {
      const client = await createClient(t);
      const outer = runInTransaction(t.deps.db, async (m) => {
        const seen = await runInTransaction(t.deps.db, async (inner) => {
          expect(inner).toBe(m);
          await inner.query("UPDATE clients SET stage = 'booked' WHERE id = ?", [client.id]);
          const [row] = await inner.query('SELECT stage FROM clients WHERE id = ?', [client.id]);
          return row.stage;
        }, { manager: m });
        expect(seen).toBe('booked');
        throw new Error('the outer work fails');
      });

      await expect(outer).rejects.toThrow('the outer work fails');
      const [row] = await t.deps.db.query('SELECT stage FROM clients WHERE id = ?', [client.id]);
      expect(row.stage).toBe('lead');
    });

    it('runs READ COMMITTED: a second read sees what another transaction committed meanwhile', async () => {
      const client = await createClient(t);
      const stages = await runInTransaction(t.deps.db, async (m) => {
        const [before] = await m.query('SELECT stage FROM clients WHERE id = ?', [client.id]);
        await t.deps.db.query("UPDATE clients SET stage = 'consulting' WHERE id = ?", [client.id]);
        const [after] = await m.query('SELECT stage FROM clients WHERE id = ?', [client.id]);
        return [before.stage, after.stage];
      });
      expect(stages).toEqual(['lead', 'consulting']);
    });
  });
});
