import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Delivery of the outbox (claim token, sending account, group-post progress), mini-program
 * subscription credits, staff tasks (the worklist) and the record of scheduler runs (issue 5).
 */
export class DeliveryAndWorklist1795400400000 implements MigrationInterface {
  name = 'DeliveryAndWorklist1795400400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`outbox_messages\` ADD \`claim_token\` char(22) NULL, ADD \`account_id\` varchar(64) NULL, ADD \`sent_to\` json NULL`);
    await queryRunner.query(`CREATE INDEX \`ix_outbox_claim\` ON \`outbox_messages\` (\`claim_token\`)`);
    await queryRunner.query(`CREATE TABLE \`subscription_credits\` (\`client_id\` int UNSIGNED NOT NULL, \`template_id\` varchar(64) NOT NULL, \`credits\` int UNSIGNED NOT NULL DEFAULT '0', \`updated_at\` datetime(3) NOT NULL, PRIMARY KEY (\`client_id\`, \`template_id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`staff_tasks\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`public_id\` char(22) NOT NULL, \`kind\` varchar(32) NOT NULL, \`client_id\` int UNSIGNED NULL, \`assignee_role\` varchar(16) NOT NULL, \`assignee_id\` int UNSIGNED NULL, \`title\` varchar(200) NOT NULL, \`details\` json NULL, \`due_at\` datetime(3) NOT NULL, \`status\` enum ('open', 'done', 'cancelled') NOT NULL DEFAULT 'open', \`dedupe_key\` varchar(191) NOT NULL, \`created_at\` datetime(3) NOT NULL, \`done_at\` datetime(3) NULL, \`done_by\` int UNSIGNED NULL, \`note\` varchar(500) NULL, UNIQUE INDEX \`uq_staff_tasks_public_id\` (\`public_id\`), UNIQUE INDEX \`uq_staff_tasks_dedupe\` (\`dedupe_key\`), INDEX \`ix_staff_tasks_role\` (\`assignee_role\`, \`status\`, \`due_at\`), INDEX \`ix_staff_tasks_assignee\` (\`assignee_id\`, \`status\`), INDEX \`ix_staff_tasks_client\` (\`client_id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`scheduler_runs\` (\`id\` bigint UNSIGNED NOT NULL AUTO_INCREMENT, \`task_id\` varchar(64) NOT NULL, \`tick\` datetime(3) NOT NULL, \`started_at\` datetime(3) NOT NULL, \`finished_at\` datetime(3) NULL, \`items\` int UNSIGNED NULL, \`error\` varchar(500) NULL, \`instance\` varchar(64) NOT NULL, INDEX \`ix_scheduler_runs_task\` (\`task_id\`, \`started_at\`), INDEX \`ix_scheduler_runs_started\` (\`started_at\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`ix_scheduler_runs_started\` ON \`scheduler_runs\``);
    await queryRunner.query(`DROP INDEX \`ix_scheduler_runs_task\` ON \`scheduler_runs\``);
    await queryRunner.query(`DROP TABLE \`scheduler_runs\``);
    await queryRunner.query(`DROP INDEX \`ix_staff_tasks_client\` ON \`staff_tasks\``);
    await queryRunner.query(`DROP INDEX \`ix_staff_tasks_assignee\` ON \`staff_tasks\``);
    await queryRunner.query(`DROP INDEX \`ix_staff_tasks_role\` ON \`staff_tasks\``);
    await queryRunner.query(`DROP INDEX \`uq_staff_tasks_dedupe\` ON \`staff_tasks\``);
    await queryRunner.query(`DROP INDEX \`uq_staff_tasks_public_id\` ON \`staff_tasks\``);
    await queryRunner.query(`DROP TABLE \`staff_tasks\``);
    await queryRunner.query(`DROP TABLE \`subscription_credits\``);
    await queryRunner.query(`DROP INDEX \`ix_outbox_claim\` ON \`outbox_messages\``);
    await queryRunner.query(`ALTER TABLE \`outbox_messages\` DROP COLUMN \`sent_to\`, DROP COLUMN \`account_id\`, DROP COLUMN \`claim_token\``);
  }
}
