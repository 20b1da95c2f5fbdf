import { MigrationInterface, QueryRunner } from 'typeorm';

/** The hourly exports purge reads expired exports by expires_at: an index instead of a full scan. */
export class DataExportsExpiresIndex1795401400000 implements MigrationInterface {
  name = 'DataExportsExpiresIndex1795401400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE INDEX `ix_data_exports_expires` ON `data_exports` (`expires_at`)');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX `ix_data_exports_expires` ON `data_exports`');
  }
}
