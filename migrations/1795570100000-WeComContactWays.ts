import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Contact-me codes 联系我: what each `state` means (a channel or campaign, or one client's one-tap
 * code from the mini-program), and the channel an external contact came through.
 */
export class WeComContactWays1795570100000 implements MigrationInterface {
  name = 'WeComContactWays1795570100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`wecom_contact_ways\` (
      \`id\` int unsigned NOT NULL AUTO_INCREMENT,
      \`public_id\` char(22) NOT NULL,
      \`config_id\` varchar(64) NOT NULL,
      \`state\` varchar(30) NOT NULL,
      \`kind\` enum ('channel', 'client') NOT NULL,
      \`label\` varchar(100) NULL,
      \`channel\` varchar(64) NULL,
      \`campaign\` varchar(128) NULL,
      \`userids\` json NOT NULL,
      \`client_id\` int unsigned NULL,
      \`qr_code\` varchar(512) NOT NULL,
      \`created_by\` int unsigned NULL,
      \`created_at\` datetime(3) NOT NULL,
      \`used_at\` datetime(3) NULL,
      \`deleted_at\` datetime(3) NULL,
      UNIQUE INDEX \`uq_wecom_contact_ways_public_id\` (\`public_id\`),
      UNIQUE INDEX \`uq_wecom_contact_ways_config\` (\`config_id\`),
      UNIQUE INDEX \`uq_wecom_contact_ways_state\` (\`state\`),
      INDEX \`ix_wecom_contact_ways_client\` (\`client_id\`, \`deleted_at\`),
      INDEX \`ix_wecom_contact_ways_kind\` (\`kind\`, \`deleted_at\`, \`created_at\`),
      PRIMARY KEY (\`id\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query('ALTER TABLE `wecom_external_contacts` ADD `channel` varchar(64) NULL, ADD `welcome` varchar(32) NULL, ADD `linked_by` varchar(16) NULL');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `wecom_external_contacts` DROP COLUMN `linked_by`, DROP COLUMN `welcome`, DROP COLUMN `channel`');
    await queryRunner.query('DROP TABLE `wecom_contact_ways`');
  }
}
