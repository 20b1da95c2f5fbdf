import { MigrationInterface, QueryRunner } from 'typeorm';

/** The doctor's advice for the next session, written with the treatment; the repurchase reminder carries it. Encrypted (health data). */
export class TreatmentAdvice1795580200000 implements MigrationInterface {
  name = 'TreatmentAdvice1795580200000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE `treatments` ADD `advice_enc` varbinary(1024) NULL');
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE `treatments` DROP COLUMN `advice_enc`');
  }
}
