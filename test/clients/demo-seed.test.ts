import { createTestContext, TestContext } from '../helpers/context';
import { createApp } from '../../src/app';
import { seedDemo } from '../../src/modules/demo';

describe('demo seed (src/modules/demo)', () => {
  let t: TestContext;
  // Its own database: the demo accounts and clients have fixed usernames, openids and phones.
  beforeAll(async () => { t = await createTestContext({ isolatedDatabase: true }); });
  afterAll(async () => { await t.close(); });

  it('two instances seeding at the same moment both succeed and create each demo client once', async () => {
    // Staff seeded beforehand, so both instances reach the clients in step; a second set of
    // services on the same database plays the second instance.
    await seedDemo(t.deps, t.services);
    await t.deps.db.query("DELETE FROM clients WHERE openid LIKE 'demo-openid-%'");
    const other = createApp(t.deps).services;

    const [a, b] = await Promise.all([seedDemo(t.deps, t.services), seedDemo(t.deps, other)]);

    expect(a.clients + b.clients).toBe(3);
    const rows = await t.deps.db.query("SELECT openid, COUNT(*) AS n FROM clients WHERE openid LIKE 'demo-openid-%' GROUP BY openid");
    expect(rows.map((r: { n: number | string }) => Number(r.n))).toEqual([1, 1, 1]);
    expect((await seedDemo(t.deps, t.services)).clients).toBe(0);
  });

  it('maps the WeCom stand-in\'s zhangsan to the demo consultant, so a played add-contact lands on a real staff member', async () => {
    await seedDemo(t.deps, t.services);

    const rows = await t.deps.db.query(
      "SELECT u.userid, s.username FROM wecom_staff_users u JOIN staff s ON s.id = u.staff_id WHERE u.userid IN ('zhangsan', 'lisi') ORDER BY u.userid",
    );
    expect(rows).toEqual([{ userid: 'lisi', username: 'service' }, { userid: 'zhangsan', username: 'consultant' }]);
  });
});
