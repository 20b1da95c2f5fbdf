import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes the review found missing: the director's task list by status and due time, a referrer's
 * friends and their rewards, and the pipeline metrics' cohort of clients created in a range.
 */
export class ReviewIndexes1795401000000 implements MigrationInterface {
  name = 'ReviewIndexes1795401000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE INDEX `ix_staff_tasks_due` ON `staff_tasks` (`status`, `due_at`)');
    await queryRunner.query('CREATE INDEX `ix_referral_rewards_binding` ON `referral_rewards` (`binding_id`, `conversion`, `status`)');
    await queryRunner.query('CREATE INDEX `ix_clients_created` ON `clients` (`created_at`)');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX `ix_clients_created` ON `clients`');
    await queryRunner.query('DROP INDEX `ix_referral_rewards_binding` ON `referral_rewards`');
    await queryRunner.query('DROP INDEX `ix_staff_tasks_due` ON `staff_tasks`');
  }
}
