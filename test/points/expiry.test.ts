import { randomUUID } from 'node:crypto';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient } from '../helpers/factories';

const DAY = 86400_000;

// The nightly expiry walks every client's lots: two app instances on a database of their own, so
// other files' points neither count here nor get expired by this test.
describe('points expiry', () => {
  let t1: TestContext;
  let t2: TestContext;

  beforeAll(async () => {
    t1 = await createTestContext({ isolatedDatabase: true });
    t2 = await createTestContext({ shareDatabaseOf: t1 });
  });
  afterAll(async () => {
    await t2?.close();
    await t1?.close();
  });

  async function fundedClient(points: number, t = t1) {
    const client = await createClient(t);
    if (points > 0) {
      await t.services.points.grant(null, { clientId: client.id, points, reason: 'manual_adjust', reference: 'test', idempotencyKey: `seed:${randomUUID()}` });
    }
    return { client, token: await clientToken(t, client) };
  }

  async function expectNoDrift() {
    const report = await t2.services.points.checkConsistency();
    expect(report.drift).toEqual([]);
  }

  async function entriesOf(clientId: number) {
    return t1.deps.db.query('SELECT * FROM points_entries WHERE client_id = ? ORDER BY id', [clientId]) as Promise<Record<string, any>[]>;
  }

  it('expiry consumes oldest lots first, shows what expires soon, and is idempotent across two schedulers', async () => {
    const { client, token } = await fundedClient(0);
    const p = t1.services.points;
    const start = t1.clock.now();
    await p.grant(null, { clientId: client.id, points: 100, reason: 'questionnaire', reference: 'v1', idempotencyKey: 'lot-a' });
    t1.clock.advance(40 * DAY);
    await p.grant(null, { clientId: client.id, points: 50, reason: 'review_shared', reference: 'r1', idempotencyKey: 'lot-b' });
    await p.debit(null, { clientId: client.id, points: 30, reason: 'redeem', reference: 'x', idempotencyKey: 'spend-1' });

    try {
      // 11 months and a half in: lot A (70 left) expires within 30 days, lot B does not.
      t1.clock.set(new Date(start.getTime() + 350 * DAY));
      const soon = (await t1.http.get('/api/mp/points').set(bearer(token))).body;
      expect(soon.balance).toBe(120);
      expect(soon.expiringSoon.points).toBe(70);

      const firstRun = new Date(start.getTime() + 370 * DAY);
      const [a, b] = await Promise.all([p.expireDue(firstRun), t2.services.points.expireDue(firstRun)]);
      expect(a + b).toBeGreaterThanOrEqual(1);
      expect(await p.expireDue(firstRun)).toBe(0);
      const expired = (await entriesOf(client.id)).filter((e) => e.reason === 'expire');
      expect(expired.map((e) => Number(e.delta))).toEqual([-70]);
      expect(await p.balance(client.id)).toBe(50);

      const secondRun = new Date(start.getTime() + 420 * DAY);
      await Promise.all([p.expireDue(secondRun), t2.services.points.expireDue(secondRun)]);
      expect(await p.expireDue(secondRun)).toBe(0);
      expect((await entriesOf(client.id)).filter((e) => e.reason === 'expire').map((e) => Number(e.delta))).toEqual([-70, -50]);
      expect(await p.balance(client.id)).toBe(0);
      await expectNoDrift();
    } finally {
      t1.clock.set(start);
    }
  });

});
