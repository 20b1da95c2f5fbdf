import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EntityManager } from 'typeorm';
import type TestAgent from 'supertest/lib/agent';
import { createTestContext, TestContext } from '../helpers/context';
import { holdTransaction } from '../helpers/locks';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import { SYSTEM_ACTOR } from '../../src/modules/audit';
import { PointsService } from '../../src/modules/points';
import type { Logger } from '../../src/shared/logger';
import type { RewardItemInput, RewardItemView } from '../../src/modules/rewards';
import { runConsistencyCheck } from '../../src/cli/points-check';

const DAY = 86400_000;

describe('points ledger and rewards', () => {
  let t1: TestContext;
  let t2: TestContext;
  let agents: TestAgent[];
  let directorToken: string;
  let deskToken: string;

  beforeAll(async () => {
    // Two app instances on one database: every concurrency test splits its requests between them (DESIGN.md).
    const env = { DB_POOL_SIZE: '10' };
    [t1, t2] = await Promise.all([createTestContext({ env }), createTestContext({ env })]);
    agents = [t1.http, t2.http];
    directorToken = await staffToken(t1, await createStaff(t1, 'director'));
    deskToken = await staffToken(t1, await createStaff(t1, 'customer_service'));
  });
  afterAll(async () => {
    await Promise.all([t1?.close(), t2?.close()]);
  });

  async function fundedClient(points: number, t = t1) {
    const client = await createClient(t);
    if (points > 0) {
      await t.services.points.grant(null, { clientId: client.id, points, reason: 'manual_adjust', reference: 'test', idempotencyKey: `seed:${randomUUID()}` });
    }
    return { client, token: await clientToken(t, client) };
  }

  function item(overrides: Partial<RewardItemInput> = {}): Promise<RewardItemView> {
    return t1.services.rewards.createItem(SYSTEM_ACTOR, { kind: 'care_product', title: '修护面膜', pointsPrice: 100, stock: 100, ...overrides });
  }

  const redeem = (agent: TestAgent, token: string, itemId: string, requestId = randomUUID()) =>
    agent.post(`/api/mp/rewards/${itemId}/redeem`).set(bearer(token)).send({ requestId });

  async function expectNoDrift() {
    const report = await t2.services.points.checkConsistency();
    expect(report.drift).toEqual([]);
  }

  async function stockOf(itemId: string) {
    const [row] = await t1.deps.db.query('SELECT stock FROM reward_items WHERE public_id = ?', [itemId]);
    return Number(row.stock);
  }

  async function entriesOf(clientId: number) {
    return t1.deps.db.query('SELECT * FROM points_entries WHERE client_id = ? ORDER BY id', [clientId]) as Promise<Record<string, any>[]>;
  }

  it('redeeming more points than the balance answers 409 POINTS_INSUFFICIENT and writes nothing', async () => {
    const { client, token } = await fundedClient(99);
    const reward = await item();

    const res = await redeem(t1.http, token, reward.id);

    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('POINTS_INSUFFICIENT');
    expect(await entriesOf(client.id)).toHaveLength(1);
    expect(await stockOf(reward.id)).toBe(100);
    expect((await t1.http.get('/api/mp/vouchers').set(bearer(token))).body.items).toEqual([]);
    expect((await t1.http.get('/api/mp/points').set(bearer(token))).body.balance).toBe(99);
  });

  it('50 concurrent redemptions of a 100-point item on a 100-point balance: exactly one succeeds', async () => {
    const { client, token } = await fundedClient(100);
    const reward = await item({ pointsPrice: 100, stock: 100 });

    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => redeem(agents[i % 2], token, reward.id)));

    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === 'POINTS_INSUFFICIENT')).toBe(true);
    expect(statuses.filter((s) => s !== 201 && s !== 409)).toEqual([]);
    expect(await t1.services.points.balance(client.id)).toBe(0);
    expect(await stockOf(reward.id)).toBe(99);
    await expectNoDrift();
  });

  it('200 concurrent redemptions of an item with stock 10 by different clients: exactly 10 succeed', async () => {
    const reward = await item({ pointsPrice: 50, stock: 10 });
    const buyers: { token: string }[] = [];
    for (let i = 0; i < 200; i += 25) buyers.push(...(await Promise.all(Array.from({ length: 25 }, () => fundedClient(60)))));

    const results = await Promise.all(buyers.map((b, i) => redeem(agents[i % 2], b.token, reward.id)));

    expect(results.filter((r) => r.status === 201)).toHaveLength(10);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused.every((r) => r.status === 409 && r.body.error.code === 'REWARD_OUT_OF_STOCK')).toBe(true);
    expect(await stockOf(reward.id)).toBe(0);
    const [{ n }] = await t1.deps.db.query("SELECT COUNT(*) AS n FROM points_entries WHERE reason = 'redeem' AND reference = ?", [`reward:${reward.id}`]);
    expect(Number(n)).toBe(10);
    await expectNoDrift();
  });

  it('the same request id sent 100 times at once writes one entry and one voucher', async () => {
    const { client, token } = await fundedClient(500);
    const reward = await item({ pointsPrice: 100, stock: 100 });
    const requestId = randomUUID();

    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => redeem(agents[i % 2], token, reward.id, requestId)));

    expect(results.map((r) => r.status).filter((s) => s !== 201)).toEqual([]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect((await entriesOf(client.id)).filter((e) => e.reason === 'redeem')).toHaveLength(1);
    expect(await t1.services.points.balance(client.id)).toBe(400);
    expect(await stockOf(reward.id)).toBe(99);
    await expectNoDrift();
  });

  it('the same ledger key granted 100 times at once from two instances writes one entry', async () => {
    const client = await createClient(t1);
    const input = { clientId: client.id, points: 30, reason: 'review_shared' as const, reference: 'review:1', idempotencyKey: 'review_shared:1' };

    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => [t1, t2][i % 2].services.points.grant(null, input)));

    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(await entriesOf(client.id)).toHaveLength(1);
    expect(await t1.services.points.balance(client.id)).toBe(30);
    await expectNoDrift();
  });

  it('the same key with a different amount is refused with 409 IDEMPOTENCY_KEY_REUSED', async () => {
    const { client } = await fundedClient(0);
    const target = client.publicId;
    const requestId = randomUUID();
    const adjust = (delta: number) =>
      t1.http.post(`/api/staff/clients/${target}/points/adjust`).set(bearer(directorToken)).send({ delta, reason: '补偿活动积分', requestId });

    expect((await adjust(100)).status).toBe(200);
    const again = await adjust(100);
    expect(again.status).toBe(200);
    expect(again.body.replayed).toBe(true);
    const other = await adjust(50);

    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    await expect(
      t1.services.points.grant(null, { clientId: client.id, points: 7, reason: 'spend', reference: 'o1', idempotencyKey: `adjust:${requestId}` }),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await t1.services.points.balance(client.id)).toBe(100);
    const [{ n }] = await t1.deps.db.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'points.adjust' AND client_id = ?", [client.id]);
    expect(Number(n)).toBe(1);
  });

  it('a director adjustment below zero, by a non-director, or for an unknown client is refused', async () => {
    const { client } = await fundedClient(10);
    const body = (delta: number) => ({ delta, reason: '扣减测试', requestId: randomUUID() });

    const short = await t1.http.post(`/api/staff/clients/${client.publicId}/points/adjust`).set(bearer(directorToken)).send(body(-11));
    const desk = await t1.http.post(`/api/staff/clients/${client.publicId}/points/adjust`).set(bearer(deskToken)).send(body(5));
    const unknown = await t1.http.post(`/api/staff/clients/${'A'.repeat(22)}/points/adjust`).set(bearer(directorToken)).send(body(5));
    const ok = await t1.http.post(`/api/staff/clients/${client.publicId}/points/adjust`).set(bearer(directorToken)).send(body(-10));

    expect(short.body.error.code).toBe('POINTS_INSUFFICIENT');
    expect(desk.status).toBe(403);
    expect(unknown.status).toBe(404);
    expect(ok.status).toBe(200);
    expect(ok.body.balance).toBe(0);
  });

  it('a voucher is used once; a used, expired or unknown code is refused', async () => {
    const { token } = await fundedClient(300);
    const reward = await item({ pointsPrice: 100 });
    const first = (await redeem(t1.http, token, reward.id)).body;
    const second = (await redeem(t1.http, token, reward.id)).body;
    const use = (code: string) => t1.http.post('/api/staff/vouchers/redeem').set(bearer(deskToken)).send({ code });

    const used = await use(first.code);
    const twice = await use(first.code);
    expect(used.status).toBe(200);
    expect(used.body.status).toBe('used');
    expect(twice.body.error.code).toBe('VOUCHER_USED');
    expect((await use('ZZZZZZZZZZ')).status).toBe(404);

    t1.clock.advance(91 * DAY);
    try {
      const expired = await use(second.code);
      expect(expired.body.error.code).toBe('VOUCHER_EXPIRED');
      const cancel = await t1.http.post(`/api/mp/vouchers/${second.id}/cancel`).set(bearer(token));
      expect(cancel.body.error.code).toBe('VOUCHER_EXPIRED');
      expect((await t1.http.get(`/api/mp/vouchers/${second.id}`).set(bearer(token))).body.status).toBe('expired');
    } finally {
      t1.clock.advance(-91 * DAY);
    }
  });

  it('cancelling returns points and stock exactly once, even when sent concurrently', async () => {
    const { client, token } = await fundedClient(100);
    const reward = await item({ pointsPrice: 100, stock: 5 });
    const voucher = (await redeem(t1.http, token, reward.id)).body;
    expect(await stockOf(reward.id)).toBe(4);

    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => agents[i % 2].post(`/api/mp/vouchers/${voucher.id}/cancel`).set(bearer(token))));

    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === 'VOUCHER_CANCELLED')).toBe(true);
    expect((await entriesOf(client.id)).filter((e) => e.reason === 'redeem_cancel')).toHaveLength(1);
    expect(await t1.services.points.balance(client.id)).toBe(100);
    expect(await stockOf(reward.id)).toBe(5);
    expect((await t1.http.post(`/api/mp/vouchers/${voucher.id}/cancel`).set(bearer(token))).body.error.code).toBe('VOUCHER_CANCELLED');
    const use = await t1.http.post('/api/staff/vouchers/redeem').set(bearer(deskToken)).send({ code: voucher.code });
    expect(use.body.error.code).toBe('VOUCHER_CANCELLED');
    await expectNoDrift();
  });

  it('a client cannot read or cancel another client\'s voucher (404)', async () => {
    const owner = await fundedClient(100);
    const other = await fundedClient(0);
    const reward = await item();
    const voucher = (await redeem(t1.http, owner.token, reward.id)).body;

    expect((await t1.http.get(`/api/mp/vouchers/${voucher.id}`).set(bearer(other.token))).status).toBe(404);
    expect((await t1.http.post(`/api/mp/vouchers/${voucher.id}/cancel`).set(bearer(other.token))).status).toBe(404);
    expect((await t1.http.get('/api/mp/vouchers').set(bearer(other.token))).body.items).toEqual([]);
    expect((await t1.http.get(`/api/mp/vouchers/${voucher.id}`).set(bearer(owner.token))).body.code).toBe(voucher.code);
  });

  it('the per-client limit and the validity dates are enforced; the catalog shows only what is available', async () => {
    const { token } = await fundedClient(1000);
    const limited = await item({ pointsPrice: 10, perClientLimit: 2 });
    const future = await item({ pointsPrice: 10, validFrom: new Date(t1.clock.now().getTime() + DAY) });

    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => redeem(agents[i % 2], token, limited.id)));
    const notYet = await redeem(t1.http, token, future.id);
    const catalog = await t1.http.get('/api/mp/rewards').set(bearer(token));

    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === 'REWARD_LIMIT_REACHED')).toBe(true);
    expect(notYet.body.error.code).toBe('REWARD_NOT_AVAILABLE');
    const ids = catalog.body.items.map((i: { id: string }) => i.id);
    expect(ids).toContain(limited.id);
    expect(ids).not.toContain(future.id);
    expect(catalog.body.items.find((i: { id: string }) => i.id === limited.id).redeemedByMe).toBe(2);
  });

  it('director creates and changes reward items; other staff may not', async () => {
    const create = await t1.http.post('/api/staff/rewards').set(bearer(directorToken))
      .send({ kind: 'salon_seat', title: '线下沙龙名额', pointsPrice: 300, stock: 20, perClientLimit: 1 });
    expect(create.status).toBe(201);
    const patch = await t1.http.patch(`/api/staff/rewards/${create.body.id}`).set(bearer(directorToken)).send({ stock: 25, active: false });
    expect(patch.body).toMatchObject({ stock: 25, active: false });
    expect((await t1.http.post('/api/staff/rewards').set(bearer(deskToken)).send({ kind: 'salon_seat', title: 'x', pointsPrice: 1, stock: 1 })).status).toBe(403);
  });

  it('takes validity dates as ISO times over HTTP and refuses anything else with the field', async () => {
    const dated = await t1.http.post('/api/staff/rewards').set(bearer(directorToken))
      .send({ kind: 'care_product', title: '术后修复面膜', pointsPrice: 50, stock: 5, validFrom: '2026-12-01T00:00:00+08:00', validTo: '2027-01-01T00:00:00Z' });
    expect(dated.status).toBe(201);
    expect(new Date(dated.body.validFrom).toISOString()).toBe('2026-11-30T16:00:00.000Z');
    const bad = await t1.http.post('/api/staff/rewards').set(bearer(directorToken))
      .send({ kind: 'care_product', title: '术后修复面膜', pointsPrice: 50, stock: 5, validTo: 'next week' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('body.validTo');
  });

  it('earning rules come from configuration (per-yuan by category, referral multiplier) and are once per event', async () => {
    const client = await createClient(t1);
    const p = t1.services.points;

    const spend = await p.earnForSpend(null, client.id, { orderRef: 'HIS-1001', amountFen: 1234567, category: 'surgery' });
    const again = await p.earnForSpend(null, client.id, { orderRef: 'HIS-1001', amountFen: 1234567, category: 'surgery' });
    const referralNew = await p.earnForReferral(null, client.id, { refereeClientId: 999001, isNewClient: true });
    const referralOld = await p.earnForReferral(null, client.id, { refereeClientId: 999002, isNewClient: false });
    const questionnaire = await p.earnForQuestionnaire(null, client.id, 7);

    expect(spend!.entry.delta).toBe(Math.floor(12345.67 * t1.config.points.perYuan.surgery));
    expect(again!.replayed).toBe(true);
    expect(referralNew!.entry.delta).toBe(t1.config.points.referral * t1.config.points.referralNewClientMultiplier);
    expect(referralOld!.entry.delta).toBe(t1.config.points.referral);
    expect(questionnaire!.entry.delta).toBe(t1.config.points.questionnaire);
  });

  it('cancelling a voucher near the points\' expiry gives them back with the consumed lot\'s expiry, not a fresh one', async () => {
    const { client, token } = await fundedClient(100);
    const [lot] = await entriesOf(client.id);
    const reward = await item({ pointsPrice: 100 });
    const start = t1.clock.now();
    t1.clock.set(new Date(new Date(lot.expires_at).getTime() - 2 * DAY));
    try {
      const voucher = (await redeem(t1.http, token, reward.id)).body;

      const cancel = await t1.http.post(`/api/mp/vouchers/${voucher.id}/cancel`).set(bearer(token));

      expect(cancel.status).toBe(200);
      const back = (await entriesOf(client.id)).filter((e) => e.reason === 'redeem_cancel');
      expect(back).toHaveLength(1);
      expect(new Date(back[0].expires_at).getTime()).toBe(new Date(lot.expires_at).getTime());
      expect(Number(back[0].remaining)).toBe(100);
      expect((await t1.http.get('/api/mp/points').set(bearer(token))).body.expiringSoon.points).toBe(100);
    } finally {
      t1.clock.set(start);
    }
    await expectNoDrift();
  });

  it('a voucher cancelled after the spent points\' expiry returns them already expired', async () => {
    const { client, token } = await fundedClient(100);
    const [lot] = await entriesOf(client.id);
    const reward = await item({ pointsPrice: 100 });
    const start = t1.clock.now();
    t1.clock.set(new Date(new Date(lot.expires_at).getTime() - DAY));
    try {
      const voucher = (await redeem(t1.http, token, reward.id)).body;
      t1.clock.advance(2 * DAY);

      const cancel = await t1.http.post(`/api/staff/vouchers/${voucher.id}/cancel`).set(bearer(deskToken));

      expect(cancel.status).toBe(200);
      expect(await t1.services.points.balance(client.id)).toBe(0);
      const tail = (await entriesOf(client.id)).slice(-2).map((e) => [e.reason, Number(e.delta)]);
      expect(tail).toEqual([['redeem_cancel', 100], ['expire', -100]]);
    } finally {
      t1.clock.set(start);
    }
    await expectNoDrift();
  });

  it('points past their expiry cannot be spent or seen before the nightly expiry has run (409 POINTS_INSUFFICIENT)', async () => {
    const { client, token } = await fundedClient(100);
    const [lot] = await entriesOf(client.id);
    const reward = await item({ pointsPrice: 100 });
    const start = t1.clock.now();
    t1.clock.set(new Date(new Date(lot.expires_at).getTime() + 1000));
    try {
      const res = await redeem(t1.http, token, reward.id);

      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('POINTS_INSUFFICIENT');
      expect(await stockOf(reward.id)).toBe(100);
      const summary = (await t1.http.get('/api/mp/points').set(bearer(token))).body;
      expect(summary.balance).toBe(0);
      expect(summary.expiringSoon.points).toBe(0);
      await expect(
        t1.services.points.debit(null, { clientId: client.id, points: 1, reason: 'redeem', reference: 'x', idempotencyKey: `d:${randomUUID()}` }),
      ).rejects.toMatchObject({ code: 'POINTS_INSUFFICIENT' });

      // The next write of this account writes the overdue expiry first.
      const granted = await t1.services.points.grant(null, { clientId: client.id, points: 10, reason: 'manual_adjust', reference: 't', idempotencyKey: `g:${randomUUID()}` });
      expect(granted.balance).toBe(10);
      expect((await entriesOf(client.id)).map((e) => [e.reason, Number(e.delta)])).toEqual([['manual_adjust', 100], ['expire', -100], ['manual_adjust', 10]]);
    } finally {
      t1.clock.set(start);
    }
    await expectNoDrift();
  });

  it('a questionnaire grant to an account holding a lot past its expiry writes that expiry first, and grants once per version', async () => {
    const { client } = await fundedClient(100);
    const [lot] = await entriesOf(client.id);
    const points = t1.config.points.questionnaire;
    const start = t1.clock.now();
    t1.clock.set(new Date(new Date(lot.expires_at).getTime() + 1000));
    try {
      const first = await t1.services.points.earnForQuestionnaire(null, client.id, 'v-overdue');
      const again = await t1.services.points.earnForQuestionnaire(null, client.id, 'v-overdue');

      expect(first).toMatchObject({ replayed: false, balance: points, entry: { delta: points, balanceAfter: points } });
      expect(again).toMatchObject({ replayed: true, balance: points });
      expect((await entriesOf(client.id)).map((e) => [e.reason, Number(e.delta)])).toEqual([['manual_adjust', 100], ['expire', -100], ['questionnaire', points]]);
    } finally {
      t1.clock.set(start);
    }
    await expectNoDrift();
  });

  it('a questionnaire grant does not wait on the next client\'s uncommitted lot (its overdue check locks nothing)', async () => {
    const client = await createClient(t1);
    const next = await createClient(t1);
    const held = await holdTransaction(t1);
    try {
      await t1.services.points.grant(held.manager, { clientId: next.id, points: 5, reason: 'manual_adjust', reference: 't', idempotencyKey: `g:${randomUUID()}` });

      const granted = await Promise.race([
        t1.services.points.earnForQuestionnaire(null, client.id, `v-${randomUUID()}`),
        new Promise((resolve) => setTimeout(() => resolve('still waiting after 3 s'), 3000)),
      ]);

      expect(granted).toMatchObject({ replayed: false, balance: t1.config.points.questionnaire });
    } finally {
      await held.release();
    }
  });

  it('creating or changing a reward, using a voucher and a staff cancel commit together with their audit rows', async () => {
    const spy = jest.spyOn(t1.services.audit, 'record');
    const auditFailsOnce = () => spy.mockRejectedValueOnce(new Error('audit store down'));
    try {
      const title = `atomic-${randomUUID().slice(0, 8)}`;
      auditFailsOnce();
      await expect(t1.services.rewards.createItem(SYSTEM_ACTOR, { kind: 'care_product', title, pointsPrice: 10, stock: 5 })).rejects.toThrow('audit store down');
      expect(await t1.deps.db.query('SELECT id FROM reward_items WHERE title = ?', [title])).toEqual([]);

      const reward = await item({ title, pointsPrice: 100, stock: 5 });
      auditFailsOnce();
      await expect(t1.services.rewards.updateItem(SYSTEM_ACTOR, reward.id, { title: 'changed', stock: 9 })).rejects.toThrow('audit store down');
      const [row] = await t1.deps.db.query('SELECT title, stock FROM reward_items WHERE public_id = ?', [reward.id]);
      expect([row.title, Number(row.stock)]).toEqual([title, 5]);

      const { client, token } = await fundedClient(200);
      const voucher = (await redeem(t1.http, token, reward.id)).body;
      auditFailsOnce();
      expect((await t1.http.post('/api/staff/vouchers/redeem').set(bearer(deskToken)).send({ code: voucher.code })).status).toBe(500);
      expect((await t1.http.get(`/api/mp/vouchers/${voucher.id}`).set(bearer(token))).body.status).toBe('issued');

      auditFailsOnce();
      expect((await t1.http.post(`/api/staff/vouchers/${voucher.id}/cancel`).set(bearer(deskToken))).status).toBe(500);
      expect((await t1.http.get(`/api/mp/vouchers/${voucher.id}`).set(bearer(token))).body.status).toBe('issued');
      expect(await stockOf(reward.id)).toBe(4);
      expect(await t1.services.points.balance(client.id)).toBe(100);

      const used = await t1.http.post('/api/staff/vouchers/redeem').set(bearer(deskToken)).send({ code: voucher.code });
      expect(used.status).toBe(200);
      const [{ n }] = await t1.deps.db.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'voucher.redeem' AND client_id = ?", [client.id]);
      expect(Number(n)).toBe(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('a director\'s relative stock change never undoes concurrent redemptions', async () => {
    const reward = await item({ pointsPrice: 10, stock: 20 });
    const buyers = await Promise.all(Array.from({ length: 10 }, () => fundedClient(10)));
    const patch = (body: object) => t2.http.patch(`/api/staff/rewards/${reward.id}`).set(bearer(directorToken)).send(body);

    const [added, ...results] = await Promise.all([patch({ stockDelta: 5 }), ...buyers.map((b, i) => redeem(agents[i % 2], b.token, reward.id))]);

    expect(added.status).toBe(200);
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(await stockOf(reward.id)).toBe(15);
    expect((await patch({ stock: 1, stockDelta: 1 })).status).toBe(400);
    expect((await patch({ stockDelta: -16 })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await patch({ stockDelta: -15 })).body.stock).toBe(0);
  });

  it('a redemption, a cancellation and an expiry each lock the account once', async () => {
    const { client, token } = await fundedClient(200);
    const reward = await item({ pointsPrice: 100 });
    const soon = new Date(t1.clock.now().getTime() + 3600_000);
    const spy = jest.spyOn(EntityManager.prototype, 'query');
    const locks = () => spy.mock.calls.filter(([sql, params]) => String(sql).startsWith('INSERT INTO points_accounts') && (params as unknown[])?.[0] === client.id).length;
    try {
      const voucher = (await redeem(t1.http, token, reward.id)).body;
      expect(voucher.status).toBe('issued');
      expect(locks()).toBe(1);

      spy.mockClear();
      expect((await t1.http.post(`/api/mp/vouchers/${voucher.id}/cancel`).set(bearer(token))).status).toBe(200);
      expect(locks()).toBe(1);

      await t1.services.points.grant(null, { clientId: client.id, points: 5, reason: 'manual_adjust', reference: 't', idempotencyKey: `g:${randomUUID()}`, expiresAt: soon });
      spy.mockClear();
      expect(await t1.services.points.expireDue(new Date(soon.getTime() + 1000))).toBeGreaterThanOrEqual(1);
      expect(locks()).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(await t1.services.points.balance(client.id)).toBe(200);
    await expectNoDrift();
  });

  it('one lot that cannot expire is logged and skipped; the nightly run expires the others and reports the count', async () => {
    const bad = await createClient(t1);
    const good = await createClient(t1);
    const p = t1.services.points;
    const due = new Date(t1.clock.now().getTime() + DAY);
    const seed = (clientId: number, points: number, expiresAt: Date) =>
      p.grant(null, { clientId, points, reason: 'manual_adjust', reference: 'test', idempotencyKey: `seed:${randomUUID()}`, expiresAt });
    await seed(bad.id, 50, due);
    await seed(good.id, 40, new Date(due.getTime() + 60_000));
    const [badLot] = await entriesOf(bad.id);
    const warn = jest.fn();
    const error = jest.fn();
    const logger = { warn, error, info: jest.fn(), debug: jest.fn() } as unknown as Logger;
    const nightly = new PointsService({ db: t1.deps.db, config: t1.config, clock: t1.clock, audit: t1.services.audit, logger });
    const runAt = new Date(due.getTime() + 120_000);
    await t1.deps.db.query('UPDATE points_accounts SET balance = 0 WHERE client_id = ?', [bad.id]);
    try {
      const written = await nightly.expireDue(runAt);

      expect(written).toBeGreaterThanOrEqual(1);
      expect((await entriesOf(good.id)).map((e) => Number(e.delta))).toEqual([40, -40]);
      expect((await entriesOf(bad.id)).filter((e) => e.reason === 'expire')).toEqual([]);
      expect(warn).toHaveBeenCalledTimes(1);
      const [context] = warn.mock.calls[0];
      expect(Object.keys(context).sort()).toEqual(['clientId', 'err', 'lotId']);
      expect(context).toMatchObject({ lotId: String(badLot.id), clientId: bad.id });
      expect(error).toHaveBeenCalledWith(expect.objectContaining({ failed: 1 }), expect.any(String));
    } finally {
      await t1.deps.db.query('UPDATE points_accounts SET balance = 50 WHERE client_id = ?', [bad.id]);
    }
    expect(await nightly.expireDueReport(runAt)).toEqual({ written: 1, failed: 0 });
    expect(await p.balance(bad.id)).toBe(0);
    await expectNoDrift();
  });

  it('the client\'s ledger does not expose internal references', async () => {
    const { client, token } = await fundedClient(0);
    await t1.services.points.grant(null, { clientId: client.id, points: 30, reason: 'referral', reference: 'client:4242', idempotencyKey: `referral:${randomUUID()}` });

    const res = await t1.http.get('/api/mp/points/entries').set(bearer(token));

    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
    expect(res.body.items[0]).not.toHaveProperty('reference');
    expect(JSON.stringify(res.body)).not.toContain('client:');
  });

  it('points and rewards reach other modules only through their index', () => {
    const modules = join(__dirname, '../../src/modules');
    for (const mod of ['points', 'rewards']) {
      for (const file of readdirSync(join(modules, mod))) {
        const source = readFileSync(join(modules, mod, file), 'utf8');
        expect([file, source.match(/from '\.\.\/[^'./]+\/[^']+'/g) ?? []]).toEqual([file, []]);
      }
    }
  });

  it('the consistency check (endpoint and command) reports zero drift, and finds a tampered balance', async () => {
    const res = await t1.http.get('/api/staff/points/consistency').set(bearer(directorToken));
    expect(res.status).toBe(200);
    expect(res.body.drift).toEqual([]);
    expect(res.body.accounts).toBeGreaterThan(200);
    expect((await runConsistencyCheck({ db: t1.deps.db, config: t1.config })).drift).toEqual([]);

    const { client } = await fundedClient(10);
    await t1.deps.db.query('UPDATE points_accounts SET balance = balance + 1 WHERE client_id = ?', [client.id]);
    try {
      const report = await t1.services.points.checkConsistency();
      expect(report.drift).toEqual([{ clientId: client.id, balance: 11, sum: 10, lots: 10 }]);
    } finally {
      await t1.deps.db.query('UPDATE points_accounts SET balance = balance - 1 WHERE client_id = ?', [client.id]);
    }
  });
});
