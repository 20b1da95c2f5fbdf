import { MigrationInterface, QueryRunner } from 'typeorm';

/** The outbox (DESIGN.md), client tags and stage history: what questionnaires, orders and the bot share. */
export class OutboxTagsStages1795390000000 implements MigrationInterface {
  name = 'OutboxTagsStages1795390000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`outbox_messages\` (\`id\` bigint UNSIGNED NOT NULL AUTO_INCREMENT, \`kind\` varchar(32) NOT NULL, \`dedupe_key\` varchar(191) NOT NULL, \`client_id\` int UNSIGNED NULL, \`payload\` json NOT NULL, \`due_at\` datetime(3) NOT NULL, \`status\` enum ('pending', 'sending', 'sent', 'failed', 'cancelled') NOT NULL DEFAULT 'pending', \`attempts\` int UNSIGNED NOT NULL DEFAULT '0', \`lease_until\` datetime(3) NULL, \`last_error\` varchar(500) NULL, \`channel\` varchar(24) NULL, \`sent_at\` datetime(3) NULL, \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), \`updated_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), UNIQUE INDEX \`uq_outbox_dedupe\` (\`dedupe_key\`), INDEX \`ix_outbox_client\` (\`client_id\`), INDEX \`ix_outbox_due\` (\`status\`, \`due_at\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`client_tags\` (\`client_id\` int UNSIGNED NOT NULL, \`dimension\` varchar(24) NOT NULL, \`value\` varchar(48) NOT NULL, \`source\` varchar(24) NOT NULL, \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), INDEX \`ix_client_tags_value\` (\`dimension\`, \`value\`), PRIMARY KEY (\`client_id\`, \`dimension\`, \`value\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`client_stage_events\` (\`id\` bigint UNSIGNED NOT NULL AUTO_INCREMENT, \`client_id\` int UNSIGNED NOT NULL, \`from_stage\` varchar(24) NULL, \`to_stage\` varchar(24) NOT NULL, \`at\` datetime(3) NOT NULL, \`actor_type\` varchar(8) NOT NULL, \`actor_id\` int UNSIGNED NULL, \`reason\` varchar(32) NULL, INDEX \`ix_stage_events_client\` (\`client_id\`, \`at\`), INDEX \`ix_stage_events_stage\` (\`to_stage\`, \`at\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `client_stage_events`');
    await queryRunner.query('DROP TABLE `client_tags`');
    await queryRunner.query('DROP TABLE `outbox_messages`');
  }
}
