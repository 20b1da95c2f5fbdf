import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { EntityManager } from 'typeorm';
import type TestAgent from 'supertest/lib/agent';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createClient, createStaff, staffToken } from '../helpers/factories';
import { createProject, externalNo, recordOrder, seededProject, staffActor } from '../helpers/orders';
import { holdTransaction, waitUntilBlockedBy } from '../helpers/locks';
import { createApp } from '../../src/app';
import { OrdersService } from '../../src/modules/orders';
import type { OrderHooks, OrderRefundEvent, PaidOrder, ProjectView } from '../../src/modules/orders';
import type { Client } from '../../src/modules/clients';
import type { Staff } from '../../src/modules/staff';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('project catalog and spend recording', () => {
  let t1: TestContext;
  let t2: TestContext;
  let agents: TestAgent[];
  let director: Staff;
  let doctor: Staff;
  let consultant: Staff;
  let desk: Staff;
  let tokens: { director: string; doctor: string; consultant: string; desk: string };
  let photo: ProjectView;
  let filler: ProjectView;
  let rhino: ProjectView;

  beforeAll(async () => {
    // Different rates per category so the per-category split shows; two instances for the races (DESIGN.md).
    const env = { DB_POOL_SIZE: '10', POINTS_PER_YUAN_SKIN: '1', POINTS_PER_YUAN_LIGHT: '1.5', POINTS_PER_YUAN_SURGERY: '2' };
    [t1, t2] = await Promise.all([createTestContext({ env }), createTestContext({ env })]);
    agents = [t1.http, t2.http];
    [director, doctor, consultant, desk] = await Promise.all(
      (['director', 'doctor', 'consultant', 'customer_service'] as const).map((r) => createStaff(t1, r)),
    );
    tokens = {
      director: await staffToken(t1, director), doctor: await staffToken(t1, doctor),
      consultant: await staffToken(t1, consultant), desk: await staffToken(t1, desk),
    };
    [photo, filler, rhino] = await Promise.all(['photorejuvenation', 'hyaluronic_filler', 'rhinoplasty'].map((c) => seededProject(t1, c)));
  });
  afterAll(async () => {
    await Promise.all([t1?.close(), t2?.close()]);
  });

  const paidAt = () => new Date(t1.clock.now().getTime() - HOUR).toISOString();
  const orderBody = (client: Client, overrides: Record<string, unknown> = {}) => ({
    orderNo: externalNo(), clientId: client.publicId, doctorId: doctor.publicId, paidAt: paidAt(),
    items: [{ projectId: filler.id, amountFen: 450000 }], ...overrides,
  });
  const postOrder = (body: object, token = tokens.desk, agent: TestAgent = t1.http) => agent.post('/api/staff/orders').set(bearer(token)).send(body);
  const postRefund = (orderId: string, body: object, token = tokens.desk, agent: TestAgent = t1.http) =>
    agent.post(`/api/staff/orders/${orderId}/refunds`).set(bearer(token)).send(body);

  async function count(sql: string, params: unknown[]): Promise<number> {
    const [{ n }] = await t1.deps.db.query(sql, params);
    return Number(n);
  }
  const ordersOf = (client: Client) => count('SELECT COUNT(*) AS n FROM orders WHERE client_id = ?', [client.id]);
  const spendEntriesOf = (client: Client) =>
    t1.deps.db.query("SELECT delta, idempotency_key FROM points_entries WHERE client_id = ? AND reason = 'spend' ORDER BY id", [client.id]) as Promise<
      { delta: number; idempotency_key: string }[]
    >;
  const auditCount = (action: string, clientId: number) => count('SELECT COUNT(*) AS n FROM audit_log WHERE action = ? AND client_id = ?', [action, clientId]);

  async function expectNoDrift() {
    expect((await t2.services.points.checkConsistency()).drift).toEqual([]);
  }

  /** An OrdersService of our own with a hook that records what it is given; served by a real app on t1's connections. */
  function hookedApp(hook: OrderHooks) {
    const orders = new OrdersService({ db: t1.deps.db, config: t1.config, clock: t1.clock, cipher: t1.services.cipher, audit: t1.services.audit, points: t1.services.points, hooks: [hook], logger: t1.deps.logger });
    const { app } = createApp(t1.deps, { ...t1.services, orders });
    return { orders, http: request(app.callback()) };
  }
  function recorder() {
    const calls: ({ kind: 'paid'; order: PaidOrder } | { kind: 'refunded'; order: PaidOrder; refund: OrderRefundEvent })[] = [];
    const hook: OrderHooks = {
      async onPaid(m: EntityManager, order: PaidOrder) {
        // The hook runs inside the order's transaction: the order row is visible to it.
        const [row] = await m.query('SELECT status FROM orders WHERE id = ?', [order.id]);
        expect(row.status).toBe('paid');
        calls.push({ kind: 'paid', order });
      },
      async onRefunded(_m: EntityManager, order: PaidOrder, refund: OrderRefundEvent) {
        calls.push({ kind: 'refunded', order, refund });
      },
    };
    return { calls, hook };
  }

  it('records an order: spend points per category (one ledger entry each), the hook gets the PaidOrder, audited', async () => {
    const client = await createClient(t1);
    const { calls, hook } = recorder();
    const { http } = hookedApp(hook);
    const body = orderBody(client, {
      consultantId: consultant.publicId,
      items: [{ projectId: photo.id, amountFen: 128000 }, { projectCode: 'hyaluronic_filler', amountFen: 480000 }, { projectId: rhino.id, amountFen: 2800000 }],
      amountPaidFen: 3408000,
    });

    const res = await http.post('/api/staff/orders').set(bearer(tokens.desk)).send(body);

    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      orderNo: body.orderNo, clientId: client.publicId, doctor: { id: doctor.publicId }, consultant: { id: consultant.publicId },
      amountPaidFen: 3408000, amountRefundedFen: 0, status: 'paid', replayed: false, refunds: [], recordedBy: { id: desk.publicId },
    });
    // Customer service may not see procedures (medical data): amounts only; the director sees which projects.
    expect(res.body.items).toEqual([128000, 480000, 2800000].map((amountFen) => ({ project: null, category: null, amountFen })));
    const asDirector = await http.get(`/api/staff/orders/${res.body.id}`).set(bearer(tokens.director));
    expect(asDirector.body.items.map((i: { project: { code: string } }) => i.project.code)).toEqual(['photorejuvenation', 'hyaluronic_filler', 'rhinoplasty']);
    // skin 1280 yuan × 1 + light 4800 yuan × 1.5 + surgery 28000 yuan × 2
    expect(res.body.pointsEarned).toBe(1280 + 7200 + 56000);
    expect(await spendEntriesOf(client)).toEqual([
      { delta: 1280, idempotency_key: `spend:${body.orderNo}:skin` },
      { delta: 7200, idempotency_key: `spend:${body.orderNo}:light` },
      { delta: 56000, idempotency_key: `spend:${body.orderNo}:surgery` },
    ]);
    expect(await t1.services.points.balance(client.id)).toBe(64480);
    expect(calls).toHaveLength(1);
    const [{ order }] = calls;
    expect(order).toEqual({
      id: expect.any(Number), publicId: res.body.id, orderNo: body.orderNo, clientId: client.id, doctorId: doctor.id, consultantId: consultant.id,
      amountPaidFen: 3408000, paidAt: new Date(body.paidAt),
      items: [
        { projectId: expect.any(Number), projectCode: 'photorejuvenation', category: 'skin', amountFen: 128000, effectDurationDays: 90, followupPlan: null },
        { projectId: expect.any(Number), projectCode: 'hyaluronic_filler', category: 'light', amountFen: 480000, effectDurationDays: 180, followupPlan: null },
        { projectId: expect.any(Number), projectCode: 'rhinoplasty', category: 'surgery', amountFen: 2800000, effectDurationDays: null, followupPlan: null },
      ],
    });
    expect(await auditCount('order.record', client.id)).toBe(1);
    await expectNoDrift();
  });

  it('the same orderNo with the same content replays: one order, points once, the hook once — also when sent 20 times at once', async () => {
    const client = await createClient(t1);
    const { calls, hook } = recorder();
    const { http } = hookedApp(hook);
    const body = orderBody(client);

    // The hooked instance and both plain instances race on a fresh order number.
    const racing = await Promise.all(Array.from({ length: 21 }, (_, i) => (i === 0 ? http.post('/api/staff/orders').set(bearer(tokens.desk)).send(body) : postOrder(body, tokens.desk, agents[i % 2]))));
    const again = await postOrder(body, tokens.director);

    expect(racing.map((r) => r.status).filter((s) => s !== 201)).toEqual([]);
    expect(racing.filter((r) => !r.body.replayed)).toHaveLength(1);
    const first = racing.find((r) => !r.body.replayed)!;
    expect(new Set(racing.map((r) => r.body.id))).toEqual(new Set([first.body.id]));
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ id: first.body.id, replayed: true, pointsEarned: 6750 });
    expect(await ordersOf(client)).toBe(1);
    expect(await count('SELECT COUNT(*) AS n FROM order_items o JOIN orders r ON r.id = o.order_id WHERE r.client_id = ?', [client.id])).toBe(1);
    expect(await spendEntriesOf(client)).toHaveLength(1);
    expect(await t1.services.points.balance(client.id)).toBe(6750);
    // Only the hooked instance calls the hook, and only when it wrote the order.
    const hooked = first === racing[0] ? 1 : 0;
    expect(calls).toHaveLength(hooked);
    expect((await http.post('/api/staff/orders').set(bearer(tokens.desk)).send(body)).body.replayed).toBe(true);
    expect(calls).toHaveLength(hooked);
    expect(await auditCount('order.record', client.id)).toBe(1);
    await expectNoDrift();
  });

  it('20 different orders at once for one client each earn their points exactly once', async () => {
    const client = await createClient(t1);
    const bodies = Array.from({ length: 20 }, () => orderBody(client, { items: [{ projectId: photo.id, amountFen: 10000 }] }));

    const results = await Promise.all(bodies.map((b, i) => postOrder(b, tokens.desk, agents[i % 2])));

    expect(results.map((r) => r.status).filter((s) => s !== 201)).toEqual([]);
    expect(await ordersOf(client)).toBe(20);
    expect(await t1.services.points.balance(client.id)).toBe(20 * 100);
    await expectNoDrift();
  });

  it('the same orderNo with different content is refused with 409 ORDER_NO_REUSED and changes nothing', async () => {
    const client = await createClient(t1);
    const body = orderBody(client);
    expect((await postOrder(body)).status).toBe(201);

    const otherAmount = await postOrder({ ...body, items: [{ projectId: filler.id, amountFen: 450001 }] });
    const otherClient = await postOrder({ ...body, clientId: (await createClient(t1)).publicId });
    const otherTime = await postOrder({ ...body, paidAt: new Date(t1.clock.now().getTime() - 2 * HOUR).toISOString() });
    const sameByCode = await postOrder({ ...body, items: [{ projectCode: 'hyaluronic_filler', amountFen: 450000 }] });

    for (const res of [otherAmount, otherClient, otherTime]) {
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('ORDER_NO_REUSED');
      expect(res.body.error.details[0].field).toBe('body.orderNo');
    }
    // Naming the same project by code instead of id is the same content.
    expect(sameByCode.body.replayed).toBe(true);
    expect(await ordersOf(client)).toBe(1);
    expect(await t1.services.points.balance(client.id)).toBe(6750);
  });

  it('bad input answers 4xx with the field and writes nothing', async () => {
    const client = await createClient(t1);
    const retired = await createProject(t1, { active: false });
    const inactiveDoctor = await createStaff(t1, 'doctor', { active: false });
    const cases: [Record<string, unknown>, number, string, string][] = [
      [{ items: [{ projectId: 'A'.repeat(22), amountFen: 1000 }] }, 404, 'NOT_FOUND', 'body.items.0.projectId'],
      [{ items: [{ projectId: photo.id, amountFen: 1000 }, { projectCode: 'no_such_project', amountFen: 1000 }] }, 404, 'NOT_FOUND', 'body.items.1.projectCode'],
      [{ items: [{ projectId: retired.id, amountFen: 1000 }] }, 409, 'PROJECT_INACTIVE', 'body.items.0.projectId'],
      [{ doctorId: consultant.publicId }, 400, 'VALIDATION_FAILED', 'body.doctorId'],
      [{ doctorId: inactiveDoctor.publicId }, 400, 'VALIDATION_FAILED', 'body.doctorId'],
      [{ doctorId: 'B'.repeat(22) }, 400, 'VALIDATION_FAILED', 'body.doctorId'],
      [{ consultantId: desk.publicId }, 400, 'VALIDATION_FAILED', 'body.consultantId'],
      [{ items: [{ projectId: filler.id, amountFen: 0 }] }, 400, 'VALIDATION_FAILED', 'body.items.0.amountFen'],
      [{ items: [{ projectId: filler.id, amountFen: -5 }] }, 400, 'VALIDATION_FAILED', 'body.items.0.amountFen'],
      [{ items: [{ projectId: filler.id, amountFen: 99.5 }] }, 400, 'VALIDATION_FAILED', 'body.items.0.amountFen'],
      [{ items: [] }, 400, 'VALIDATION_FAILED', 'body.items'],
      [{ items: [{ projectId: filler.id, projectCode: 'botulinum', amountFen: 100 }] }, 400, 'VALIDATION_FAILED', 'body.items.0'],
      [{ clientId: 'C'.repeat(22) }, 404, 'NOT_FOUND', 'body.clientId'],
      [{ amountPaidFen: 1 }, 400, 'VALIDATION_FAILED', 'body.amountPaidFen'],
      [{ paidAt: new Date(t1.clock.now().getTime() + HOUR).toISOString() }, 400, 'VALIDATION_FAILED', 'body.paidAt'],
      [{ paidAt: '2026-01-01T10:00:00' }, 400, 'VALIDATION_FAILED', 'body.paidAt'],
      [{ paidAt: new Date(t1.clock.now().getTime() - 31 * DAY).toISOString() }, 400, 'VALIDATION_FAILED', 'body.paidAt'],
      [{ orderNo: 'void:abc' }, 400, 'VALIDATION_FAILED', 'body.orderNo'],
      [{ extra: 1 }, 400, 'VALIDATION_FAILED', 'body.extra'],
    ];

    for (const [overrides, status, code, field] of cases) {
      const res = await postOrder(orderBody(client, overrides));
      expect({ overrides, status: res.status, code: res.body.error?.code, fields: res.body.error?.details?.map((d: { field: string }) => d.field) })
        .toEqual({ overrides, status, code, fields: expect.arrayContaining([field]) });
    }
    expect(await ordersOf(client)).toBe(0);
    expect(await spendEntriesOf(client)).toEqual([]);
    expect(await auditCount('order.record', client.id)).toBe(0);
  });

  it('a payment at most ORDER_MAX_BACKDATE_DAYS (30) ago is recorded; an older one is 400 on body.paidAt and writes nothing', async () => {
    const client = await createClient(t1);
    const limit = t1.config.orders.maxBackdateDays;
    expect(limit).toBe(30);

    const inside = await postOrder(orderBody(client, { paidAt: new Date(t1.clock.now().getTime() - limit * DAY + HOUR).toISOString() }));
    const outside = await postOrder(orderBody(client, { paidAt: new Date(t1.clock.now().getTime() - limit * DAY - HOUR).toISOString() }));

    expect(inside.status).toBe(201);
    expect(outside.status).toBe(400);
    expect(outside.body.error).toMatchObject({
      code: 'VALIDATION_FAILED', details: [{ field: 'body.paidAt', message: expect.stringContaining(`${limit} days`) }],
    });
    expect(await ordersOf(client)).toBe(1);
  });

  it('ORDER_MAX_BACKDATE_DAYS is configuration', async () => {
    const t = await createTestContext({ env: { ORDER_MAX_BACKDATE_DAYS: '90' } });
    try {
      const client = await createClient(t);
      const res = await recordOrder(t, { client, doctor, items: [{ projectId: filler.id, amountFen: 1000 }], paidAt: new Date(t.clock.now().getTime() - 60 * DAY) });
      expect(res.replayed).toBe(false);
    } finally {
      await t.close();
    }
  });

  it('recording an order locks the client row before the points account (the questionnaire submit\'s order), so the two never wait on each other in a circle', async () => {
    const client = await createClient(t1);
    // The account exists (as after a first questionnaire), so its row lock is what would be contended.
    await t1.services.points.lockAccount(t1.deps.db.manager, client.id);
    const submit = await holdTransaction(t1);
    let recording: Promise<unknown> = Promise.resolve();
    try {
      // A questionnaire submit in flight: it has the client row and wants the points account next.
      await submit.manager.query('SELECT id FROM clients WHERE id = ? FOR UPDATE', [client.id]);
      recording = recordOrder(t1, { client, doctor, items: [{ projectId: rhino.id, amountFen: 100000 }] });
      await waitUntilBlockedBy(t1, submit);

      // The order waits for the client row holding nothing of this client's: the points account is free.
      await submit.manager.query('SELECT client_id FROM points_accounts WHERE client_id = ? FOR UPDATE NOWAIT', [client.id]);
      await t1.services.points.grant(submit.manager, { clientId: client.id, points: 10, reason: 'questionnaire', reference: 'test', idempotencyKey: `q:${randomUUID()}` });
      await submit.commit();

      const order = await recording;
      expect(order).toMatchObject({ status: 'paid', pointsEarned: 2000 });
      expect(await t1.services.points.balance(client.id)).toBe(2010);
      await expectNoDrift();
    } finally {
      await submit.release();
      await recording.catch(() => undefined);
    }
  });

  it('a partial refund then the rest: status moves, spend points come back in proportion and add up exactly, the hook sees full=true last', async () => {
    const client = await createClient(t1);
    const { calls, hook } = recorder();
    const { orders } = hookedApp(hook);
    // 1001 yuan of skin care: 1001 points, so a 1/3 refund does not divide evenly.
    const order = await orders.recordOrder(staffActor(desk), {
      orderNo: externalNo(), clientId: client.publicId, doctorId: doctor.publicId, paidAt: paidAt(), items: [{ projectId: photo.id, amountFen: 100100 }],
    });
    expect(order.pointsEarned).toBe(1001);

    const partial = await orders.refund(staffActor(desk), order.id, { refundNo: externalNo('R'), amountFen: 33367, reason: '部分疗程未做' });
    expect(partial.order).toMatchObject({ status: 'partially_refunded', amountRefundedFen: 33367 });
    expect(partial.refund).toMatchObject({ kind: 'refund', amountFen: 33367, pointsDebited: 333, pointsShortfall: 0 });
    expect(await t1.services.points.balance(client.id)).toBe(1001 - 333);

    const rest = await orders.refund(staffActor(desk), order.id, { refundNo: externalNo('R'), amountFen: 100100 - 33367, reason: '客户取消剩余疗程' });
    expect(rest.order).toMatchObject({ status: 'refunded', amountRefundedFen: 100100 });
    expect(rest.refund).toMatchObject({ pointsDebited: 1001 - 333, pointsShortfall: 0 });
    expect(await t1.services.points.balance(client.id)).toBe(0);

    expect(calls.map((c) => c.kind)).toEqual(['paid', 'refunded', 'refunded']);
    const refunds = calls.filter((c): c is Extract<typeof c, { kind: 'refunded' }> => c.kind === 'refunded').map((c) => c.refund);
    expect(refunds.map((r) => [r.amountFen, r.refundedTotalFen, r.full])).toEqual([[33367, 33367, false], [66733, 100100, true]]);
    expect(await auditCount('order.refund', client.id)).toBe(2);
    const view = await t1.http.get(`/api/staff/orders/${order.id}`).set(bearer(tokens.doctor));
    expect(view.body.refunds).toHaveLength(2);
    await expectNoDrift();
  });

  it('a refund beyond what is left paid is 409 REFUND_EXCEEDS_PAID; a reused refundNo with other content is 409 REFUND_NO_REUSED', async () => {
    const client = await createClient(t1);
    const order = (await postOrder(orderBody(client))).body;
    const refundNo = externalNo('R');

    const tooMuch = await postRefund(order.id, { refundNo: externalNo('R'), amountFen: 450001, reason: '超额退款' });
    const ok = await postRefund(order.id, { refundNo, amountFen: 400000, reason: '退款' });
    const replay = await postRefund(order.id, { refundNo, amountFen: 400000, reason: '退款' });
    const reused = await postRefund(order.id, { refundNo, amountFen: 1000, reason: '退款' });
    const other = (await postOrder(orderBody(client))).body;
    const reusedElsewhere = await postRefund(other.id, { refundNo, amountFen: 400000, reason: '退款' });
    const pastRest = await postRefund(order.id, { refundNo: externalNo('R'), amountFen: 50001, reason: '超额退款' });

    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.error).toMatchObject({ code: 'REFUND_EXCEEDS_PAID', details: { refundableFen: 450000 } });
    expect(ok.status).toBe(201);
    expect(replay.body).toMatchObject({ replayed: true, refund: { id: ok.body.refund.id } });
    expect(reused.body.error.code).toBe('REFUND_NO_REUSED');
    expect(reusedElsewhere.body.error.code).toBe('REFUND_NO_REUSED');
    expect(pastRest.body.error).toMatchObject({ code: 'REFUND_EXCEEDS_PAID', details: { refundableFen: 50000 } });
    expect(await count('SELECT COUNT(*) AS n FROM order_refunds r JOIN orders o ON o.id = r.order_id WHERE o.client_id = ?', [client.id])).toBe(1);
  });

  it('20 concurrent refunds with the same refundNo write one refund and take the points back once', async () => {
    const client = await createClient(t1);
    const order = (await postOrder(orderBody(client))).body;
    const body = { refundNo: externalNo('R'), amountFen: 225000, reason: '退一半' };

    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => postRefund(order.id, body, tokens.desk, agents[i % 2])));

    expect(results.map((r) => r.status).filter((s) => s !== 201)).toEqual([]);
    expect(results.filter((r) => !r.body.replayed)).toHaveLength(1);
    expect(await count('SELECT COUNT(*) AS n FROM order_refunds WHERE refund_no = ?', [body.refundNo])).toBe(1);
    const [row] = await t1.deps.db.query('SELECT amount_refunded_fen, status FROM orders WHERE public_id = ?', [order.id]);
    expect(row).toEqual({ amount_refunded_fen: 225000, status: 'partially_refunded' });
    expect(await t1.services.points.balance(client.id)).toBe(6750 - 3375);
    await expectNoDrift();
  });

  it('concurrent different refunds that together pass the paid amount never refund more than was paid', async () => {
    const client = await createClient(t1);
    const order = (await postOrder(orderBody(client))).body;

    // 30 refunds of 20,000 fen against 450,000 paid: at most 22 fit.
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => postRefund(order.id, { refundNo: externalNo('R'), amountFen: 20000, reason: '分次退款' }, tokens.desk, agents[i % 2])));

    const ok = results.filter((r) => r.status === 201);
    expect(ok).toHaveLength(22);
    expect(results.filter((r) => r.status !== 201).every((r) => r.status === 409 && r.body.error.code === 'REFUND_EXCEEDS_PAID')).toBe(true);
    const [row] = await t1.deps.db.query(
      'SELECT o.amount_refunded_fen, (SELECT SUM(amount_fen) FROM order_refunds WHERE order_id = o.id) AS total, (SELECT SUM(points_debited) FROM order_refunds WHERE order_id = o.id) AS points FROM orders o WHERE o.public_id = ?',
      [order.id],
    );
    expect(Number(row.amount_refunded_fen)).toBe(440000);
    expect(Number(row.total)).toBe(440000);
    // floor(6750 × 440000 / 450000) = 6600, however the refunds interleaved
    expect(Number(row.points)).toBe(6600);
    expect(await t1.services.points.balance(client.id)).toBe(150);
    await expectNoDrift();
  });

  it('a refund after the client spent the points debits what is left, records the shortfall and never goes below zero', async () => {
    const client = await createClient(t1);
    const order = await recordOrder(t1, { client, doctor, items: [{ projectId: filler.id, amountFen: 450000 }], by: staffActor(desk) });
    await t1.services.points.debit(null, { clientId: client.id, points: 6000, reason: 'redeem', reference: 'reward:test', idempotencyKey: `redeem:${randomUUID()}` });

    const res = await postRefund(order.id, { refundNo: externalNo('R'), amountFen: 450000, reason: '全额退款' });

    expect(res.status).toBe(201);
    expect(res.body.order.status).toBe('refunded');
    expect(res.body.refund).toMatchObject({ pointsDebited: 750, pointsShortfall: 6000 });
    expect(await t1.services.points.balance(client.id)).toBe(0);
    await expectNoDrift();
  });

  it('void: director only; refunds what is left, marks the order voided, once; a fully refunded order cannot be voided', async () => {
    const client = await createClient(t1);
    const { calls, hook } = recorder();
    const { http } = hookedApp(hook);
    const order = (await http.post('/api/staff/orders').set(bearer(tokens.desk)).send(orderBody(client))).body;
    await http.post(`/api/staff/orders/${order.id}/refunds`).set(bearer(tokens.desk)).send({ refundNo: externalNo('R'), amountFen: 50000, reason: '部分退款' });

    const byDesk = await http.post(`/api/staff/orders/${order.id}/void`).set(bearer(tokens.desk)).send({ reason: '录入错误' });
    const voided = await http.post(`/api/staff/orders/${order.id}/void`).set(bearer(tokens.director)).send({ reason: '录入错误' });
    const again = await http.post(`/api/staff/orders/${order.id}/void`).set(bearer(tokens.director)).send({ reason: '录入错误' });
    const refundAfter = await http.post(`/api/staff/orders/${order.id}/refunds`).set(bearer(tokens.desk)).send({ refundNo: externalNo('R'), amountFen: 1, reason: '再退' });

    expect(byDesk.status).toBe(403);
    expect(voided.status).toBe(200);
    expect(voided.body).toMatchObject({ replayed: false, order: { status: 'voided', amountRefundedFen: 450000 }, refund: { kind: 'void', amountFen: 400000 } });
    expect(again.body).toMatchObject({ replayed: true, refund: { id: voided.body.refund.id } });
    expect(refundAfter.body.error.code).toBe('REFUND_EXCEEDS_PAID');
    expect(await t1.services.points.balance(client.id)).toBe(0);
    const last = calls[calls.length - 1];
    expect(calls.map((c) => c.kind)).toEqual(['paid', 'refunded', 'refunded']);
    expect(last.kind === 'refunded' && last.refund).toMatchObject({ amountFen: 400000, refundedTotalFen: 450000, full: true });
    expect(await auditCount('order.void', client.id)).toBe(1);

    const full = (await postOrder(orderBody(client))).body;
    await postRefund(full.id, { refundNo: externalNo('R'), amountFen: 450000, reason: '全额退款' });
    const voidRefunded = await t1.http.post(`/api/staff/orders/${full.id}/void`).set(bearer(tokens.director)).send({ reason: '录入错误' });
    expect(voidRefunded.body.error.code).toBe('ORDER_ALREADY_REFUNDED');
    await expectNoDrift();
  });

  it('a hook that throws rolls back the order, its points and its audit row', async () => {
    const client = await createClient(t1);
    const { http } = hookedApp({ onPaid: async () => { throw new Error('referral hook failed'); } });

    const res = await http.post('/api/staff/orders').set(bearer(tokens.desk)).send(orderBody(client));

    expect(res.status).toBe(500);
    expect(await ordersOf(client)).toBe(0);
    expect(await spendEntriesOf(client)).toEqual([]);
    expect(await auditCount('order.record', client.id)).toBe(0);
  });

  it('roles: a doctor cannot record or refund; a consultant records and reads only for assigned clients', async () => {
    const mine = await createClient(t1, { consultantId: consultant.id });
    const other = await createClient(t1);

    const byDoctor = await postOrder(orderBody(mine), tokens.doctor);
    const forMine = await postOrder(orderBody(mine), tokens.consultant);
    const forOther = await postOrder(orderBody(other), tokens.consultant);
    const otherOrder = (await postOrder(orderBody(other), tokens.director)).body;
    const refundByDoctor = await postRefund(forMine.body.id, { refundNo: externalNo('R'), amountFen: 100, reason: '测试' }, tokens.doctor);

    expect(byDoctor.status).toBe(403);
    expect(forMine.status).toBe(201);
    expect(forOther.status).toBe(404);
    expect(forOther.body.error.details[0].field).toBe('body.clientId');
    expect(refundByDoctor.status).toBe(403);
    expect((await t1.http.get(`/api/staff/orders/${otherOrder.id}`).set(bearer(tokens.consultant))).status).toBe(404);
    expect((await t1.http.get(`/api/staff/orders/${forMine.body.id}`).set(bearer(tokens.consultant))).status).toBe(200);
    const listed = await t1.http.get('/api/staff/orders').set(bearer(tokens.consultant)).query({ pageSize: 100 });
    expect(listed.body.items.every((o: { clientId: string }) => o.clientId === mine.publicId)).toBe(true);
    expect(await count("SELECT COUNT(*) AS n FROM audit_log WHERE client_id = ? AND allowed = 0 AND action IN ('order.record', 'order.read')", [other.id])).toBe(2);
  });

  it('lists a client\'s orders newest payment first, filters by status, reads one; every read is audited', async () => {
    const client = await createClient(t1);
    const older = (await postOrder(orderBody(client, { paidAt: new Date(t1.clock.now().getTime() - 48 * HOUR).toISOString() }))).body;
    const newer = (await postOrder(orderBody(client))).body;
    await postRefund(older.id, { refundNo: externalNo('R'), amountFen: 450000, reason: '全额退款' });

    const all = await t1.http.get('/api/staff/orders').set(bearer(tokens.doctor)).query({ clientId: client.publicId });
    const refunded = await t1.http.get('/api/staff/orders').set(bearer(tokens.desk)).query({ clientId: client.publicId, status: 'refunded' });
    const one = await t1.http.get(`/api/staff/orders/${newer.id}`).set(bearer(tokens.doctor));
    const oneForDesk = await t1.http.get(`/api/staff/orders/${newer.id}`).set(bearer(tokens.desk));
    const unknownClient = await t1.http.get('/api/staff/orders').set(bearer(tokens.desk)).query({ clientId: 'D'.repeat(22) });

    expect(all.body.items.map((o: { id: string }) => o.id)).toEqual([newer.id, older.id]);
    expect(all.body.hasMore).toBe(false);
    expect(refunded.body.items.map((o: { id: string }) => o.id)).toEqual([older.id]);
    expect(one.body).toMatchObject({ id: newer.id, items: [{ project: { code: 'hyaluronic_filler', name: '玻尿酸填充' }, category: 'light', amountFen: 450000 }] });
    // Which procedure a client bought is medical data: customer service and consultants see the amounts only.
    expect(oneForDesk.body.items).toEqual([{ project: null, category: null, amountFen: 450000 }]);
    expect(refunded.body.items[0].items).toEqual([{ project: null, category: null, amountFen: 450000 }]);
    expect(unknownClient.status).toBe(404);
    expect(await auditCount('order.list', client.id)).toBe(2);
    expect(await auditCount('order.read', client.id)).toBe(2);
  });

  it('the catalog: seeded projects for all staff; the director adds, changes and deactivates (audited); others may not', async () => {
    const listed = await t1.http.get('/api/staff/projects').set(bearer(tokens.doctor));
    const codes = listed.body.items.map((p: { code: string }) => p.code);
    const code = `laser_${randomUUID().slice(0, 8)}`;
    const body = { code, name: '皮秒激光', category: 'light', listPriceFen: 238000, bodyArea: 'skin', effectDurationDays: 60 };

    const byDesk = await t1.http.post('/api/staff/projects').set(bearer(tokens.desk)).send(body);
    const created = await t1.http.post('/api/staff/projects').set(bearer(tokens.director)).send(body);
    const duplicate = await t1.http.post('/api/staff/projects').set(bearer(tokens.director)).send(body);
    const badCategory = await t1.http.post('/api/staff/projects').set(bearer(tokens.director)).send({ ...body, code: `${code}_x`, category: 'spa' });
    const patchByDoctor = await t1.http.patch(`/api/staff/projects/${created.body.id}`).set(bearer(tokens.doctor)).send({ listPriceFen: 1 });
    const patched = await t1.http.patch(`/api/staff/projects/${created.body.id}`).set(bearer(tokens.director)).send({ listPriceFen: 198000, followupPlan: 'skin' });
    const codeChange = await t1.http.patch(`/api/staff/projects/${created.body.id}`).set(bearer(tokens.director)).send({ code: 'other' });
    const deactivateByConsultant = await t1.http.post(`/api/staff/projects/${created.body.id}/deactivate`).set(bearer(tokens.consultant));
    const deactivated = await t1.http.post(`/api/staff/projects/${created.body.id}/deactivate`).set(bearer(tokens.director));
    const activeOnly = await t1.http.get('/api/staff/projects').set(bearer(tokens.desk)).query({ active: true });
    const client = await createClient(t1);
    const ordered = await postOrder(orderBody(client, { items: [{ projectCode: code, amountFen: 198000 }] }));

    expect(listed.status).toBe(200);
    expect(codes).toEqual(expect.arrayContaining(['photorejuvenation', 'hyaluronic_filler', 'botulinum', 'skin_booster', 'rhinoplasty', 'blepharoplasty', 'liposuction', 'facial_contouring']));
    expect(listed.body.items.find((p: { code: string }) => p.code === 'botulinum')).toMatchObject({ name: '肉毒素除皱', category: 'light', effectDurationDays: 120, active: true });
    expect(byDesk.status).toBe(403);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...body, followupPlan: null, active: true });
    expect(duplicate.body.error).toMatchObject({ code: 'PROJECT_CODE_TAKEN', details: [{ field: 'body.code' }] });
    expect(badCategory.body.error.details[0].field).toBe('body.category');
    expect(patchByDoctor.status).toBe(403);
    expect(patched.body).toMatchObject({ code, listPriceFen: 198000, followupPlan: 'skin' });
    expect(codeChange.body.error.details[0].field).toBe('body.code');
    expect(deactivateByConsultant.status).toBe(403);
    expect(deactivated.body.active).toBe(false);
    expect(activeOnly.body.items.some((p: { code: string }) => p.code === code)).toBe(false);
    expect(ordered.body.error.code).toBe('PROJECT_INACTIVE');
    const actions = await t1.deps.db.query("SELECT action FROM audit_log WHERE action LIKE 'project.%' AND JSON_VALUE(details, '$.project') = ? ORDER BY id", [created.body.id]);
    expect(actions.map((a: { action: string }) => a.action)).toEqual(['project.create', 'project.update', 'project.deactivate']);
  });
});
