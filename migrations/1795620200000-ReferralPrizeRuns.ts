import { MigrationInterface, QueryRunner } from 'typeorm';

/** One row per leaderboard period whose prizes were issued: its primary key makes the award once per period, whichever scheduler gets there. */
export class ReferralPrizeRuns1795620200000 implements MigrationInterface {
  name = 'ReferralPrizeRuns1795620200000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE \`referral_prize_runs\` (
      \`period\` varchar(8) NOT NULL,
      \`period_key\` char(7) NOT NULL,
      \`top_n\` smallint unsigned NOT NULL,
      \`winners\` int unsigned NOT NULL,
      \`awarded_at\` datetime(3) NOT NULL,
      PRIMARY KEY (\`period\`, \`period_key\`)
    ) ENGINE=InnoDB`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE `referral_prize_runs`');
  }
}
