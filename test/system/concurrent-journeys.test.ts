import { randomUUID } from 'node:crypto';
import type TestAgent from 'supertest/lib/agent';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, clientToken, createClient, createStaff, staffToken } from '../helpers/factories';
import { externalNo, seededProject } from '../helpers/orders';
import { giveHealthConsent, intentAnswers, submitIntent } from '../helpers/questionnaires';
import { SYSTEM_ACTOR } from '../../src/modules/audit';

const NOW = '2026-09-01T03:00:00.000Z';
const CLIENTS = 6;

describe('whole client journeys side by side on two app instances', () => {
  let t1: TestContext;
  let t2: TestContext;
  // A database of its own: every export purges anyone's expired exports, so other files' rows stay out of it.
  beforeAll(async () => {
    t1 = await createTestContext({ now: NOW, isolatedDatabase: true });
    t2 = await createTestContext({ now: NOW, shareDatabaseOf: t1 });
  });
  afterAll(async () => {
    await t2?.close();
    await t1?.close();
  });

  it('submit, order, redeem, export and delete for several clients at once: no answer is a 5xx, every step succeeds', async () => {
    const desk = await createStaff(t1, 'customer_service');
    const doctor = await createStaff(t1, 'doctor');
    const deskToken = await staffToken(t1, desk);
    const filler = await seededProject(t1, 'hyaluronic_filler');
    const item = await t1.services.rewards.createItem(SYSTEM_ACTOR, { kind: 'care_product', title: '修护面膜', pointsPrice: 100, stock: 100 });
    // Expired exports of other clients, for the exports' purge to find while the journeys run.
    t1.clock.set(new Date(Date.parse(NOW) - 3 * 86400_000));
    for (let i = 0; i < CLIENTS; i++) {
      const other = await createClient(t1);
      expect((await t1.http.post('/api/mp/me/exports').set(bearer(await clientToken(t1, other)))).status).toBe(201);
    }
    t1.clock.set(NOW);
    const clients = await Promise.all(Array.from({ length: CLIENTS }, async () => {
      const client = await createClient(t1);
      await giveHealthConsent(t1, client.id);
      return { client, token: await clientToken(t1, client) };
    }));
    const answers: { step: string; status: number; body: unknown }[] = [];
    const step = async (name: string, req: Promise<{ status: number; body: unknown }>) => {
      const res = await req;
      answers.push({ step: name, status: res.status, body: res.body });
      return res;
    };

    await Promise.all(clients.map(async ({ client, token }, i) => {
      const http: TestAgent = i % 2 ? t2.http : t1.http;
      await step('submit', submitIntent(t1, token, intentAnswers(), { agent: http }));
      await step('order', http.post('/api/staff/orders').set(bearer(deskToken)).send({
        orderNo: externalNo(), clientId: client.publicId, doctorId: doctor.publicId, paidAt: new Date(Date.parse(NOW) - 3600_000).toISOString(),
        items: [{ projectId: filler.id, amountFen: 450000 }],
      }));
      await step('redeem', http.post(`/api/mp/rewards/${item.id}/redeem`).set(bearer(token)).send({ requestId: randomUUID() }));
      const exported = await step('export', http.post('/api/mp/me/exports').set(bearer(token)));
      await step('read export', http.get(`/api/mp/me/exports/${(exported.body as { id: string }).id}`).set(bearer(token)));
      await step('delete', http.delete('/api/mp/me').set(bearer(token)).send({ confirm: true }));
    }));

    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    const expected: Record<string, number> = { submit: 201, order: 201, redeem: 201, export: 201, 'read export': 200, delete: 204 };
    expect(answers.filter((a) => a.status !== expected[a.step])).toEqual([]);
    expect(answers).toHaveLength(CLIENTS * 6);
    const [{ n }] = await t1.deps.db.query('SELECT COUNT(*) AS n FROM data_exports WHERE expires_at <= ?', [new Date(NOW)]);
    expect(Number(n)).toBe(0);
  });
});
