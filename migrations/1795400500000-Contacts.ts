import { MigrationInterface, QueryRunner } from 'typeorm';

/** WeCom contacts and their binding to clients, binding codes, and inbound chat messages (issue 5). */
export class Contacts1795400500000 implements MigrationInterface {
  name = 'Contacts1795400500000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`wecom_contacts\` (\`contact_id\` varchar(64) NOT NULL, \`account_id\` varchar(64) NOT NULL, \`client_id\` int UNSIGNED NULL, \`name_enc\` varbinary(512) NULL, \`auto_match\` tinyint NOT NULL DEFAULT 1, \`bound_by\` enum ('code', 'match', 'staff') NULL, \`bound_by_staff_id\` int UNSIGNED NULL, \`bound_at\` datetime(3) NULL, \`last_seen_at\` datetime(3) NOT NULL, \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), \`updated_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), UNIQUE INDEX \`uq_wecom_contacts_client\` (\`client_id\`), INDEX \`ix_wecom_contacts_seen\` (\`last_seen_at\`), PRIMARY KEY (\`contact_id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`wecom_binding_codes\` (\`client_id\` int UNSIGNED NOT NULL, \`code\` char(6) NOT NULL, \`expires_at\` datetime(3) NOT NULL, \`created_at\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_wecom_binding_codes_code\` (\`code\`), PRIMARY KEY (\`client_id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`inbound_messages\` (\`id\` bigint UNSIGNED NOT NULL AUTO_INCREMENT, \`public_id\` char(22) NOT NULL, \`message_id\` varchar(128) NOT NULL, \`account_id\` varchar(64) NOT NULL, \`contact_id\` varchar(64) NOT NULL, \`client_id\` int UNSIGNED NULL, \`kind\` enum ('message', 'survey_reply') NOT NULL, \`msg_type\` varchar(16) NOT NULL, \`text_enc\` blob NULL, \`score\` tinyint UNSIGNED NULL, \`received_at\` datetime(3) NOT NULL, \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), UNIQUE INDEX \`uq_inbound_messages_public_id\` (\`public_id\`), UNIQUE INDEX \`uq_inbound_messages_message\` (\`message_id\`), INDEX \`ix_inbound_messages_client\` (\`client_id\`, \`id\`), INDEX \`ix_inbound_messages_contact\` (\`contact_id\`, \`id\`), INDEX \`ix_inbound_messages_kind\` (\`kind\`, \`received_at\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `inbound_messages`');
    await queryRunner.query('DROP TABLE `wecom_binding_codes`');
    await queryRunner.query('DROP TABLE `wecom_contacts`');
  }
}
