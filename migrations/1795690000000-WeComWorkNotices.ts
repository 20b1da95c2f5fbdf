import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Staff work notices through the WeCom app: where each work table was last read (one watermark per
 * kind) and one row per (item, staff member) — the unique key makes two schedulers notify once;
 * a row is sent (or found unreachable) once, and a deferred row waits for the next run.
 */
export class WeComWorkNotices1795690000000 implements MigrationInterface {
  name = 'WeComWorkNotices1795690000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE \`wecom_notice_marks\` (
      \`kind\` varchar(16) NOT NULL,
      \`last_id\` bigint UNSIGNED NOT NULL,
      PRIMARY KEY (\`kind\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE \`wecom_work_notices\` (
      \`id\` bigint UNSIGNED NOT NULL AUTO_INCREMENT,
      \`item_key\` varchar(64) NOT NULL,
      \`kind\` varchar(16) NOT NULL,
      \`staff_id\` int UNSIGNED NOT NULL,
      \`created_at\` datetime(3) NOT NULL,
      \`claim\` char(36) NULL,
      \`claimed_at\` datetime(3) NULL,
      \`sent_at\` datetime(3) NULL,
      \`outcome\` varchar(16) NULL,
      PRIMARY KEY (\`id\`),
      UNIQUE KEY \`uq_wecom_work_notice\` (\`item_key\`, \`staff_id\`),
      KEY \`idx_wecom_work_notice_due\` (\`sent_at\`, \`id\`),
      KEY \`idx_wecom_work_notice_claim\` (\`claim\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE `wecom_work_notices`');
    await q.query('DROP TABLE `wecom_notice_marks`');
  }
}
