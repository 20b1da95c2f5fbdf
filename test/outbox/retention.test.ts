import { randomBytes } from 'node:crypto';
import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createClient, createStaff } from '../helpers/factories';
import { enqueue, outboxRow, RecordingChannel, shanghai } from '../helpers/delivery';
import { consentingClient, proposedPlan, staffSet } from '../helpers/consultations';
import { recordOrder, seededProject } from '../helpers/orders';
import { startScheduler, SchedulerHandle } from '../../src/scheduler';

const DAY = 86400_000;
const T0 = shanghai('2026-03-02 10:00');

describe('outbox retention', () => {
  // A database of its own: the task deletes across the whole table, and a drain takes every due row.
  let t: TestContext;
  let t2: TestContext;
  let scheduler: SchedulerHandle;
  let ticks = 0;

  beforeAll(async () => {
    const env = { REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX}retention-${randomBytes(3).toString('hex')}:`, SEND_BUDGET_PER_MINUTE: '10000', SEND_BUDGET_PER_DAY: '1000000', CLIENT_DAILY_MESSAGE_CAP: '100' };
    t = await createTestContext({ isolatedDatabase: true, env, now: T0.toISOString() });
    t2 = await createTestContext({ env: { ...env, DB_NAME: t.config.db.database } });
    scheduler = await startScheduler(t.deps, t.services, { cron: false });
  });
  afterAll(async () => {
    await scheduler?.stop();
    await t2?.close();
    await t?.close();
  });

  function at(when: Date): Date {
    t.clock.set(when);
    t2.clock.set(when);
    return when;
  }

  /** The task as the scheduler runs it, on a tick of its own. */
  const runRetention = () => scheduler.runOnce('outbox-retention', `retention-${++ticks}`);
  const exists = async (id: string) => (await t.deps.db.query('SELECT 1 FROM outbox_messages WHERE id = ?', [id])).length === 1;
  const count = async () => Number((await t.deps.db.query('SELECT COUNT(*) AS n FROM outbox_messages'))[0].n);
  // updated_at is the database's clock; the test's clock is another day, so a row's finish is set to it.
  const finishedAt = (id: string, when: Date) => t.deps.db.query('UPDATE outbox_messages SET updated_at = ? WHERE id = ?', [when, id]);

  it('deletes rows finished more than OUTBOX_RETENTION_DAYS ago; recent, pending and sending rows stay; a second run deletes nothing', async () => {
    expect(t.config.delivery.outboxRetentionDays).toBe(30);
    const bot = new RecordingChannel();
    const client = await createClient(t);
    at(T0);
    const oldSent = await enqueue(t, { kind: 'staff_alert', payload: { text: 'old alert', staffRole: 'director' } });
    const oldFailed = await enqueue(t, { kind: 'no_such_kind', payload: { text: 'cannot go' } });
    await t.services.delivery.drain(bot);
    const oldCancelled = await enqueue(t, { kind: 'client_message', dedupeKey: `followup:999999:${randomBytes(4).toString('hex')}`, clientId: client.id, payload: { text: 'x' }, dueAt: new Date(T0.getTime() + DAY) });
    await t.deps.db.transaction((m) => t.services.outbox.cancelPending(m, client.id, 'followup:999999:'));
    // Due at T0, cancelled only at T0 + 35 days: it counts from its cancellation.
    const lateCancelled = await enqueue(t, { kind: 'client_message', dedupeKey: `followup:888888:${randomBytes(4).toString('hex')}`, clientId: client.id, payload: { text: 'y' }, dueAt: T0 });
    for (const id of [oldFailed, oldCancelled]) await finishedAt(id, T0);
    at(new Date(T0.getTime() + 35 * DAY));
    await t.deps.db.transaction((m) => t.services.outbox.cancelPending(m, client.id, 'followup:888888:'));
    await finishedAt(lateCancelled, t.clock.now());
    const recentSent = await enqueue(t, { kind: 'staff_alert', payload: { text: 'recent alert' } });
    await t.services.delivery.drain(bot);
    // Due since T0 and still waiting: for a bot that never came, and held by a drain that died.
    const oldPending = await enqueue(t, { kind: 'staff_alert', payload: { text: 'waiting' }, dueAt: T0 });
    const oldSending = await enqueue(t, { kind: 'staff_alert', payload: { text: 'held' }, dueAt: T0 });
    await t.deps.db.query("UPDATE outbox_messages SET status = 'sending', claim_token = 'deaddraindeaddraindead', lease_until = ? WHERE id = ?", [T0, oldSending]);
    for (const id of [oldPending, oldSending]) await finishedAt(id, T0);
    expect((await Promise.all([oldSent, oldFailed, oldCancelled, oldPending, oldSending, recentSent].map((id) => outboxRow(t, id)))).map((r) => r.status))
      .toEqual(['sent', 'failed', 'cancelled', 'pending', 'sending', 'sent']);
    const before = await count();

    at(new Date(T0.getTime() + 40 * DAY));
    const first = await runRetention();
    const second = await runRetention();

    expect(first).toEqual({ ran: true, items: before - (await count()) });
    expect(second).toEqual({ ran: true, items: 0 });
    expect(await Promise.all([oldSent, oldFailed, oldCancelled].map(exists))).toEqual([false, false, false]);
    expect(await Promise.all([oldPending, oldSending, recentSent, lateCancelled].map(exists))).toEqual([true, true, true, true]);
    await t.deps.db.query("UPDATE outbox_messages SET status = 'cancelled', claim_token = NULL WHERE id IN (?)", [[oldPending, oldSending]]);
  });

  it('two runs at once delete each finished row once, batch after batch', async () => {
    const start = at(new Date(T0.getTime() + 100 * DAY));
    await t.services.outbox.purgeFinished(start); // what the tests before left
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push(await enqueue(t, { kind: 'staff_alert', payload: { text: `bulk ${i}` } }));
    await t.deps.db.query("UPDATE outbox_messages SET status = 'sent', channel = 'wecom', sent_at = ? WHERE id IN (?)", [start, ids]);
    const cutoff = new Date(start.getTime() + DAY);

    const [a, b] = await Promise.all([t.services.outbox.purgeFinished(cutoff, 7), t2.services.outbox.purgeFinished(cutoff, 7)]);

    expect(a + b).toBe(60);
    expect((await t.deps.db.query('SELECT id FROM outbox_messages WHERE id IN (?)', [ids])).length).toBe(0);
  });

  it('a plan proposed again as it is after a change request does not tell the client twice, however old the first notice', async () => {
    at(new Date(T0.getTime() + 200 * DAY));
    const staff = await staffSet(t);
    const { client, token } = await consentingClient(t);
    const planId = await proposedPlan(t, staff.doctorToken, client.publicId);
    const change = await t.http.post(`/api/mp/plans/${planId}/change-requests`).set(bearer(token)).send({ revision: 1, comment: '想再考虑一下价格' });
    expect(change.status).toBe(201);
    await t.services.delivery.drain(new RecordingChannel());
    const [notice] = await t.services.outbox.listForClient(client.id, 'client_message');
    const [alert] = await t.services.outbox.listForClient(client.id, 'staff_alert');
    expect(notice.dedupeKey).toBe(`plan:${planId}:1`);
    expect(notice.status).not.toMatch(/^(pending|sending)$/);
    expect(alert.status).toBe('sent');
    await finishedAt(notice.id, t.clock.now());

    at(new Date(t.clock.now().getTime() + 40 * DAY));
    await runRetention();
    const again = await t.http.post(`/api/staff/plans/${planId}/propose`).set(bearer(staff.doctorToken));

    expect(again.status).toBe(200);
    expect(again.body.status).toBe('proposed');
    // The change alert went with the retention; the notice stayed, so proposing again added none.
    expect(await exists(alert.id)).toBe(false);
    expect((await t.services.outbox.listForClient(client.id, 'client_message')).map((n) => [n.id, n.status])).toEqual([[notice.id, notice.status]]);
  });

  it('a follow-up step whose message went with the retention is not queued again', async () => {
    const paid = at(new Date(T0.getTime() + 300 * DAY));
    const doctor = await createStaff(t, 'doctor');
    const client = await createClient(t);
    const rhinoplasty = await seededProject(t, 'rhinoplasty');
    await recordOrder(t, { client, doctor, paidAt: paid, items: [{ projectId: rhinoplasty.id, amountFen: 2_800_000 }] });
    at(new Date(paid.getTime() + 48 * 3600_000));
    await t.services.care.enqueueDue();
    await t.services.delivery.drain(null, { now: new Date(t.clock.now().getTime() + 10 * 60_000) });
    const [checkin] = await t.services.outbox.listForClient(client.id, 'client_message');
    expect(checkin).toMatchObject({ dedupeKey: expect.stringMatching(/^followup:/), status: 'sent' });

    at(new Date(t.clock.now().getTime() + 40 * DAY));
    await runRetention();
    await t.services.care.enqueueDue();

    expect(await exists(checkin.id)).toBe(false);
    const keys = (await t.services.outbox.listForClient(client.id, 'client_message')).map((m) => m.dedupeKey);
    expect(keys.length).toBeGreaterThan(0); // the later steps, due by now
    expect(keys).not.toContain(checkin.dedupeKey);
  });
});
