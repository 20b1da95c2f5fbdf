import { MigrationInterface, QueryRunner } from 'typeorm';

/** The director's monthly summary: one row per month and director, so a second scheduler sends nothing twice. */
export class ReportSummaries1795650100000 implements MigrationInterface {
  name = 'ReportSummaries1795650100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`report_summaries\` (
      \`id\` int unsigned NOT NULL AUTO_INCREMENT,
      \`month\` char(7) NOT NULL,
      \`staff_id\` int unsigned NOT NULL,
      \`status\` varchar(12) NOT NULL,
      \`title\` varchar(128) NOT NULL,
      \`description\` varchar(512) NOT NULL,
      \`path\` varchar(128) NOT NULL,
      \`attempts\` int NOT NULL DEFAULT 0,
      \`claimed_at\` datetime(3) NULL,
      \`sent_at\` datetime(3) NULL,
      \`created_at\` datetime(3) NOT NULL,
      UNIQUE INDEX \`uq_report_summaries_month_staff\` (\`month\`, \`staff_id\`),
      INDEX \`ix_report_summaries_status\` (\`status\`, \`month\`),
      PRIMARY KEY (\`id\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `report_summaries`');
  }
}
