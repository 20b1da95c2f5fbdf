import { createTestContext, TestContext } from '../helpers/context';
import { createClient } from '../helpers/factories';
import { runInTransaction } from '../../src/shared/db';

describe('outbox rows of a deleted account', () => {
  let t: TestContext;
  beforeAll(async () => {
    // A database of its own: no other file's drain claims these rows while they are arranged.
    t = await createTestContext({ isolatedDatabase: true });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('what no drain has begun to send is cancelled and let go by its drain; a send already begun stays the drain\'s to record; every payload is erased', async () => {
    // Arrange: one row waiting, one claimed but not begun, one whose send has begun, one sent.
    const client = await createClient(t);
    const key = (name: string) => `deletion-test:${client.id}:${name}`;
    await runInTransaction(t.deps.db, async (m) => {
      for (const name of ['waiting', 'claimed', 'begun', 'sent']) {
        await t.services.outbox.enqueue(m, { kind: 'client_message', dedupeKey: key(name), clientId: client.id, payload: { text: `林女士您好 ${name}` } });
      }
    });
    const lease = new Date(Date.now() + 60_000);
    await t.deps.db.query("UPDATE outbox_messages SET status = 'sending', claim_token = 'drain-1', lease_until = ? WHERE dedupe_key IN (?, ?)", [lease, key('claimed'), key('begun')]);
    await t.deps.db.query('UPDATE outbox_messages SET send_started_at = NOW(3) WHERE dedupe_key = ?', [key('begun')]);
    await t.deps.db.query("UPDATE outbox_messages SET status = 'sent', sent_at = NOW(3) WHERE dedupe_key = ?", [key('sent')]);

    // Act
    await runInTransaction(t.deps.db, (m) => t.services.outbox.clientDataHooks.onAccountDeleted(m, client.id));

    // Assert
    const rows: { dedupe_key: string; status: string; claim_token: string | null; lease: Date | null; payload: Buffer | null }[] = await t.deps.db.query(
      'SELECT dedupe_key, status, claim_token, lease_until AS lease, payload_enc AS payload FROM outbox_messages WHERE client_id = ? ORDER BY id', [client.id],
    );
    expect(rows.map((r) => [r.dedupe_key.split(':').pop(), r.status, r.claim_token, r.lease === null, r.payload])).toEqual([
      ['waiting', 'cancelled', null, true, null],
      ['claimed', 'cancelled', null, true, null],
      ['begun', 'sending', 'drain-1', false, null],
      ['sent', 'sent', null, true, null],
    ]);
  });
});
