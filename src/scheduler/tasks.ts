import type { Deps, Services } from '../services';
import { pointsExpiryTask } from '../modules/points';
import { exportsPurgeTask } from '../modules/clients';
import { caseSlaTask } from '../modules/feedback';
import { communityPostsTask } from '../modules/community';
import { rfmTask } from '../modules/rfm';
import { followupDueTask } from '../modules/care';
import { referralReleaseTask } from '../modules/referrals';
import { outboxHousekeepingTask } from '../modules/delivery';
import { schedulerRunsPurgeTask } from '../modules/worklist';
import { outboxRetentionTask } from '../modules/outbox';
import { wecomEventsTask } from '../modules/wecom';

/** One scheduled task: what it does must be safe to run twice (unique keys in MySQL). */
export interface Task {
  id: string;
  /** node-cron expression, evaluated in Asia/Shanghai. */
  schedule: string;
  description: string;
  run(ctx: { deps: Deps; services: Services; now: Date }): Promise<{ items: number }>;
}

/** The one list of scheduled tasks. Later capabilities add their tasks here. */
export function allTasks(): Task[] {
  return [pointsExpiryTask, exportsPurgeTask, caseSlaTask, communityPostsTask, referralReleaseTask, followupDueTask, rfmTask, outboxHousekeepingTask, schedulerRunsPurgeTask, outboxRetentionTask, wecomEventsTask];
}
