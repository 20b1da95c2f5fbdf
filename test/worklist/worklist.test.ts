import { createTestContext, TestContext } from '../helpers/context';
import { bearer, createClient, createStaff, staffToken } from '../helpers/factories';
import { startScheduler } from '../../src/scheduler';
import type { Task } from '../../src/scheduler/tasks';
import type { Staff } from '../../src/modules/staff';
import type { TaskInput } from '../../src/modules/worklist';

describe('staff tasks (worklist)', () => {
  // A database of its own: the lists below must hold only this file's tasks.
  let t: TestContext;
  let director: Staff;
  let consultant: Staff;
  let otherConsultant: Staff;
  let doctor: Staff;
  const tokens: Record<string, string> = {};
  let seq = 0;

  beforeAll(async () => {
    t = await createTestContext({ isolatedDatabase: true, now: '2026-03-02T02:00:00Z' });
    [director, consultant, otherConsultant, doctor] = await Promise.all([
      createStaff(t, 'director'), createStaff(t, 'consultant'), createStaff(t, 'consultant'), createStaff(t, 'doctor'),
    ]);
    for (const s of [director, consultant, otherConsultant, doctor]) tokens[s.id] = await staffToken(t, s);
  });
  afterAll(async () => { await t?.close(); });

  const task = (overrides: Partial<TaskInput> = {}): TaskInput => ({
    kind: 'callback', dedupeKey: `test:${++seq}`, assigneeRole: 'consultant', title: `回访客户 ${seq}`, details: { reason: 'dormant' }, ...overrides,
  });
  const list = (staff: Staff, query = '') => t.http.get(`/api/staff/tasks${query}`).set(bearer(tokens[staff.id]));
  const complete = (staff: Staff, id: string, body: object = {}) => t.http.post(`/api/staff/tasks/${id}/complete`).set(bearer(tokens[staff.id])).send(body);

  it('create is idempotent on the dedupe key and commits with the caller\'s transaction', async () => {
    const input = task({ title: '长'.repeat(300) });
    const first = await t.services.worklist.create(null, input);
    const again = await t.services.worklist.create(null, { ...input, title: 'another title' });
    await expect(t.deps.db.transaction(async (m) => {
      await t.services.worklist.create(m, task({ dedupeKey: 'rolled-back' }));
      throw new Error('the event failed');
    })).rejects.toThrow('the event failed');

    expect(first.created).toBe(true);
    expect(again).toEqual({ created: false, id: first.id });
    expect((await t.services.worklist.byDedupeKey(input.dedupeKey))!.title).toBe('长'.repeat(200));
    expect(await t.services.worklist.byDedupeKey('rolled-back')).toBeNull();
  });

  it('each staff member sees the tasks of their role and those assigned to them; the director sees all', async () => {
    const client = await createClient(t);
    const forRole = await t.services.worklist.create(null, task({ clientId: client.id }));
    const forMe = await t.services.worklist.create(null, task({ assigneeRole: 'customer_service', assigneeId: consultant.id }));
    const forDoctor = await t.services.worklist.create(null, task({ assigneeRole: 'doctor', title: '术后复查' }));

    const mine = (await list(consultant)).body.items.map((i: { id: string }) => i.id);
    const doctors = (await list(doctor)).body.items.map((i: { id: string }) => i.id);
    const all = (await list(director)).body.items.map((i: { id: string }) => i.id);
    const onlyDoctors = (await list(director, '?role=doctor')).body.items.map((i: { id: string }) => i.id);

    expect(mine).toEqual(expect.arrayContaining([forRole.id, forMe.id]));
    expect(mine).not.toContain(forDoctor.id);
    // A task meant for one consultant (it may quote a follow-up about a procedure) stays theirs.
    const forColleague = await t.services.worklist.create(null, task({ clientId: client.id, assigneeId: otherConsultant.id }));
    expect((await list(consultant)).body.items.map((i: { id: string }) => i.id)).not.toContain(forColleague.id);
    expect((await complete(consultant, forColleague.id)).status).toBe(404);
    expect((await list(otherConsultant)).body.items.map((i: { id: string }) => i.id)).toContain(forColleague.id);
    expect(doctors).toContain(forDoctor.id);
    expect(doctors).not.toContain(forRole.id);
    expect(all).toEqual(expect.arrayContaining([forRole.id, forMe.id, forDoctor.id]));
    expect(onlyDoctors).toEqual([forDoctor.id]);
    const shown = (await list(consultant)).body.items.find((i: { id: string }) => i.id === forRole.id);
    expect(shown).toMatchObject({ kind: 'callback', clientId: client.publicId, assigneeRole: 'consultant', assigneeId: null, status: 'open', details: { reason: 'dormant' } });
    const [audit] = await t.deps.db.query("SELECT * FROM audit_log WHERE action = 'worklist.list' AND actor_id = ? ORDER BY id DESC LIMIT 1", [consultant.id]);
    expect(audit).toBeDefined();
  });

  it('completing a task records who and when, with the note, audited; a second completion answers 409', async () => {
    const client = await createClient(t);
    const created = await t.services.worklist.create(null, task({ clientId: client.id, assigneeId: consultant.id }));

    const done = await complete(consultant, created.id, { note: '已电话联系，客户恢复良好' });
    const again = await complete(consultant, created.id, { note: 'twice' });

    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ id: created.id, status: 'done', doneBy: consultant.publicId, note: '已电话联系，客户恢复良好', doneAt: '2026-03-02T02:00:00.000Z' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('TASK_NOT_OPEN');
    const audits = await t.deps.db.query("SELECT client_id FROM audit_log WHERE action = 'worklist.complete' AND actor_id = ?", [consultant.id]);
    expect(audits.map((a: { client_id: number }) => Number(a.client_id))).toEqual([client.id]);
    expect((await list(consultant, '?status=done')).body.items.map((i: { id: string }) => i.id)).toContain(created.id);
  });

  it('ten staff completing the same task at once: exactly one succeeds', async () => {
    const created = await t.services.worklist.create(null, task());

    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => complete(i % 2 ? consultant : otherConsultant, created.id)));

    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(9);
  });

  it('another role\'s task is not found; bad ids and bodies answer 400 with the field', async () => {
    const doctors = await t.services.worklist.create(null, task({ assigneeRole: 'doctor' }));

    const foreign = await complete(consultant, doctors.id);
    const badId = await complete(consultant, '123');
    const badBody = await complete(doctor, doctors.id, { note: 'ok', status: 'done' });
    const badQuery = await list(consultant, '?status=everything');

    expect(foreign.status).toBe(404);
    expect(badId.status).toBe(400);
    expect(badId.body.error.details).toEqual([expect.objectContaining({ field: 'params.id' })]);
    expect(badBody.status).toBe(400);
    expect(badBody.body.error.details).toEqual([expect.objectContaining({ field: 'body.status' })]);
    expect(badQuery.body.error.details).toEqual([expect.objectContaining({ field: 'query.status' })]);
    expect((await t.services.worklist.byDedupeKey(`test:${seq}`))!.status).toBe('open');
  });
});

describe('scheduler run records', () => {
  let t: TestContext;
  let directorToken: string;
  let consultantToken: string;

  beforeAll(async () => {
    t = await createTestContext({ isolatedDatabase: true, now: '2026-03-02T02:00:00Z' });
    directorToken = await staffToken(t, await createStaff(t, 'director'));
    consultantToken = await staffToken(t, await createStaff(t, 'consultant'));
  });
  afterAll(async () => { await t?.close(); });

  it('every run is recorded with start, end, items and error, and listed with the task list for the director', async () => {
    let calls = 0;
    const ok: Task = { id: `count-${Date.now()}`, schedule: '*/5 * * * *', description: 'counts', run: async () => ({ items: 7 }) };
    const flaky: Task = {
      id: `flaky-${Date.now()}`, schedule: '0 * * * *', description: 'fails first',
      run: async () => { if (++calls === 1) throw new Error("Duplicate entry 'o123secret' for key 'uq'"); return { items: 1 }; },
    };
    const s = await startScheduler(t.deps, t.services, { tasks: [ok, flaky], cron: false });
    await s.runOnce(ok.id, '2026-03-02T02:00');
    await expect(s.runOnce(flaky.id, '2026-03-02T02:00')).rejects.toThrow();
    await s.runOnce(flaky.id, '2026-03-02T02:00');
    await s.stop();

    const res = await t.http.get('/api/staff/scheduler/runs').set(bearer(directorToken));
    const one = await t.http.get(`/api/staff/scheduler/runs?taskId=${flaky.id}`).set(bearer(directorToken));

    expect(res.status).toBe(200);
    expect(res.body.tasks).toEqual(expect.arrayContaining([
      expect.objectContaining({ id: 'outbox-housekeeping', schedule: '* * * * *', description: expect.any(String) }),
      expect.objectContaining({ id: 'scheduler-runs-purge' }),
    ]));
    expect(res.body.runs).toEqual(expect.arrayContaining([
      { taskId: ok.id, tick: '2026-03-02T02:00:00.000Z', startedAt: '2026-03-02T02:00:00.000Z', finishedAt: '2026-03-02T02:00:00.000Z', items: 7, error: null, instance: expect.stringMatching(/:\d+$/) },
    ]));
    expect(one.body.runs.map((r: { items: number | null; error: string | null }) => [r.items, r.error])).toEqual(
      expect.arrayContaining([[1, null], [null, "Duplicate entry '[redacted]' for key 'uq'"]]),
    );
    expect(one.body.runs).toHaveLength(2);
  });

  it('only the director sees the runs', async () => {
    const res = await t.http.get('/api/staff/scheduler/runs').set(bearer(consultantToken));
    expect(res.status).toBe(403);
  });

  it('the nightly purge deletes run records past their retention', async () => {
    await t.deps.db.query("INSERT INTO scheduler_runs (task_id, tick, started_at, instance) VALUES ('old-task', '2025-01-01', '2025-01-01', 'x'), ('new-task', '2026-03-01', '2026-03-01', 'x')");
    const s = await startScheduler(t.deps, t.services, { cron: false });

    const run = await s.runOnce('scheduler-runs-purge', 'purge-1');
    await s.stop();

    expect(run.ran).toBe(true);
    expect(run.items).toBeGreaterThanOrEqual(1);
    const left = await t.deps.db.query("SELECT task_id FROM scheduler_runs WHERE task_id IN ('old-task', 'new-task')");
    expect(left.map((r: { task_id: string }) => r.task_id)).toEqual(['new-task']);
  });
});
