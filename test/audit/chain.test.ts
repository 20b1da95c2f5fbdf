import { createTestContext, TestContext } from '../helpers/context';
import { SYSTEM_ACTOR, type Actor } from '../../src/modules/audit';
import { runAuditVerify } from '../../src/cli/audit-verify';
import { AuditHashChain1795510000000 } from '../../migrations/1795510000000-AuditHashChain';

// Tampering with rows on purpose: a database of its own, so no other test file's chain is touched.
describe('audit log hash chain', () => {
  let t: TestContext;
  beforeAll(async () => { t = await createTestContext({ isolatedDatabase: true }); });
  afterAll(async () => { await t.close(); });

  const actor: Actor = { type: 'staff', id: 7, role: 'doctor', ip: '10.0.0.1', requestId: 'req-1' };
  const verify = () => runAuditVerify({ db: t.deps.db });
  type Row = { id: string; prev_hash: string; hash: string; details: unknown; action: string; at: Date };
  // mysql2 may hand JSON back parsed; written back as JSON text.
  const asSql = (v: unknown) => (v !== null && typeof v === 'object' && !(v instanceof Date) && !Buffer.isBuffer(v) ? JSON.stringify(v) : v);
  const rows = async (): Promise<Row[]> =>
    (await t.deps.db.query('SELECT id, prev_hash, hash, details, action, at FROM audit_log ORDER BY id')) as Row[];

  it('each row links to the one before it, from the genesis hash, and verify proves the chain', async () => {
    await t.services.audit.record(actor, 'client.view', { clientId: 1, details: { b: 2, a: [1, { y: 'x', x: null }] } });
    await t.services.audit.recordMany(actor, [{ action: 'questionnaire.submit', clientId: 2 }, { action: 'client.medical.update', clientId: 2, details: { n: 1 } }]);

    const all = await rows();
    expect(all.length).toBeGreaterThanOrEqual(3);
    expect(all[0].prev_hash).toBe('0'.repeat(64));
    for (let i = 1; i < all.length; i++) {
      expect(all[i].prev_hash).toBe(all[i - 1].hash);
      expect(Number(all[i].id)).toBe(Number(all[i - 1].id) + 1);
    }
    const report = await verify();
    expect(report).toMatchObject({ ok: true, rows: all.length, broken: null, head: { id: String(all[all.length - 1].id), hash: all[all.length - 1].hash } });
  });

  it('concurrent writers, inside and outside transactions, never fork the chain', async () => {
    const before = (await rows()).length;

    await Promise.all(Array.from({ length: 40 }, (_, i) =>
      i % 2
        ? t.services.audit.record({ ...actor, requestId: `par-${i}` }, 'client.view', { clientId: i })
        : t.deps.db.transaction((m) => t.services.audit.recordMany(SYSTEM_ACTOR, [{ action: 'a', details: { i } }, { action: 'b', details: { i } }], m)),
    ));

    const all = await rows();
    expect(all).toHaveLength(before + 20 + 40);
    expect(new Set(all.map((r) => r.prev_hash)).size).toBe(all.length);
    expect((await verify()).ok).toBe(true);
  });

  it('a rolled-back transaction leaves neither rows nor a moved head behind', async () => {
    const before = await verify();

    await expect(t.deps.db.transaction(async (m) => {
      await t.services.audit.record(actor, 'will.roll.back', {}, m);
      throw new Error('business rule refused');
    })).rejects.toThrow('business rule refused');
    await t.services.audit.record(actor, 'after.rollback');

    const after = await verify();
    expect(after.ok).toBe(true);
    expect(after.rows).toBe(before.rows + 1);
  });

  it('a row changed in SQL breaks the chain at that row; putting it back mends it', async () => {
    await t.services.audit.record(actor, 'client.export', { clientId: 99, details: { format: 'json' } });
    const target = (await rows()).find((r) => r.action === 'client.export')!;

    await t.deps.db.query("UPDATE audit_log SET details = JSON_OBJECT('format', 'csv') WHERE id = ?", [target.id]);
    const tampered = await verify();
    await t.deps.db.query('UPDATE audit_log SET details = ? WHERE id = ?', [asSql(target.details), target.id]);

    expect(tampered).toMatchObject({ ok: false, broken: { id: String(target.id), reason: 'hash_mismatch' } });
    expect((await verify()).ok).toBe(true);
  });

  it('a changed time or a rehashed row is caught too: the next row no longer links to it', async () => {
    const all = await rows();
    const target = all[2];

    await t.deps.db.query('UPDATE audit_log SET at = ? WHERE id = ?', [new Date(target.at.getTime() - 1000), target.id]);
    const timeTampered = await verify();
    await t.deps.db.query('UPDATE audit_log SET at = ? WHERE id = ?', [target.at, target.id]);
    await t.deps.db.query("UPDATE audit_log SET hash = REPEAT('a', 64) WHERE id = ?", [target.id]);
    const hashTampered = await verify();
    await t.deps.db.query('UPDATE audit_log SET hash = ? WHERE id = ?', [target.hash, target.id]);

    expect(timeTampered).toMatchObject({ ok: false, broken: { id: String(target.id), reason: 'hash_mismatch' } });
    expect(hashTampered).toMatchObject({ ok: false, broken: { id: String(target.id) } });
    expect((await verify()).ok).toBe(true);
  });

  it('a deleted row is named by the row after it, a deleted last row by the head', async () => {
    const all = await rows();
    const middle = all[3];
    const last = all[all.length - 1];
    const copy = async (id: string) => (await t.deps.db.query('SELECT * FROM audit_log WHERE id = ?', [id]))[0] as Record<string, unknown>;
    const reinsert = async (row: Record<string, unknown>) =>
      t.deps.db.query(`INSERT INTO audit_log (${Object.keys(row).join(', ')}) VALUES (${Object.keys(row).map(() => '?').join(', ')})`, Object.values(row).map(asSql));
    const savedMiddle = await copy(middle.id);
    const savedLast = await copy(last.id);

    await t.deps.db.query('DELETE FROM audit_log WHERE id = ?', [middle.id]);
    const gap = await verify();
    await reinsert(savedMiddle);
    await t.deps.db.query('DELETE FROM audit_log WHERE id = ?', [last.id]);
    const tail = await verify();
    await reinsert(savedLast);

    expect(gap).toMatchObject({ ok: false, broken: { id: String(all[4].id), reason: 'prev_hash_mismatch' } });
    expect(tail).toMatchObject({ ok: false, broken: { id: String(last.id), reason: 'head_mismatch' } });
    expect((await verify()).ok).toBe(true);
  });

  it('the migration chains rows written before it, and new rows continue that chain', async () => {
    const migration = new AuditHashChain1795510000000();
    const qr = t.deps.db.createQueryRunner();
    try {
      await migration.down(qr);
      await qr.query(
        "INSERT INTO audit_log (at, actor_type, actor_id, actor_role, action, client_id, allowed, ip, request_id, details) VALUES (NOW(3), 'system', NULL, 'system', 'old.one', NULL, 1, NULL, NULL, '{\"z\":1,\"a\":2}')",
      );
      await migration.up(qr);
    } finally {
      await qr.release();
    }
    await t.services.audit.record(actor, 'after.migration');

    const report = await verify();
    expect(report.ok).toBe(true);
    expect(report.rows).toBe((await rows()).length);
  });
});
