import { MigrationInterface, QueryRunner } from 'typeorm';

/** Spreadsheet imports: jobs (progress, report), the uploaded file in encrypted chunks, and source-id links for idempotency. */
export class Imports1795660000000 implements MigrationInterface {
  name = 'Imports1795660000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`import_jobs\` (
      \`id\` int unsigned NOT NULL AUTO_INCREMENT,
      \`public_id\` char(22) NOT NULL,
      \`kind\` enum('clients','orders','treatments') NOT NULL,
      \`source_system\` varchar(32) NOT NULL,
      \`filename\` varchar(255) NOT NULL,
      \`format\` enum('xlsx','csv') NOT NULL,
      \`size_bytes\` int unsigned NOT NULL,
      \`status\` enum('uploaded','checking','checked','running','done','failed') NOT NULL DEFAULT 'uploaded',
      \`headers\` json NOT NULL,
      \`mapping\` json NOT NULL,
      \`rows_total\` int unsigned NULL,
      \`rows_done\` int unsigned NOT NULL DEFAULT 0,
      \`counts\` json NULL,
      \`report_enc\` mediumblob NULL,
      \`created_by\` int unsigned NOT NULL,
      \`created_at\` datetime(3) NOT NULL,
      \`finished_at\` datetime(3) NULL,
      UNIQUE INDEX \`uq_import_jobs_public_id\` (\`public_id\`),
      PRIMARY KEY (\`id\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`import_file_chunks\` (
      \`job_id\` int unsigned NOT NULL,
      \`seq\` int unsigned NOT NULL,
      \`data_enc\` mediumblob NOT NULL,
      PRIMARY KEY (\`job_id\`, \`seq\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`import_links\` (
      \`source_system\` varchar(32) NOT NULL,
      \`kind\` enum('clients','orders','treatments') NOT NULL,
      \`source_id\` varchar(64) NOT NULL,
      \`target_id\` int unsigned NOT NULL,
      \`job_id\` int unsigned NULL,
      \`created_at\` datetime(3) NOT NULL,
      INDEX \`ix_import_links_target\` (\`kind\`, \`target_id\`),
      PRIMARY KEY (\`source_system\`, \`kind\`, \`source_id\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `import_links`');
    await queryRunner.query('DROP TABLE `import_file_chunks`');
    await queryRunner.query('DROP TABLE `import_jobs`');
  }
}
