import type { Deps } from './deps';

/**
 * One scheduled task: what it does must be safe to run twice (unique keys in MySQL). `S` is what
 * the task needs of the services; the scheduler hands it all of them.
 */
export interface Task<S = unknown> {
  id: string;
  /** node-cron expression, evaluated in Asia/Shanghai. */
  schedule: string;
  description: string;
  run(ctx: { deps: Deps; services: S; now: Date }): Promise<{ items: number }>;
}
