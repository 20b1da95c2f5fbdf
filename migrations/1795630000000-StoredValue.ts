import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The stored-value balance 储值 (released referral cashback) with its own ledger, and the cashback a
 * clawback could not take back from it (a stored-value balance never goes negative).
 */
export class StoredValue1795630000000 implements MigrationInterface {
  name = 'StoredValue1795630000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE \`wallet_accounts\` (
        \`client_id\` int unsigned NOT NULL,
        \`balance_fen\` int NOT NULL,
        \`version\` int unsigned NOT NULL DEFAULT '0',
        \`updated_at\` datetime(3) NOT NULL,
        PRIMARY KEY (\`client_id\`)
      ) ENGINE=InnoDB`,
    );
    await queryRunner.query(
      `CREATE TABLE \`wallet_entries\` (
        \`id\` bigint unsigned NOT NULL AUTO_INCREMENT,
        \`client_id\` int unsigned NOT NULL,
        \`delta_fen\` int NOT NULL,
        \`reason\` varchar(24) NOT NULL,
        \`reference\` varchar(128) NULL,
        \`order_id\` int unsigned NULL,
        \`idempotency_key\` varchar(128) NOT NULL,
        \`request_hash\` char(64) NOT NULL,
        \`balance_after_fen\` int NOT NULL,
        \`actor_type\` varchar(8) NOT NULL,
        \`actor_id\` int unsigned NULL,
        \`created_at\` datetime(3) NOT NULL,
        UNIQUE INDEX \`uq_wallet_entries_key\` (\`client_id\`, \`idempotency_key\`),
        INDEX \`ix_wallet_entries_client\` (\`client_id\`, \`id\`),
        INDEX \`ix_wallet_entries_order\` (\`order_id\`, \`reason\`),
        PRIMARY KEY (\`id\`)
      ) ENGINE=InnoDB`,
    );
    await queryRunner.query("ALTER TABLE `referral_rewards` ADD `cashback_shortfall_fen` int unsigned NOT NULL DEFAULT '0'");
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `referral_rewards` DROP COLUMN `cashback_shortfall_fen`');
    await queryRunner.query('DROP TABLE `wallet_entries`');
    await queryRunner.query('DROP TABLE `wallet_accounts`');
  }
}
