import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A project's own repurchase offset: how many days before its effect ends the reminder comes
 * (DOMAIN.md: remind one month before it ends). NULL keeps the hospital's CARE_REPURCHASE_LEAD_DAYS.
 */
export class ProjectRepurchaseLead1795675000000 implements MigrationInterface {
  name = 'ProjectRepurchaseLead1795675000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE `projects` ADD `repurchase_lead_days` smallint UNSIGNED NULL AFTER `effect_duration_days`');
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE `projects` DROP COLUMN `repurchase_lead_days`');
  }
}
