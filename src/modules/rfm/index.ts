import type { Task } from '../../shared/task';
import type { RfmService } from './rfm.service';

export { RfmService, SEGMENT_TAGS } from './rfm.service';
export type { RfmDeps, RfmRun, DormantReport } from './rfm.service';
export { registerRfmRoutes } from './rfm.routes';
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
