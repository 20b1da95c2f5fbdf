import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a drain began to send an outbox row it holds: a withdrawal (a moved or cancelled
 * appointment's reminders, a refunded order's follow-ups) cancels a claimed row until then, and
 * the drain checks the row in the same statement that sets it, so a withdrawn message never goes.
 */
export class OutboxSendStarted1795720000000 implements MigrationInterface {
  name = 'OutboxSendStarted1795720000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE `outbox_messages` ADD `send_started_at` datetime(3) NULL');
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE `outbox_messages` DROP COLUMN `send_started_at`');
  }
}
