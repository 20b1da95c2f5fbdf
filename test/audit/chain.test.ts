import { createTestContext, TestContext } from '../helpers/context';
import { createDataSource } from '../../src/datasource';
import { AuditService, GENESIS_HASH, SYSTEM_ACTOR, chainHash, type Actor } from '../../src/modules/audit';
import { runAuditVerify } from '../../src/cli/audit-verify';
import { AuditChainOffRequest1795760000000 } from '../../migrations/1795760000000-AuditChainOffRequest';
import { allTasks } from '../../src/scheduler/tasks';

// Tampering with rows on purpose: a database of its own, so no other test file's chain is touched.
describe('audit log hash chain', () => {
  let t: TestContext;
  beforeAll(async () => { t = await createTestContext({ isolatedDatabase: true }); });
  afterAll(async () => { await t.close(); });

  const actor: Actor = { type: 'staff', id: 7, role: 'doctor', ip: '10.0.0.1', requestId: 'req-1' };
  const audit = () => t.services.audit;
  const verify = () => runAuditVerify({ db: t.deps.db });
  type Link = { seq: string; audit_id: string; prev_hash: string; hash: string };
  const links = async (): Promise<Link[]> =>
    (await t.deps.db.query('SELECT seq, audit_id, prev_hash, hash FROM audit_chain ORDER BY seq')).map((l: Link) => ({ ...l, seq: String(l.seq), audit_id: String(l.audit_id) }));
  const count = async (table: string) => Number((await t.deps.db.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
  // mysql2 may hand JSON back parsed; written back as JSON text.
  const asSql = (v: unknown) => (v !== null && typeof v === 'object' && !(v instanceof Date) && !Buffer.isBuffer(v) ? JSON.stringify(v) : v);
  const copyRow = async (table: string, where: string, id: string) => (await t.deps.db.query(`SELECT * FROM ${table} WHERE ${where} = ?`, [id]))[0] as Record<string, unknown>;
  const reinsert = (table: string, row: Record<string, unknown>) =>
    t.deps.db.query(`INSERT INTO ${table} (${Object.keys(row).join(', ')}) VALUES (${Object.keys(row).map(() => '?').join(', ')})`, Object.values(row).map(asSql));

  /** Every row linked once, the links a single chain from the genesis hash, seq without gaps, and the head on the last link. */
  const expectOneChain = async () => {
    const all = await links();
    expect(all).toHaveLength(await count('audit_log'));
    expect(all[0].prev_hash).toBe(GENESIS_HASH);
    all.forEach((l, i) => {
      expect(l.seq).toBe(String(i + 1));
      if (i) expect(l.prev_hash).toBe(all[i - 1].hash);
    });
    const report = await verify();
    expect(report).toMatchObject({ ok: true, rows: all.length, broken: null, unchained: 0, head: { seq: String(all.length), hash: all[all.length - 1].hash } });
  };

  it('a writer only appends; its rows are linked after its commit, in id order, from the genesis hash', async () => {
    await audit().record(actor, 'client.view', { clientId: 1, details: { b: 2, a: [1, { y: 'x', x: null }] } });
    await audit().recordMany(actor, [{ action: 'questionnaire.submit', clientId: 2 }, { action: 'client.medical.update', clientId: 2, details: { n: 1 } }]);
    await audit().chainer.idle();

    const rows = (await t.deps.db.query('SELECT id FROM audit_log ORDER BY id')).map((r: { id: string }) => String(r.id));
    expect((await links()).map((l) => l.audit_id)).toEqual(rows);
    await expectOneChain();
  });

  it('concurrent writers on two servers, inside and outside transactions, never fork the chain', async () => {
    // A second "server": its own pool and its own chainer on the same database.
    const otherDb = createDataSource(t.config.db);
    await otherDb.initialize();
    const other = new AuditService(otherDb, t.clock);
    try {
      const before = await count('audit_log');
      await Promise.all(Array.from({ length: 60 }, (_, i) => {
        const [db, svc] = i % 3 === 0 ? [otherDb, other] : [t.deps.db, audit()];
        return i % 2
          ? svc.record({ ...actor, requestId: `par-${i}` }, 'client.view', { clientId: i })
          : db.transaction((m) => svc.recordMany(SYSTEM_ACTOR, [{ action: 'a', details: { i } }, { action: 'b', details: { i } }], m));
      }));
      await Promise.all([audit().chainer.idle(), other.chainer.idle()]);

      expect(await count('audit_log')).toBe(before + 30 + 60);
      await expectOneChain();
    } finally {
      await other.chainer.idle();
      await otherDb.destroy();
    }
  });

  it('a rolled-back transaction leaves neither rows nor links behind', async () => {
    const before = await verify();

    await expect(t.deps.db.transaction(async (m) => {
      await audit().record(actor, 'will.roll.back', {}, m);
      throw new Error('business rule refused');
    })).rejects.toThrow('business rule refused');
    await audit().record(actor, 'after.rollback');
    await audit().chainer.idle();

    expect(await t.deps.db.query("SELECT id FROM audit_log WHERE action = 'will.roll.back'")).toEqual([]);
    expect((await verify()).rows).toBe(before.rows + 1);
    await expectOneChain();
  });

  it('a row committed late with a lower id gets a later place in the chain', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let inserted!: () => void;
    const early = new Promise<void>((resolve) => { inserted = resolve; });
    // Takes its id first, commits last.
    const late = t.deps.db.transaction(async (m) => {
      await audit().record(actor, 'late.commit', {}, m);
      inserted();
      await held;
    });
    await early;
    await audit().record(actor, 'early.commit');
    await audit().chainer.idle();
    const [lateId] = await t.deps.db.query("SELECT id FROM audit_log WHERE action = 'late.commit'");
    expect(lateId).toBeUndefined(); // not committed yet

    release();
    await late;
    await audit().chainer.idle();

    const [l] = await t.deps.db.query("SELECT id FROM audit_log WHERE action = 'late.commit'");
    const [e] = await t.deps.db.query("SELECT id FROM audit_log WHERE action = 'early.commit'");
    expect(Number(l.id)).toBeLessThan(Number(e.id));
    const order = (await links()).map((x) => x.audit_id);
    expect(order.indexOf(String(l.id))).toBeGreaterThan(order.indexOf(String(e.id)));
    await expectOneChain();
  });

  it('a row whose process stopped before linking it is linked by the sweep; left unlinked too long, verify names it', async () => {
    // Committed with no chainer told (as by a process that stopped right after its commit), after
    // rows with higher ids were linked: only the sweep looks below the chained maximum.
    const qr = t.deps.db.createQueryRunner();
    try {
      await qr.startTransaction();
      await qr.query(
        "INSERT INTO audit_log (at, actor_type, actor_id, actor_role, action, client_id, allowed, ip, request_id, details) VALUES (?, 'system', NULL, 'system', 'orphan', NULL, 1, NULL, NULL, NULL)",
        [new Date(Date.now() - 3600_000)],
      );
      await audit().record(actor, 'after.orphan');
      await audit().chainer.idle();
      await qr.commitTransaction();
    } finally {
      await qr.release();
    }
    const [orphan] = await t.deps.db.query("SELECT id FROM audit_log WHERE action = 'orphan'");
    await audit().record(actor, 'later.still');
    await audit().chainer.idle();

    const recent = await audit().verifyChain({ unchainedBoundSeconds: 86_400 });
    expect(recent).toMatchObject({ ok: true, unchained: 1 });
    const old = await verify();
    expect(old).toMatchObject({ ok: false, unchained: 1, broken: { id: String(orphan.id), reason: 'unchained' } });

    expect(await audit().chainer.sweep()).toBe(1);
    await expectOneChain();
    // The scheduler runs the sweep every minute.
    expect(allTasks().find((x) => x.id === 'audit-chain-sweep')).toMatchObject({ schedule: '* * * * *' });
  });

  it('an unlinked row dated in the future is a finding at once (no process of the product writes one)', async () => {
    await t.deps.db.query(
      "INSERT INTO audit_log (at, actor_type, actor_id, actor_role, action, client_id, allowed, ip, request_id, details) VALUES (?, 'system', NULL, 'system', 'forged', NULL, 1, NULL, NULL, NULL)",
      [new Date(Date.now() + 86_400_000)],
    );
    const [forged] = await t.deps.db.query("SELECT id FROM audit_log WHERE action = 'forged'");
    expect(await audit().verifyChain({ unchainedBoundSeconds: 86_400 })).toMatchObject({ ok: false, unchained: 1, broken: { id: String(forged.id), reason: 'unchained' } });
    // Linked, it is part of the record like any other row.
    expect(await audit().chainer.sweep()).toBe(1);
    await expectOneChain();
  });

  it('the sweep stops looking below ids missing for longer than the grace period', async () => {
    await audit().record(actor, 'before.floor');
    await audit().chainer.idle();
    // The last mark was taken long ago: this sweep moves the floor up to it and marks anew.
    await t.deps.db.query('UPDATE audit_chain_head SET mark_at = NOW(3) - INTERVAL 1 DAY WHERE id = 1');
    const [{ mark }] = await t.deps.db.query('SELECT mark_id AS mark FROM audit_chain_head WHERE id = 1');
    await audit().chainer.sweep();
    const [head] = await t.deps.db.query('SELECT floor_id AS floor, mark_id AS mark FROM audit_chain_head WHERE id = 1');
    const [{ maxId }] = await t.deps.db.query('SELECT MAX(id) AS maxId FROM audit_log');

    expect(String(head.floor)).toBe(String(mark));
    expect(String(head.mark)).toBe(String(maxId));
    await expectOneChain();
  });

  it('an edited row breaks the chain at that row; putting it back mends it', async () => {
    await audit().record(actor, 'client.export', { clientId: 99, details: { format: 'json' } });
    await audit().chainer.idle();
    const target = await copyRow('audit_log', "action = 'client.export' AND id", String((await t.deps.db.query("SELECT MAX(id) AS id FROM audit_log WHERE action = 'client.export'"))[0].id));

    await t.deps.db.query("UPDATE audit_log SET details = JSON_OBJECT('format', 'csv') WHERE id = ?", [target.id]);
    const content = await verify();
    await t.deps.db.query('UPDATE audit_log SET details = ?, at = ? WHERE id = ?', [asSql(target.details), new Date((target.at as Date).getTime() - 1000), target.id]);
    const time = await verify();
    await t.deps.db.query('UPDATE audit_log SET at = ? WHERE id = ?', [target.at, target.id]);

    expect(content).toMatchObject({ ok: false, broken: { id: String(target.id), reason: 'hash_mismatch' } });
    expect(time).toMatchObject({ ok: false, broken: { id: String(target.id), reason: 'hash_mismatch' } });
    expect((await verify()).ok).toBe(true);
  });

  it('a deleted row, a deleted link and a deleted last link are each named', async () => {
    const all = await links();
    const [middle, next, last] = [all[3], all[4], all[all.length - 1]];
    const savedRow = await copyRow('audit_log', 'id', middle.audit_id);
    const savedLink = await copyRow('audit_chain', 'seq', middle.seq);
    const savedLast = await copyRow('audit_chain', 'seq', last.seq);

    await t.deps.db.query('DELETE FROM audit_log WHERE id = ?', [middle.audit_id]);
    const row = await verify();
    await reinsert('audit_log', savedRow);
    await t.deps.db.query('DELETE FROM audit_chain WHERE seq = ?', [middle.seq]);
    const link = await verify();
    await reinsert('audit_chain', savedLink);
    await t.deps.db.query('DELETE FROM audit_chain WHERE seq = ?', [last.seq]);
    const tail = await verify();
    await reinsert('audit_chain', savedLast);

    expect(row).toMatchObject({ ok: false, broken: { id: middle.audit_id, reason: 'row_missing' } });
    expect(link).toMatchObject({ ok: false, broken: { id: next.audit_id, reason: 'prev_hash_mismatch' } });
    expect(tail).toMatchObject({ ok: false, broken: { reason: 'head_mismatch' } });
    await expectOneChain();
  });

  it('rows put in another order are caught: swapped contents, or swapped links', async () => {
    const all = await links();
    const [a, b] = [all[1], all[2]];
    const swapLinks = async () => {
      await t.deps.db.query('UPDATE audit_chain SET seq = 0 WHERE seq = ?', [a.seq]);
      await t.deps.db.query('UPDATE audit_chain SET seq = ? WHERE seq = ?', [a.seq, b.seq]);
      await t.deps.db.query('UPDATE audit_chain SET seq = ? WHERE seq = 0', [b.seq]);
    };
    await swapLinks();
    const links_ = await verify();
    await swapLinks();
    // The two rows' contents exchanged, their links left in place.
    const [ra, rb] = [await copyRow('audit_log', 'id', a.audit_id), await copyRow('audit_log', 'id', b.audit_id)];
    const put = (id: string, r: Record<string, unknown>) => t.deps.db.query(
      'UPDATE audit_log SET at = ?, actor_type = ?, actor_id = ?, actor_role = ?, action = ?, client_id = ?, allowed = ?, ip = ?, request_id = ?, details = ? WHERE id = ?',
      [r.at, r.actor_type, r.actor_id, r.actor_role, r.action, r.client_id, r.allowed, r.ip, r.request_id, asSql(r.details), id],
    );
    await put(a.audit_id, rb);
    await put(b.audit_id, ra);
    const contents = await verify();
    await put(a.audit_id, ra);
    await put(b.audit_id, rb);

    expect(links_).toMatchObject({ ok: false, broken: { id: b.audit_id, reason: 'prev_hash_mismatch' } });
    expect(contents).toMatchObject({ ok: false, broken: { id: a.audit_id, reason: 'hash_mismatch' } });
    await expectOneChain();
  });

  it('rows chained in the rows themselves before the migration still verify, and new rows continue their chain', async () => {
    const migration = new AuditChainOffRequest1795760000000();
    const qr = t.deps.db.createQueryRunner();
    try {
      // The old layout: each row's hashes in the row, chained in id order, the head on the last id.
      await migration.down(qr);
      const [head] = await qr.query('SELECT last_id AS lastId, last_hash AS lastHash FROM audit_chain_head WHERE id = 1');
      const at = new Date('2026-01-02T03:04:05.678Z');
      const id = String(Number(head.lastId) + 1);
      const hash = chainHash(head.lastHash, {
        id, at, actorType: 'system', actorId: null, actorRole: 'system', action: 'old.one', clientId: null, allowed: true, ip: null, requestId: null, details: { z: 1, a: 2 },
      });
      await qr.query(
        "INSERT INTO audit_log (id, at, actor_type, actor_id, actor_role, action, client_id, allowed, ip, request_id, details, prev_hash, hash) VALUES (?, ?, 'system', NULL, 'system', 'old.one', NULL, 1, NULL, NULL, '{\"z\":1,\"a\":2}', ?, ?)",
        [id, at, head.lastHash, hash],
      );
      await qr.query('UPDATE audit_chain_head SET last_id = ?, last_hash = ? WHERE id = 1', [id, hash]);
      await migration.up(qr);
    } finally {
      await qr.release();
    }
    expect((await verify()).ok).toBe(true);

    await audit().record(actor, 'after.migration');
    await audit().chainer.idle();
    await expectOneChain();
  });
});
