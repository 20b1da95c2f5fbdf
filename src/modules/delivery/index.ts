import type { Task } from '../../shared/task';
import type { DeliveryService } from './delivery.service';

export { ChannelError, SEND_TASK_CHANNEL } from './delivery.channels';
export type { OutgoingMessage, WeComChannel, OfficialWeComChannel, SendTaskItem, SendTaskVerdict } from './delivery.channels';
export { DeliveryService } from './delivery.service';
export { OUTBOX_KINDS } from './delivery.types';
export type {
  DeliveryDeps, DrainOptions, DrainReport, ContactDirectory, OutboxKind, MessageCard, ClientMessagePayload, TagSyncPayload, GroupPostPayload,
  StaffAlertPayload, SubscriptionView, SubscribeResult,
} from './delivery.types';
export { quietUntil, nextShanghaiDay, backoffSeconds, QUIET_KINDS } from './delivery.rules';
export { DeliveryErrors } from './delivery.errors';
export { registerDeliveryRoutes } from './delivery.routes';
export * from './delivery.entity';

/**
 * Every minute: returns rows of dead drains (expired leases) to the queue, and delivers client
 * messages the bot has left overdue for a few minutes on the channels that need no WeCom
 * (subscribe messages, staff tasks) — so delivery goes on while the bot is logged out. Safe to
 * run beside the bot and on two schedulers: rows are claimed by a conditional UPDATE. For allTasks().
 */
export const outboxHousekeepingTask: Task<{ delivery: DeliveryService }> = {
  id: 'outbox-housekeeping',
  schedule: '* * * * *',
  description: 'Requeue messages of dead drains; deliver overdue client messages without WeCom (subscribe message or staff task)',
  run: async ({ services, now }) => {
    const r = await services.delivery.drain(null, { now });
    return { items: r.sent + r.failed + r.cancelled };
  },
};
