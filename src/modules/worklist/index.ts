import type { Task } from '../../scheduler/tasks';

export { WorklistService } from './worklist.service';
export { taskAad } from './worklist.service';
export type { WorklistDeps, TaskInput, TaskView, TaskQuery } from './worklist.service';
export { SchedulerRuns } from './worklist.runs';
export type { RunView } from './worklist.runs';
export { WorklistErrors } from './worklist.errors';
export { registerWorklistRoutes } from './worklist.routes';
export * from './worklist.entity';

/** Nightly: deletes scheduler run records older than SCHEDULER_RUN_RETENTION_DAYS. For allTasks(). */
export const schedulerRunsPurgeTask: Task = {
  id: 'scheduler-runs-purge',
  schedule: '40 3 * * *',
  description: 'Delete scheduler run records past their retention',
  run: async ({ deps, services, now }) => ({
    items: await services.worklist.runs.purge(new Date(now.getTime() - deps.config.scheduler.runRetentionDays * 86400_000)),
  }),
};
