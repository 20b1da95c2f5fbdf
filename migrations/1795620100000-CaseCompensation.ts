import { MigrationInterface, QueryRunner } from 'typeorm';

/** What a supervisor gave when resolving a case (DOMAIN.md: poor ratings → a supervisor's remedy): a voucher or a free review appointment. */
export class CaseCompensation1795620100000 implements MigrationInterface {
  name = 'CaseCompensation1795620100000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE \`feedback_cases\`
      ADD \`compensation_kind\` enum('voucher', 'review_appointment') NULL,
      ADD \`compensation_rule\` varchar(32) NULL,
      ADD \`compensation_ref\` char(22) NULL,
      ADD INDEX \`ix_feedback_cases_resolved\` (\`resolved_at\`)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE `feedback_cases` DROP INDEX `ix_feedback_cases_resolved`, DROP `compensation_kind`, DROP `compensation_rule`, DROP `compensation_ref`');
  }
}
