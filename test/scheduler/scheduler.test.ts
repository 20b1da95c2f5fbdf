import { createTestContext, TestContext } from '../helpers/context';
import { startScheduler } from '../../src/scheduler';
import type { Task } from '../../src/scheduler/tasks';

describe('scheduler role', () => {
  let a: TestContext;
  let b: TestContext;
  beforeAll(async () => { [a, b] = await Promise.all([createTestContext(), createTestContext()]); });
  afterAll(async () => { await Promise.all([a.close(), b.close()]); });

  it('with two scheduler processes a task fires once per tick', async () => {
    let runs = 0;
    const task: Task = { id: `count-${Date.now()}`, schedule: '* * * * *', description: 'counts', run: async () => ({ items: ++runs }) };
    const s1 = await startScheduler(a.deps, a.services, { tasks: [task], cron: false });
    const s2 = await startScheduler(b.deps, b.services, { tasks: [task], cron: false });
    const results = await Promise.all([s1.runOnce(task.id, 'tick-1'), s2.runOnce(task.id, 'tick-1'), s1.runOnce(task.id, 'tick-1')]);
    expect(results.filter((r) => r.ran)).toHaveLength(1);
    expect(runs).toBe(1);
    expect((await s2.runOnce(task.id, 'tick-2')).ran).toBe(true);
    expect(runs).toBe(2);
    await Promise.all([s1.stop(), s2.stop()]);
  });

  it('lists the product tasks, each with a valid schedule', async () => {
    const s = await startScheduler(a.deps, a.services, { cron: false });
    expect(s.tasks.map((t) => t.id)).toEqual(expect.arrayContaining(['points-expiry', 'exports-purge']));
    const cron = await import('node-cron');
    for (const t of s.tasks) expect(cron.validate(t.schedule)).toBe(true);
    await s.stop();
  });
});

describe('scheduler failures', () => {
  let t: TestContext;
  beforeAll(async () => { t = await createTestContext(); });
  afterAll(async () => { await t.close(); });

  it('a task that failed can run again in the same tick', async () => {
    let calls = 0;
    const task: Task = {
      id: `flaky-${Date.now()}`, schedule: '* * * * *', description: 'fails once',
      run: async () => { calls++; if (calls === 1) throw new Error('database blip'); return { items: 1 }; },
    };
    const s = await startScheduler(t.deps, t.services, { tasks: [task], cron: false });
    await expect(s.runOnce(task.id, 'tick-x')).rejects.toThrow('database blip');
    expect(await s.runOnce(task.id, 'tick-x')).toEqual({ ran: true, items: 1 });
    expect((await s.runOnce(task.id, 'tick-x')).ran).toBe(false);
    await s.stop();
  });
});
