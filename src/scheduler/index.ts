import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import cron, { type ScheduledTask } from 'node-cron';
import type { Deps, Services } from '../services';
import { allTasks, Task } from './tasks';
import { maskSqlValues } from '../shared/logger';

const RELEASE_IF_OURS = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** The minute a tick key names: cron's "YYYY-MM-DDTHH:MM" (UTC), a minute number, else the minute of `now`. */
function tickOf(tickKey: string, now: Date): Date {
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(tickKey)) return new Date(`${tickKey}:00Z`);
  if (/^\d+$/.test(tickKey)) return new Date(Number(tickKey) * 60_000);
  return new Date(Math.floor(now.getTime() / 60_000) * 60_000);
}

export interface SchedulerHandle {
  tasks: Task[];
  /** Runs one task now, through the same coordination as a cron tick; used by tests and staff tools. */
  runOnce(id: string, tickKey?: string): Promise<{ ran: boolean; items: number }>;
  stop(): Promise<void>;
}

/**
 * The scheduler role: node-cron fires each task; a Redis key per task and tick lets exactly one of
 * several scheduler processes run it (SET NX), and tasks are idempotent anyway. Every run is
 * recorded (scheduler_runs: start, end, items, error, instance) for GET /api/staff/scheduler/runs.
 */
export async function startScheduler(deps: Deps, services: Services, opts: { tasks?: Task[]; cron?: boolean } = {}): Promise<SchedulerHandle> {
  const log = deps.logger.child({ role: 'scheduler' });
  const tasks = opts.tasks ?? allTasks();
  const inFlight = new Set<Promise<unknown>>();
  const jobs: ScheduledTask[] = [];
  const instance = `${hostname()}:${process.pid}`.slice(0, 64);
  const runs = services.schedulerRuns;

  async function runOnce(id: string, tickKey = String(Math.floor(deps.clock.now().getTime() / 60_000))): Promise<{ ran: boolean; items: number }> {
    const task = tasks.find((t) => t.id === id);
    if (!task) throw new Error(`no task ${id}`);
    const claimKey = `cron:${id}:${tickKey}`;
    const claim = randomUUID();
    const claimed = await deps.redis.set(claimKey, claim, 'EX', 3600, 'NX');
    if (claimed !== 'OK') return { ran: false, items: 0 };
    const started = Date.now();
    const now = deps.clock.now();
    // The run record is for people; failing to write it never stops the task.
    const runId = await runs.start(id, tickOf(tickKey, now), instance).catch((err) => {
      log.warn({ err, task: id }, 'could not record the start of a run');
      return null;
    });
    const finish = (outcome: { items: number } | { error: string }) =>
      runId ? runs.finish(runId, outcome).catch((err) => log.warn({ err, task: id }, 'could not record the end of a run')) : undefined;
    try {
      const { items } = await task.run({ deps, services, now });
      await finish({ items });
      log.info({ task: id, items, ms: Date.now() - started }, 'task ran');
      return { ran: true, items };
    } catch (err) {
      // Staff read this: a failed query's message can echo a value, so values are masked.
      await finish({ error: maskSqlValues(err instanceof Error ? err.message : String(err)) });
      log.error({ err, task: id }, 'task failed');
      // Give the tick back (only if the claim is still ours) so a retry in the same tick can run it.
      await deps.redis.eval(RELEASE_IF_OURS, 1, claimKey, claim).catch(() => undefined);
      throw err;
    }
  }

  if (opts.cron !== false) {
    for (const task of tasks) {
      jobs.push(
        cron.schedule(task.schedule, (fired) => {
          // The tick is the scheduled minute, not the moment the callback ran, so late callbacks
          // and small clock differences between scheduler hosts still agree on it.
          const p = runOnce(task.id, fired.date.toISOString().slice(0, 16)).catch(() => undefined);
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
        }, { timezone: 'Asia/Shanghai', name: task.id }),
      );
    }
  }
  log.info({ tasks: tasks.map((t) => t.id) }, 'scheduler started');

  return {
    tasks,
    runOnce,
    async stop() {
      for (const job of jobs) await job.stop();
      await Promise.allSettled([...inFlight]);
      log.info('scheduler stopped');
    },
  };
}
