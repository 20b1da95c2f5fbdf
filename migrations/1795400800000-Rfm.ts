import { MigrationInterface, QueryRunner } from 'typeorm';

/** RFM figures per client and the dormant-client actions taken (issue 5, item 7). */
export class Rfm1795400800000 implements MigrationInterface {
  name = 'Rfm1795400800000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`client_rfm\` (\`client_id\` int UNSIGNED NOT NULL, \`last_paid_at\` datetime(3) NULL, \`last_order_id\` int UNSIGNED NULL, \`orders_quarter\` int UNSIGNED NOT NULL DEFAULT '0', \`orders_year\` int UNSIGNED NOT NULL DEFAULT '0', \`spend_year_fen\` bigint UNSIGNED NOT NULL DEFAULT '0', \`r_score\` tinyint UNSIGNED NOT NULL, \`f_score\` tinyint UNSIGNED NOT NULL, \`m_score\` tinyint UNSIGNED NOT NULL, \`segment\` varchar(16) NOT NULL, \`tagged_segment\` varchar(16) NULL, \`computed_at\` datetime(3) NOT NULL, INDEX \`ix_client_rfm_segment\` (\`segment\`), PRIMARY KEY (\`client_id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`dormant_actions\` (\`id\` bigint UNSIGNED NOT NULL AUTO_INCREMENT, \`client_id\` int UNSIGNED NOT NULL, \`tier\` varchar(16) NOT NULL, \`anchor_order_id\` int UNSIGNED NOT NULL, \`at\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_dormant_actions\` (\`client_id\`, \`tier\`, \`anchor_order_id\`), INDEX \`ix_dormant_actions_at\` (\`at\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `dormant_actions`');
    await queryRunner.query('DROP TABLE `client_rfm`');
  }
}
