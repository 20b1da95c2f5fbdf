import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * WeCom's official API: callback events recorded once (unique on the event's natural key) and
 * processed from the table; the relations between staff members and external contacts those
 * events describe; which WeCom userid is which staff member.
 */
export class WeComCallbacks1795570000000 implements MigrationInterface {
  name = 'WeComCallbacks1795570000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`wecom_callback_events\` (
      \`id\` bigint unsigned NOT NULL AUTO_INCREMENT,
      \`event_key\` char(64) NOT NULL,
      \`event\` varchar(64) NOT NULL,
      \`change_type\` varchar(64) NULL,
      \`create_time\` datetime(3) NOT NULL,
      \`fields\` json NOT NULL,
      \`status\` enum ('pending', 'processing', 'done', 'skipped', 'failed') NOT NULL DEFAULT 'pending',
      \`outcome\` varchar(64) NULL,
      \`attempts\` smallint unsigned NOT NULL DEFAULT 0,
      \`next_attempt_at\` datetime(3) NOT NULL,
      \`lease_until\` datetime(3) NULL,
      \`last_error\` varchar(255) NULL,
      \`received_at\` datetime(3) NOT NULL,
      \`processed_at\` datetime(3) NULL,
      UNIQUE INDEX \`uq_wecom_callback_events_key\` (\`event_key\`),
      INDEX \`ix_wecom_callback_events_due\` (\`status\`, \`next_attempt_at\`),
      INDEX \`ix_wecom_callback_events_received\` (\`received_at\`),
      PRIMARY KEY (\`id\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`wecom_external_contacts\` (
      \`external_userid\` varchar(64) NOT NULL,
      \`userid\` varchar(64) NOT NULL,
      \`staff_id\` int unsigned NULL,
      \`client_id\` int unsigned NULL,
      \`state\` varchar(30) NULL,
      \`status\` enum ('active', 'deleted_by_staff', 'deleted_by_client') NOT NULL,
      \`added_at\` datetime(3) NULL,
      \`last_event_at\` datetime(3) NOT NULL,
      \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      \`updated_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      INDEX \`ix_wecom_external_contacts_client\` (\`client_id\`),
      INDEX \`ix_wecom_external_contacts_staff\` (\`staff_id\`, \`status\`),
      INDEX \`ix_wecom_external_contacts_state\` (\`state\`),
      PRIMARY KEY (\`external_userid\`, \`userid\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`wecom_staff_users\` (
      \`userid\` varchar(64) NOT NULL,
      \`staff_id\` int unsigned NOT NULL,
      \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      UNIQUE INDEX \`uq_wecom_staff_users_staff\` (\`staff_id\`),
      PRIMARY KEY (\`userid\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `wecom_staff_users`');
    await queryRunner.query('DROP TABLE `wecom_external_contacts`');
    await queryRunner.query('DROP TABLE `wecom_callback_events`');
  }
}
