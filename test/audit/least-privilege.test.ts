import { DataSource } from 'typeorm';
import { createTestContext, TestContext } from '../helpers/context';
import { createDataSource } from '../../src/datasource';
import { AuditService, SYSTEM_ACTOR } from '../../src/modules/audit';

// The grants README gives for the app's database user ("A database user that cannot edit the log").
describe('least-privilege database user', () => {
  let t: TestContext;
  let app: DataSource;
  const user = `meiyan_app_${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    t = await createTestContext({ isolatedDatabase: true });
    const schema = t.config.db.database;
    const db = t.deps.db;
    await db.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'Least-Privilege-1'`);
    const grants = (await db.query(
      "SELECT CONCAT('GRANT SELECT, INSERT, UPDATE, DELETE ON `', table_schema, '`.`', table_name, '` TO ''" + user + "''@''%'';') AS g " +
        "FROM information_schema.tables WHERE table_schema = ? AND table_name NOT IN ('audit_log', 'audit_chain', 'audit_chain_head', 'schema_migrations')",
      [schema],
    )) as Array<{ g: string }>;
    for (const { g } of grants) await db.query(g);
    await db.query(`GRANT SELECT, UPDATE ON \`${schema}\`.\`audit_chain_head\` TO '${user}'@'%'`);
    await db.query(`GRANT SELECT, INSERT ON \`${schema}\`.\`audit_log\` TO '${user}'@'%'`);
    await db.query(`GRANT SELECT, INSERT ON \`${schema}\`.\`audit_chain\` TO '${user}'@'%'`);
    await db.query(`GRANT SELECT ON \`${schema}\`.\`schema_migrations\` TO '${user}'@'%'`);
    app = createDataSource({ ...t.config.db, user, password: 'Least-Privilege-1' });
    await app.initialize();
  });
  afterAll(async () => {
    await app?.destroy();
    await t.deps.db.query(`DROP USER IF EXISTS '${user}'@'%'`);
    await t.close();
  });

  it('may append audit rows and link them, and read them, but neither change nor delete rows or links', async () => {
    const audit = new AuditService(app, t.clock);

    await audit.record(SYSTEM_ACTOR, 'least.privilege.append', { details: { ok: true } });
    await audit.chainer.idle();
    await app.query("INSERT INTO audit_log (at, actor_type, actor_role, action, allowed) VALUES (NOW(3), 'system', 'system', 'least.privilege.orphan', 1)");
    expect(await audit.chainer.sweep()).toBe(1);

    const [row] = await app.query("SELECT id FROM audit_log WHERE action = 'least.privilege.append'");
    expect(row).toBeDefined();
    await expect(app.query("UPDATE audit_log SET action = 'x' WHERE id = ?", [row.id])).rejects.toThrow(/denied/i);
    await expect(app.query('DELETE FROM audit_log WHERE id = ?', [row.id])).rejects.toThrow(/denied/i);
    await expect(app.query('DELETE FROM audit_chain_head')).rejects.toThrow(/denied/i);
    await expect(app.query("UPDATE audit_chain SET hash = REPEAT('a', 64) WHERE audit_id = ?", [row.id])).rejects.toThrow(/denied/i);
    await expect(app.query('DELETE FROM audit_chain WHERE audit_id = ?', [row.id])).rejects.toThrow(/denied/i);
    expect(await audit.verifyChain()).toMatchObject({ ok: true, unchained: 0 });
  });

  it('still does the ordinary work on the other tables', async () => {
    await expect(app.query('UPDATE staff SET failed_attempts = failed_attempts WHERE id = 0')).resolves.toBeDefined();
  });
});
