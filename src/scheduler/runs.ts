import type { DataSource } from 'typeorm';
import type { Clock } from '../shared/clock';

export interface RunView {
  taskId: string;
  tick: Date;
  startedAt: Date;
  finishedAt: Date | null;
  items: number | null;
  error: string | null;
  instance: string;
}

interface RunRow {
  task_id: string;
  tick: Date;
  started_at: Date;
  finished_at: Date | null;
  items: number | null;
  error: string | null;
  instance: string;
}

const toView = (r: RunRow): RunView => ({
  taskId: r.task_id,
  tick: r.tick,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  items: r.items === null ? null : Number(r.items),
  error: r.error,
  instance: r.instance,
});

/** The record of scheduler runs, for the people who watch them: one row per task and tick that an instance ran. */
export class SchedulerRuns {
  constructor(private readonly deps: { db: DataSource; clock: Clock }) {}

  /** Records the start of a run; returns its id for `finish`. */
  async start(taskId: string, tick: Date, instance: string): Promise<string> {
    const res = await this.deps.db.query(
      'INSERT INTO scheduler_runs (task_id, tick, started_at, instance) VALUES (?, ?, ?, ?)',
      [taskId.slice(0, 64), tick, this.deps.clock.now(), instance.slice(0, 64)],
    );
    return String(res.insertId);
  }

  /** Records how a run ended: the items it handled, or its error (cut to 500 characters). */
  async finish(runId: string, outcome: { items: number } | { error: string }): Promise<void> {
    const items = 'items' in outcome ? Math.max(0, Math.floor(outcome.items)) : null;
    const error = 'error' in outcome ? [...outcome.error].slice(0, 500).join('') : null;
    await this.deps.db.query('UPDATE scheduler_runs SET finished_at = ?, items = ?, error = ? WHERE id = ?', [this.deps.clock.now(), items, error, runId]);
  }

  /** Recent runs, newest first; of one task when `taskId` is given. */
  async recent(opts: { taskId?: string; limit: number }): Promise<RunView[]> {
    const rows: RunRow[] = await this.deps.db.query(
      `SELECT task_id, tick, started_at, finished_at, items, error, instance FROM scheduler_runs
        ${opts.taskId ? 'WHERE task_id = ?' : ''} ORDER BY started_at DESC, id DESC LIMIT ?`,
      opts.taskId ? [opts.taskId, opts.limit] : [opts.limit],
    );
    return rows.map(toView);
  }

  /** The latest run of each task (one indexed lookup per task). */
  async latest(taskIds: string[]): Promise<Map<string, RunView>> {
    if (!taskIds.length) return new Map();
    const one = '(SELECT task_id, tick, started_at, finished_at, items, error, instance FROM scheduler_runs WHERE task_id = ? ORDER BY started_at DESC, id DESC LIMIT 1)';
    const rows: RunRow[] = await this.deps.db.query(taskIds.map(() => one).join(' UNION ALL '), taskIds);
    return new Map(rows.map((r) => [r.task_id, toView(r)]));
  }

  /** Deletes runs started before `before`, in chunks; returns how many. */
  async purge(before: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const res = await this.deps.db.query('DELETE FROM scheduler_runs WHERE started_at < ? ORDER BY started_at LIMIT 1000', [before]);
      total += Number(res.affectedRows);
      if (Number(res.affectedRows) < 1000) return total;
    }
  }
}
