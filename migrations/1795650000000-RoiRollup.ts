import { MigrationInterface, QueryRunner } from 'typeorm';
import { rebuildRoiRollup } from '../src/modules/marketing';

/**
 * The channel ROI rollup: the last-touch channel stored on each order when it is paid, and per
 * attribution, Shanghai month and channel the revenue, paying and new paying clients, kept by the
 * order paths; backfilled here from the orders (a year of a million orders: the report read them
 * all on every look).
 */
export class RoiRollup1795650000000 implements MigrationInterface {
  name = 'RoiRollup1795650000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `orders` ADD `last_touch_channel` varchar(64) NULL');
    await queryRunner.query(`CREATE TABLE \`marketing_roi_months\` (
      \`attribution\` varchar(5) NOT NULL,
      \`month\` char(7) NOT NULL,
      \`channel\` varchar(64) NOT NULL,
      \`revenue_fen\` bigint NOT NULL DEFAULT 0,
      \`paying_clients\` int NOT NULL DEFAULT 0,
      \`new_paying_clients\` int NOT NULL DEFAULT 0,
      PRIMARY KEY (\`attribution\`, \`month\`, \`channel\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`marketing_roi_client_months\` (
      \`attribution\` varchar(5) NOT NULL,
      \`month\` char(7) NOT NULL,
      \`channel\` varchar(64) NOT NULL,
      \`client_id\` int unsigned NOT NULL,
      \`net_fen\` bigint NOT NULL DEFAULT 0,
      \`valuable_orders\` int NOT NULL DEFAULT 0,
      INDEX \`ix_marketing_roi_client_months_client\` (\`client_id\`, \`attribution\`, \`month\`),
      INDEX \`ix_marketing_roi_client_months_channel\` (\`attribution\`, \`channel\`, \`client_id\`, \`month\`, \`valuable_orders\`),
      PRIMARY KEY (\`attribution\`, \`month\`, \`channel\`, \`client_id\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`marketing_roi_clients\` (
      \`client_id\` int unsigned NOT NULL,
      \`first_paid_at\` datetime(3) NULL,
      \`first_month\` char(7) NULL,
      \`first_channel\` varchar(64) NULL,
      \`last_channel\` varchar(64) NULL,
      PRIMARY KEY (\`client_id\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await rebuildRoiRollup(queryRunner.manager);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `marketing_roi_clients`');
    await queryRunner.query('DROP TABLE `marketing_roi_client_months`');
    await queryRunner.query('DROP TABLE `marketing_roi_months`');
    await queryRunner.query('ALTER TABLE `orders` DROP COLUMN `last_touch_channel`');
  }
}
