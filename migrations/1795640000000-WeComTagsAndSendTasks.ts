import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The official API's channels: the corp's tag library as last read (tag ids by group and name),
 * and send tasks 群发任务 a consultant confirms, with the outbox messages each carries.
 * Identifiers only; the texts stay in the outbox (encrypted) and at WeCom.
 */
export class WeComTagsAndSendTasks1795640000000 implements MigrationInterface {
  name = 'WeComTagsAndSendTasks1795640000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`wecom_corp_tags\` (
      \`corp_id\` varchar(64) NOT NULL,
      \`tag_id\` varchar(64) NOT NULL,
      \`group_id\` varchar(64) NOT NULL,
      \`group_name\` varchar(64) NOT NULL,
      \`tag_name\` varchar(64) NOT NULL,
      UNIQUE INDEX \`uq_wecom_corp_tags_name\` (\`corp_id\`, \`group_name\`, \`tag_name\`),
      PRIMARY KEY (\`corp_id\`, \`tag_id\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`wecom_send_tasks\` (
      \`id\` int unsigned NOT NULL AUTO_INCREMENT,
      \`msgid\` varchar(64) NULL,
      \`userid\` varchar(64) NOT NULL,
      \`content_hash\` char(64) NOT NULL,
      \`status\` enum ('creating', 'pending', 'closed') NOT NULL,
      \`created_at\` datetime(3) NOT NULL,
      \`deadline_at\` datetime(3) NOT NULL,
      \`checked_at\` datetime(3) NULL,
      \`closed_at\` datetime(3) NULL,
      UNIQUE INDEX \`uq_wecom_send_tasks_msgid\` (\`msgid\`),
      INDEX \`ix_wecom_send_tasks_due\` (\`status\`, \`checked_at\`),
      PRIMARY KEY (\`id\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`wecom_send_task_items\` (
      \`outbox_id\` bigint unsigned NOT NULL,
      \`task_id\` int unsigned NOT NULL,
      \`client_id\` int unsigned NOT NULL,
      \`external_userid\` varchar(64) NOT NULL,
      \`status\` enum ('pending', 'sent', 'fallen_back') NOT NULL,
      \`created_at\` datetime(3) NOT NULL,
      INDEX \`ix_wecom_send_task_items_task\` (\`task_id\`),
      INDEX \`ix_wecom_send_task_items_client\` (\`client_id\`, \`created_at\`),
      PRIMARY KEY (\`outbox_id\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `wecom_send_task_items`');
    await queryRunner.query('DROP TABLE `wecom_send_tasks`');
    await queryRunner.query('DROP TABLE `wecom_corp_tags`');
  }
}
