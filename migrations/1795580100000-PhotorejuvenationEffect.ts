import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * 光子嫩肤 shipped without an effect duration, so its repurchase reminder never fired. Its effect
 * lasts about three months (a maintenance session every 1–3 months): 90 days, the reminder a
 * month before. Only the default row, and only where nobody has set a duration since.
 */
export class PhotorejuvenationEffect1795580100000 implements MigrationInterface {
  name = 'PhotorejuvenationEffect1795580100000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query("UPDATE projects SET effect_duration_days = 90 WHERE code = 'photorejuvenation' AND effect_duration_days IS NULL");
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query("UPDATE projects SET effect_duration_days = NULL WHERE code = 'photorejuvenation' AND effect_duration_days = 90");
  }
}
