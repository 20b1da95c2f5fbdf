import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An import job's heartbeat: the process running it stamps it while it works, so a job whose
 * process died (stamp gone stale) is found and marked failed, to be started again; the index also
 * serves the sweep that purges the stored files of finished or abandoned imports.
 */
export class ImportHeartbeat1795770000000 implements MigrationInterface {
  name = 'ImportHeartbeat1795770000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE `import_jobs` ADD `heartbeat_at` datetime(3) NULL, ADD INDEX `ix_import_jobs_status` (`status`, `heartbeat_at`)');
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE `import_jobs` DROP INDEX `ix_import_jobs_status`, DROP COLUMN `heartbeat_at`');
  }
}
