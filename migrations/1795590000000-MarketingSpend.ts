import { MigrationInterface, QueryRunner } from 'typeorm';

/** Marketing spend per channel and month 投放: append-only, corrections are rows that point at their entry. */
export class MarketingSpend1795590000000 implements MigrationInterface {
  name = 'MarketingSpend1795590000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`marketing_spend\` (
      \`id\` int unsigned NOT NULL AUTO_INCREMENT,
      \`public_id\` char(22) NOT NULL,
      \`channel\` varchar(64) NOT NULL,
      \`month\` char(7) NOT NULL,
      \`campaign\` varchar(128) NULL,
      \`amount_fen\` bigint NOT NULL,
      \`corrects_id\` int unsigned NULL,
      \`note\` varchar(200) NULL,
      \`recorded_by\` int unsigned NOT NULL,
      \`created_at\` datetime(3) NOT NULL,
      UNIQUE INDEX \`uq_marketing_spend_public_id\` (\`public_id\`),
      INDEX \`ix_marketing_spend_month\` (\`month\`, \`channel\`),
      INDEX \`ix_marketing_spend_corrects\` (\`corrects_id\`),
      PRIMARY KEY (\`id\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `marketing_spend`');
  }
}
