import type { Task } from '../../shared/task';
import type { RfmService } from './rfm.service';

export { RfmService, SEGMENT_TAGS } from './rfm.service';
export type { RfmDeps, RfmRun, DormantReport } from './rfm.service';
export { registerRfmRoutes } from './rfm.routes';
export { reportQuery as dormantReportQuery } from './rfm.schema';
export * from './rfm.entity';

/** Nightly RFM and dormant-client actions (set-based; safe twice: unique keys per dormancy period). */
export const rfmTask: Task<{ rfm: RfmService }> = {
  id: 'rfm',
  schedule: '30 2 * * *',
  description: 'Recompute RFM segments, mirror them as tags, and take the dormant-client actions',
  run: async ({ services, now }) => {
    const run = await services.rfm.run(now);
    return { items: run.clients };
  },
};

/** Daily at 09:00 Shanghai: the birthday voucher and message for today's birthdays (once a year per client). */
export const birthdayTask: Task<{ rfm: RfmService }> = {
  id: 'birthday-perks',
  schedule: '0 9 * * *',
  description: 'Issue the birthday voucher to clients whose birthday is today and tell them',
  run: async ({ services, now }) => ({ items: await services.rfm.birthdayPerks(now) }),
};
