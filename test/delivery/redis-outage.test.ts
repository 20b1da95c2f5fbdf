import { createTestContext, TestContext } from '../helpers/context';
import { createClient, createStaff } from '../helpers/factories';
import { closedPort } from '../helpers/net';
import { bindContact, enqueue, outboxRow, RecordingChannel, shanghai } from '../helpers/delivery';

// Faults: Redis gone in the middle of the work (the send budgets live there). No message
// may be lost or sent twice, and the work resumes once Redis answers again.
describe('delivery while Redis is down', () => {
  let up: TestContext;
  let down: TestContext;

  beforeAll(async () => {
    const now = shanghai('2026-03-02 10:00').toISOString();
    up = await createTestContext({ isolatedDatabase: true, now });
    // The same database, and a Redis that does not answer: a drain process whose Redis went away.
    down = await createTestContext({ shareDatabaseOf: up, now, env: { REDIS_URL: `redis://127.0.0.1:${await closedPort()}/0` } });
  });
  afterAll(async () => {
    // A client that never connected would retry forever: cut it off before closing the rest.
    down?.deps.redis.disconnect();
    await down?.close().catch(() => undefined);
    await up?.close();
  });

  it('a drain that cannot reach Redis sends nothing and loses nothing; the next drain sends every message once', async () => {
    const director = await createStaff(up, 'director');
    const channel = new RecordingChannel();
    const clients = await Promise.all([1, 2, 3].map(() => createClient(up)));
    const contacts = await Promise.all(clients.map((c) => bindContact(up, c, channel.accountId, director)));
    const ids = await Promise.all(clients.map((c, i) => enqueue(up, { kind: 'client_message', clientId: c.id, payload: { text: `第${i + 1}条随访`, purpose: 'followup' } })));

    await expect(down.services.delivery.drain(channel)).rejects.toThrow();
    expect(channel.sends.filter((s) => s.op === 'contact')).toHaveLength(0);

    // Whatever the failed drain claimed comes back after its lease.
    const later = new Date(up.clock.now().getTime() + (up.config.delivery.leaseSeconds + 1) * 1000);
    up.clock.set(later);
    await up.services.delivery.drain(channel);
    await up.services.delivery.drain(channel);

    for (const [i, id] of ids.entries()) {
      expect(await outboxRow(up, id)).toMatchObject({ status: 'sent', channel: 'wecom' });
      expect(channel.sends.filter((s) => s.op === 'contact' && s.to === contacts[i])).toHaveLength(1);
    }
  });
});
