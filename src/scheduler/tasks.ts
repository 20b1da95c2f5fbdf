import type { Services } from '../services';
import type { Task as TaskOf } from '../shared/task';
import { pointsExpiryTask } from '../modules/points';
import { exportsPurgeTask } from '../modules/clients';
import { caseSlaTask } from '../modules/feedback';
import { communityPostsTask } from '../modules/community';
import { birthdayTask, rfmTask } from '../modules/rfm';
import { followupDueTask } from '../modules/care';
import { referralPrizesTask, referralReleaseTask } from '../modules/referrals';
import { outboxHousekeepingTask } from '../modules/delivery';
import { outboxRetentionTask } from '../modules/outbox';
import { wecomEventsTask, wecomSendTasksTask, wecomWorkNoticesTask } from '../modules/wecom';
import { monthlySummaryTask } from '../modules/reports';
import { voucherExpiryTask } from '../modules/rewards';
import { auditChainTask } from '../modules/audit';
import { importsSweepTask } from '../modules/impex';

/** One scheduled task, given every service: what it does must be safe to run twice (unique keys in MySQL). */
export type Task = TaskOf<Services>;

/** Nightly: deletes scheduler run records older than SCHEDULER_RUN_RETENTION_DAYS. */
const schedulerRunsPurgeTask: Task = {
  id: 'scheduler-runs-purge',
  schedule: '40 3 * * *',
  description: 'Delete scheduler run records past their retention',
  run: async ({ deps, services, now }) => ({
    items: await services.schedulerRuns.purge(new Date(now.getTime() - deps.config.scheduler.runRetentionDays * 86400_000)),
  }),
};

/** The one list of scheduled tasks. Later capabilities add their tasks here. */
export function allTasks(): Task[] {
  return [
    pointsExpiryTask, exportsPurgeTask, caseSlaTask, communityPostsTask, referralReleaseTask, followupDueTask, rfmTask, outboxHousekeepingTask, schedulerRunsPurgeTask, outboxRetentionTask, wecomEventsTask, monthlySummaryTask, voucherExpiryTask, birthdayTask, referralPrizesTask, wecomSendTasksTask, wecomWorkNoticesTask, auditChainTask, importsSweepTask,
  ];
}
