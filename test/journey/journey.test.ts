import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createClient, createStaff, staffToken } from '../helpers/factories';
import { SYSTEM_ACTOR } from '../../src/modules/audit';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext({ now: '2026-11-02T02:00:00Z' });
});
afterAll(() => t.close());

const inTx = <T>(work: (m: import('typeorm').EntityManager) => Promise<T>) => t.deps.db.transaction(work);

describe('outbox', () => {
  it('writes one row per dedupe key, however often the same purpose is enqueued', async () => {
    const client = await createClient(t);
    const key = `test:${client.id}:once`;
    const first = await inTx((m) => t.services.outbox.enqueue(m, { kind: 'followup', dedupeKey: key, clientId: client.id, payload: { step: '48h' } }));
    const again = await inTx((m) => t.services.outbox.enqueue(m, { kind: 'followup', dedupeKey: key, clientId: client.id, payload: { step: 'other' } }));
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    const rows = await t.services.outbox.listForClient(client.id, 'followup');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ dedupeKey: key, status: 'pending', payload: { step: '48h' } });
    expect(rows[0].dueAt.toISOString()).toBe('2026-11-02T02:00:00.000Z');
  });

  it('writes nothing when the causing transaction rolls back', async () => {
    const client = await createClient(t);
    await expect(inTx(async (m) => {
      await t.services.outbox.enqueue(m, { kind: 'followup', dedupeKey: `test:${client.id}:rollback`, clientId: client.id, payload: {} });
      throw new Error('the event failed');
    })).rejects.toThrow('the event failed');
    expect(await t.services.outbox.listForClient(client.id)).toHaveLength(0);
  });

  it('cancels only the pending rows with the prefix, and treats LIKE wildcards literally', async () => {
    const client = await createClient(t);
    await inTx(async (m) => {
      await t.services.outbox.enqueue(m, { kind: 'followup', dedupeKey: `order_1:${client.id}:7d`, clientId: client.id, payload: {} });
      await t.services.outbox.enqueue(m, { kind: 'followup', dedupeKey: `order_2:${client.id}:7d`, clientId: client.id, payload: {} });
      await t.services.outbox.enqueue(m, { kind: 'followup', dedupeKey: `orderX1:${client.id}:7d`, clientId: client.id, payload: {} });
    });
    const cancelled = await inTx((m) => t.services.outbox.cancelPending(m, client.id, 'order_1:'));
    expect(cancelled).toBe(1);
    const byKey = Object.fromEntries((await t.services.outbox.listForClient(client.id)).map((r) => [r.dedupeKey.split(':')[0], r.status]));
    expect(byKey).toEqual({ order_1: 'cancelled', order_2: 'pending', orderX1: 'pending' });
  });
});

describe('tags', () => {
  it('applies only the difference; a pending sync takes the newest set, and a set that comes back gets a new sync', async () => {
    const client = await createClient(t);
    const first = await inTx((m) => t.services.tags.setDimension(m, client.id, 'project', ['鼻部', '眼部'], 'questionnaire'));
    const second = await inTx((m) => t.services.tags.setDimension(m, client.id, 'project', ['眼部', '皮肤管理'], 'questionnaire'));
    const same = await inTx((m) => t.services.tags.setDimension(m, client.id, 'project', ['皮肤管理', '眼部'], 'questionnaire'));
    expect(first).toEqual({ added: ['鼻部', '眼部'], removed: [] });
    expect(second).toEqual({ added: ['皮肤管理'], removed: ['鼻部'] });
    expect(same).toEqual({ added: [], removed: [] });
    expect(await t.services.tags.tagsOf(client.id)).toEqual({ project: ['皮肤管理', '眼部'] });
    const pending = await t.services.outbox.listForClient(client.id, 'tag_sync');
    expect(pending).toHaveLength(1);
    // One pending request; the bot reads the set when it sends (see test/rfm: the whole current set goes out).
    expect(pending[0]).toMatchObject({ status: 'pending', payload: { reason: 'tags' } });

    // Once that sync went out, going back to the first set must reach WeCom again (A → B → A).
    await t.deps.db.query("UPDATE outbox_messages SET status = 'sent' WHERE id = ?", [pending[0].id]);
    await inTx((m) => t.services.tags.setDimension(m, client.id, 'project', ['鼻部', '眼部'], 'questionnaire'));
    const syncs = await t.services.outbox.listForClient(client.id, 'tag_sync');
    expect(syncs.map((r) => r.status)).toEqual(['pending', 'sent']);
    expect(await t.services.tags.tagsOf(client.id)).toEqual({ project: ['眼部', '鼻部'] });
  });

  it('sets several dimensions in one go with one sync row', async () => {
    const client = await createClient(t);
    const changes = await inTx((m) => t.services.tags.setDimensions(m, client.id, { project: ['眼部'], value_tier: ['高净值'], lead_grade: ['A'] }, 'questionnaire'));
    expect(changes).toEqual({ project: { added: ['眼部'], removed: [] }, value_tier: { added: ['高净值'], removed: [] }, lead_grade: { added: ['A'], removed: [] } });
    expect(await t.services.tags.tagsOf(client.id)).toEqual({ lead_grade: ['A'], project: ['眼部'], value_tier: ['高净值'] });
    expect(await t.services.outbox.listForClient(client.id, 'tag_sync')).toHaveLength(1);
  });

  it('sets dimensions from tags read once under lock, each dimension with its own source; tags locked for other dimensions are refused', async () => {
    const client = await createClient(t);
    await inTx((m) => t.services.tags.setDimension(m, client.id, 'project', ['眼部'], 'staff'));

    const changes = await inTx(async (m) => {
      const locked = await t.services.tags.lockDimensions(m, client.id, ['project', 'stage']);
      expect(locked.rows).toEqual([{ dimension: 'project', value: '眼部', source: 'staff' }]);
      return t.services.tags.setDimensions(m, client.id, { project: ['眼部', '鼻部'], stage: ['意向客户'] }, { project: 'questionnaire', stage: 'stage' }, { current: locked });
    });
    const refused = await inTx(async (m) => {
      const locked = await t.services.tags.lockDimensions(m, client.id, ['project']);
      return t.services.tags.setDimensions(m, client.id, { stage: ['咨询期'] }, 'stage', { current: locked });
    }).catch((err: Error) => err);

    expect(changes).toEqual({ project: { added: ['鼻部'], removed: [] }, stage: { added: ['意向客户'], removed: [] } });
    const rows = await t.deps.db.query('SELECT dimension, value, source FROM client_tags WHERE client_id = ?', [client.id]);
    expect(rows).toEqual(expect.arrayContaining([
      { dimension: 'project', value: '眼部', source: 'staff' },
      { dimension: 'project', value: '鼻部', source: 'questionnaire' },
      { dimension: 'stage', value: '意向客户', source: 'stage' },
    ]));
    expect(rows).toHaveLength(3);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/not locked/);
    expect((await t.services.tags.tagsOf(client.id)).stage).toEqual(['意向客户']);
    // Both changes of the first transaction, one sync request.
    expect(await t.services.outbox.listForClient(client.id, 'tag_sync')).toHaveLength(1);
  });
});

describe('journey', () => {
  it('with the stage the caller locked and a deferred tag: records the move, leaves the stage tag to the caller', async () => {
    const client = await createClient(t);

    const move = await inTx((m) => t.services.journey.moveTo(m, client.id, 'surveyed', SYSTEM_ACTOR, { reason: 'questionnaire', lockedStage: 'lead', deferTag: true }));
    const stay = await inTx((m) => t.services.journey.moveTo(m, client.id, 'surveyed', SYSTEM_ACTOR, { reason: 'questionnaire', lockedStage: 'booked', deferTag: true }));

    expect(move).toEqual({ moved: true, from: 'lead', to: 'surveyed', tag: { dimension: 'stage', values: ['意向客户'], source: 'stage' } });
    expect(stay).toEqual({ moved: false, from: 'booked', to: 'booked' });
    expect((await t.services.journey.history(client.id)).map((h) => [h.from, h.to])).toEqual([['lead', 'surveyed']]);
    const [{ stage }] = await t.deps.db.query('SELECT stage FROM clients WHERE id = ?', [client.id]);
    expect(stage).toBe('surveyed');
    expect(await t.services.tags.tagsOf(client.id)).toEqual({});
  });

  it('records each stage change with its time, sets the stage tag, and never moves a pipeline step backwards', async () => {
    const client = await createClient(t);
    await inTx((m) => t.services.journey.moveTo(m, client.id, 'surveyed', SYSTEM_ACTOR, { reason: 'questionnaire' }));
    t.clock.advance(3600_000);
    await inTx((m) => t.services.journey.moveTo(m, client.id, 'plan_proposed', SYSTEM_ACTOR, { reason: 'plan' }));
    const back = await inTx((m) => t.services.journey.moveTo(m, client.id, 'surveyed', SYSTEM_ACTOR, { reason: 'questionnaire' }));
    expect(back).toEqual({ moved: false, from: 'plan_proposed', to: 'plan_proposed' });
    const history = await t.services.journey.history(client.id);
    expect(history.map((h) => [h.from, h.to, h.reason])).toEqual([['lead', 'surveyed', 'questionnaire'], ['surveyed', 'plan_proposed', 'plan']]);
    expect(history[1].at.getTime() - history[0].at.getTime()).toBe(3600_000);
    expect((await t.services.tags.tagsOf(client.id)).stage).toEqual(['咨询期']);
  });

  it('records a stage set by staff through the archive API, even backwards', async () => {
    const director = await createStaff(t, 'director');
    const client = await createClient(t, { stage: 'booked' });
    const res = await t.http.patch(`/api/staff/clients/${client.publicId}`).set(bearer(await staffToken(t, director))).send({ stage: 'lost' });
    expect(res.status).toBe(200);
    const history = await t.services.journey.history(client.id);
    expect(history).toEqual([expect.objectContaining({ from: 'booked', to: 'lost', reason: 'staff' })]);
    expect((await t.services.tags.tagsOf(client.id)).stage).toEqual(['流失客户']);
  });
});
