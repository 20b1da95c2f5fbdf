import { MigrationInterface, QueryRunner } from 'typeorm';

/** WeCom callback events are claimed in batches: one UPDATE marks a batch with its claimer's id. */
export class WeComEventLease1795570200000 implements MigrationInterface {
  name = 'WeComEventLease1795570200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `wecom_callback_events` ADD `lease_id` char(36) NULL, ADD INDEX `ix_wecom_callback_events_lease` (`lease_id`)');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `wecom_callback_events` DROP INDEX `ix_wecom_callback_events_lease`, DROP COLUMN `lease_id`');
  }
}
