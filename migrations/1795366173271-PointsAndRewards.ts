import { MigrationInterface, QueryRunner } from "typeorm";

export class PointsAndRewards1795366173271 implements MigrationInterface {
    name = 'PointsAndRewards1795366173271'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE \`points_accounts\` (\`client_id\` int UNSIGNED NOT NULL, \`balance\` int NOT NULL, \`version\` int UNSIGNED NOT NULL DEFAULT '0', \`updated_at\` datetime(3) NOT NULL, PRIMARY KEY (\`client_id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`points_entries\` (\`id\` bigint UNSIGNED NOT NULL AUTO_INCREMENT, \`client_id\` int UNSIGNED NOT NULL, \`delta\` int NOT NULL, \`reason\` varchar(24) NOT NULL, \`reference\` varchar(128) NULL, \`idempotency_key\` varchar(128) NOT NULL, \`request_hash\` char(64) NOT NULL, \`balance_after\` int NOT NULL, \`expires_at\` datetime(3) NULL, \`remaining\` int NOT NULL DEFAULT '0', \`actor_type\` varchar(8) NOT NULL, \`actor_id\` int UNSIGNED NULL, \`created_at\` datetime(3) NOT NULL, INDEX \`ix_points_entries_expiry\` (\`expires_at\`, \`remaining\`), INDEX \`ix_points_entries_lots\` (\`client_id\`, \`remaining\`, \`expires_at\`), INDEX \`ix_points_entries_client\` (\`client_id\`, \`id\`), UNIQUE INDEX \`uq_points_entries_key\` (\`client_id\`, \`idempotency_key\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`reward_items\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`public_id\` char(22) NOT NULL, \`kind\` enum ('project_voucher', 'care_product', 'salon_seat') NOT NULL, \`title\` varchar(64) NOT NULL, \`description\` varchar(1000) NOT NULL DEFAULT '', \`points_price\` int UNSIGNED NOT NULL, \`stock\` int UNSIGNED NOT NULL, \`per_client_limit\` int UNSIGNED NULL, \`valid_from\` datetime(3) NULL, \`valid_to\` datetime(3) NULL, \`active\` tinyint NOT NULL DEFAULT 1, \`created_at\` datetime(3) NOT NULL, \`updated_at\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_reward_items_public_id\` (\`public_id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`vouchers\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`public_id\` char(22) NOT NULL, \`client_id\` int UNSIGNED NOT NULL, \`item_id\` int UNSIGNED NOT NULL, \`points\` int UNSIGNED NOT NULL, \`code\` char(10) NOT NULL, \`status\` enum ('issued', 'used', 'cancelled', 'expired') NOT NULL DEFAULT 'issued', \`idempotency_key\` varchar(64) NOT NULL, \`expires_at\` datetime(3) NOT NULL, \`used_at\` datetime(3) NULL, \`used_by_staff_id\` int UNSIGNED NULL, \`cancelled_at\` datetime(3) NULL, \`created_at\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_vouchers_public_id\` (\`public_id\`), UNIQUE INDEX \`uq_vouchers_code\` (\`code\`), INDEX \`ix_vouchers_client_item\` (\`client_id\`, \`item_id\`, \`status\`), UNIQUE INDEX \`uq_vouchers_request\` (\`client_id\`, \`idempotency_key\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX \`uq_vouchers_request\` ON \`vouchers\``);
        await queryRunner.query(`DROP INDEX \`ix_vouchers_client_item\` ON \`vouchers\``);
        await queryRunner.query(`DROP INDEX \`uq_vouchers_code\` ON \`vouchers\``);
        await queryRunner.query(`DROP INDEX \`uq_vouchers_public_id\` ON \`vouchers\``);
        await queryRunner.query(`DROP TABLE \`vouchers\``);
        await queryRunner.query(`DROP INDEX \`uq_reward_items_public_id\` ON \`reward_items\``);
        await queryRunner.query(`DROP TABLE \`reward_items\``);
        await queryRunner.query(`DROP INDEX \`uq_points_entries_key\` ON \`points_entries\``);
        await queryRunner.query(`DROP INDEX \`ix_points_entries_client\` ON \`points_entries\``);
        await queryRunner.query(`DROP INDEX \`ix_points_entries_lots\` ON \`points_entries\``);
        await queryRunner.query(`DROP INDEX \`ix_points_entries_expiry\` ON \`points_entries\``);
        await queryRunner.query(`DROP TABLE \`points_entries\``);
        await queryRunner.query(`DROP TABLE \`points_accounts\``);
    }

}
