import { randomBytes } from 'node:crypto';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createStaff, staffToken } from '../helpers/factories';
import { fakeOpenid } from '../helpers/login';
import { loginWithCode } from '../helpers/referrals';
import { reindexAll } from '../../src/cli/reindex';
import { blindIndexVersionOf } from '../../src/shared/crypto';
import type { Staff } from '../../src/modules/staff';

const NOW = '2026-06-01T04:00:00.000Z';

describe('blind-index key rotation: indexes carry their key version, lookups try every key, re-indexing moves rows to the newest', () => {
  const k1 = randomBytes(32).toString('base64');
  const k2 = randomBytes(32).toString('base64');
  /** Before the rotation: key 1 only. */
  let before: TestContext;
  /** During: keys 1 and 2 (2 indexes, both are looked up). */
  let during: TestContext;
  /** After: key 1 retired. */
  let after: TestContext;
  let director: Staff;

  beforeAll(async () => {
    [before, during, after] = await Promise.all([
      createTestContext({ now: NOW, env: { BLIND_INDEX_KEY: k1 } }),
      createTestContext({ now: NOW, env: { BLIND_INDEX_KEY: `1:${k1},2:${k2}` } }),
      createTestContext({ now: NOW, env: { BLIND_INDEX_KEY: `2:${k2}` } }),
    ]);
    director = await createStaff(before, 'director');
  });
  afterAll(async () => {
    await Promise.all([before?.close(), during?.close(), after?.close()]);
  });

  const search = async (t: TestContext, query: string): Promise<string[]> => {
    const res = await t.http.get(`/api/staff/clients?${query}`).set(bearer(await staffToken(t, director)));
    expect(res.status).toBe(200);
    return res.body.items.map((c: { id: string }) => c.id);
  };

  it('a client indexed under the old key is found during the rotation; after the re-index the new key alone finds it', async () => {
    // Arrange: indexed under key 1 (version 1: bare hex, as before versions existed).
    const phone = `139${String(Date.now()).slice(-8)}`;
    const name = `旋转${randomBytes(3).toString('hex')}`;
    const client = await before.services.clients.createClient({ openid: fakeOpenid(), name, phone });
    const stored = async () => (await during.deps.db.query('SELECT name_bidx, phone_bidx FROM clients WHERE id = ?', [client.id]))[0];
    expect((await stored()).phone_bidx).toMatch(/^[0-9a-f]{64}$/);
    const query = { phone: `phone=${phone}`, name: `name=${encodeURIComponent(name)}` };

    // During the rotation both keys are tried; with the old key retired too early nothing is found.
    expect(await search(during, query.phone)).toEqual([client.publicId]);
    expect(await search(during, query.name)).toEqual([client.publicId]);
    expect(await search(after, query.phone)).toEqual([]);

    // Act
    const report = await reindexAll({ db: during.deps.db, config: during.config });

    // Assert: both indexes now carry version 2, and every configuration that holds key 2 finds the client.
    expect(report.clients.reindexed).toBeGreaterThanOrEqual(1);
    const now = await stored();
    expect([blindIndexVersionOf(now.name_bidx), blindIndexVersionOf(now.phone_bidx)]).toEqual([2, 2]);
    expect(now.phone_bidx).toBe(during.services.cipher.blindIndex('phone', phone));
    expect(await search(after, query.phone)).toEqual([client.publicId]);
    expect(await search(after, query.name)).toEqual([client.publicId]);
    expect(await search(during, query.phone)).toEqual([client.publicId]);
    // A second run has nothing left to do (rows other files indexed under the development key are not key 1's: kept as they are).
    const again = await reindexAll({ db: during.deps.db, config: during.config });
    expect(again.clients.reindexed).toBe(0);
    expect(await stored()).toEqual(now);
  });

  it('a referral binding is re-indexed from its friend\'s archive; a deleted account\'s hashes keep their version and still refuse a comeback', async () => {
    // Arrange: under key 1, a friend bound to a referrer, and an account deleted.
    const referrer = await loginWithCode(before, null);
    const [{ referral_code: code }] = await before.deps.db.query('SELECT referral_code FROM clients WHERE public_id = ?', [referrer.body.client.id]);
    const friend = await loginWithCode(before, code);
    expect(friend.body.referral).toEqual({ bound: true });
    const gone = await loginWithCode(before, null);
    expect((await before.http.delete('/api/mp/me').set(bearer(gone.body.token)).send({ confirm: true })).status).toBe(204);

    // Act: re-index under key 2.
    const report = await reindexAll({ db: during.deps.db, config: during.config });

    // Assert: the friend's binding carries version 2 …
    const [binding] = await during.deps.db.query(
      'SELECT b.openid_bidx FROM referral_bindings b JOIN clients c ON c.id = b.referee_id WHERE c.public_id = ?', [friend.body.client.id],
    );
    expect(binding.openid_bidx).toBe(during.services.cipher.blindIndex('openid', friend.openid));
    // … the deleted account's hashes cannot be recomputed (nothing readable is kept) and stay under key 1 …
    expect(report.referral_ineligible.kept).toBeGreaterThanOrEqual(1);
    const [ineligible] = await during.deps.db.query('SELECT bidx FROM referral_ineligible WHERE bidx IN (?)', [during.services.cipher.blindIndexes('openid', gone.openid)]);
    expect(blindIndexVersionOf(ineligible.bidx)).toBe(1);
    // … and while key 1 is configured, the same WeChat identity coming back is still not a new client.
    const comeback = await loginWithCode(during, code, { openid: gone.openid });
    expect(comeback.status).toBe(200);
    expect(comeback.body.referral).toEqual({ bound: false, reason: 'REFERRAL_NOT_NEW_CLIENT' });
  });
});
