export { OutboxService } from './outbox.service';
export type { OutboxInput, OutboxView } from './outbox.service';
export * from './outbox.entity';
