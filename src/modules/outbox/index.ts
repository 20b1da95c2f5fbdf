import type { Task } from '../../shared/task';
import type { OutboxService } from './outbox.service';

export { OutboxService, RETAINED_KEY_PREFIXES, outboxAad } from './outbox.service';
export type { OutboxInput, OutboxView } from './outbox.service';
export * from './outbox.entity';

/**
 * Nightly at 04:10 Shanghai (after rfm at 02:30 and the runs purge at 03:40, away from the exports
 * purge at :20): deletes outbox rows that finished more than OUTBOX_RETENTION_DAYS ago. A sent
 * client message carries its text, personal data kept no longer than needed (PIPL). Safe twice
 * and side by side. For allTasks().
 */
export const outboxRetentionTask: Task<{ outbox: OutboxService }> = {
  id: 'outbox-retention',
  schedule: '10 4 * * *',
  description: 'Delete sent, failed and cancelled outbox messages past their retention',
  run: async ({ deps, services, now }) => ({
    items: await services.outbox.purgeFinished(new Date(now.getTime() - deps.config.delivery.outboxRetentionDays * 86400_000)),
  }),
};
