import { MigrationInterface, QueryRunner } from "typeorm";

export class Referrals1795400100000 implements MigrationInterface {
    name = 'Referrals1795400100000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE \`referral_bindings\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`referrer_id\` int UNSIGNED NOT NULL, \`referee_id\` int UNSIGNED NOT NULL, \`code\` char(8) NOT NULL, \`openid_bidx\` char(64) NOT NULL, \`unionid_bidx\` char(64) NULL, \`phone_bidx\` char(64) NULL, \`status\` enum ('active', 'void') NOT NULL DEFAULT 'active', \`void_reason\` varchar(32) NULL, \`created_at\` datetime(3) NOT NULL, \`voided_at\` datetime(3) NULL, UNIQUE INDEX \`uq_referral_bindings_referee\` (\`referee_id\`), UNIQUE INDEX \`uq_referral_bindings_openid\` (\`openid_bidx\`), UNIQUE INDEX \`uq_referral_bindings_unionid\` (\`unionid_bidx\`), UNIQUE INDEX \`uq_referral_bindings_phone\` (\`phone_bidx\`), INDEX \`ix_referral_bindings_referrer\` (\`referrer_id\`, \`id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`referral_rewards\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`referrer_id\` int UNSIGNED NOT NULL, \`referee_id\` int UNSIGNED NOT NULL, \`binding_id\` int UNSIGNED NOT NULL, \`order_id\` int UNSIGNED NOT NULL, \`order_no\` varchar(64) NOT NULL, \`amount_paid_fen\` int UNSIGNED NOT NULL, \`refunded_fen\` int UNSIGNED NOT NULL DEFAULT '0', \`rate_bp\` int UNSIGNED NOT NULL, \`cashback_fen\` int UNSIGNED NOT NULL, \`clawed_fen\` int UNSIGNED NOT NULL DEFAULT '0', \`conversion\` tinyint NOT NULL DEFAULT 0, \`referrer_points\` int UNSIGNED NOT NULL DEFAULT '0', \`referee_points\` int UNSIGNED NOT NULL DEFAULT '0', \`referrer_points_shortfall\` int UNSIGNED NOT NULL DEFAULT '0', \`referee_points_shortfall\` int UNSIGNED NOT NULL DEFAULT '0', \`status\` enum ('held', 'released', 'cancelled', 'clawed_back') NOT NULL DEFAULT 'held', \`period_month\` char(7) NOT NULL, \`period_quarter\` char(7) NOT NULL, \`paid_at\` datetime(3) NOT NULL, \`hold_until\` datetime(3) NOT NULL, \`released_at\` datetime(3) NULL, \`cancelled_at\` datetime(3) NULL, \`clawed_back_at\` datetime(3) NULL, \`lb_pending\` tinyint NOT NULL DEFAULT 0, \`created_at\` datetime(3) NOT NULL, \`updated_at\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_referral_rewards_order\` (\`order_id\`), INDEX \`ix_referral_rewards_due\` (\`status\`, \`hold_until\`), INDEX \`ix_referral_rewards_referrer_month\` (\`referrer_id\`, \`conversion\`, \`period_month\`), INDEX \`ix_referral_rewards_referrer_quarter\` (\`referrer_id\`, \`conversion\`, \`period_quarter\`), INDEX \`ix_referral_rewards_month\` (\`period_month\`, \`conversion\`), INDEX \`ix_referral_rewards_quarter\` (\`period_quarter\`, \`conversion\`), INDEX \`ix_referral_rewards_referee\` (\`referee_id\`, \`conversion\`), INDEX \`ix_referral_rewards_lb_pending\` (\`lb_pending\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`cashback_accounts\` (\`client_id\` int UNSIGNED NOT NULL, \`balance_fen\` int NOT NULL, \`version\` int UNSIGNED NOT NULL DEFAULT '0', \`updated_at\` datetime(3) NOT NULL, PRIMARY KEY (\`client_id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`cashback_entries\` (\`id\` bigint UNSIGNED NOT NULL AUTO_INCREMENT, \`client_id\` int UNSIGNED NOT NULL, \`delta_fen\` int NOT NULL, \`reason\` varchar(24) NOT NULL, \`reward_id\` int UNSIGNED NULL, \`idempotency_key\` varchar(128) NOT NULL, \`balance_after_fen\` int NOT NULL, \`created_at\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_cashback_entries_key\` (\`client_id\`, \`idempotency_key\`), INDEX \`ix_cashback_entries_client\` (\`client_id\`, \`id\`), INDEX \`ix_cashback_entries_reward\` (\`reward_id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX \`ix_cashback_entries_reward\` ON \`cashback_entries\``);
        await queryRunner.query(`DROP INDEX \`ix_cashback_entries_client\` ON \`cashback_entries\``);
        await queryRunner.query(`DROP INDEX \`uq_cashback_entries_key\` ON \`cashback_entries\``);
        await queryRunner.query(`DROP TABLE \`cashback_entries\``);
        await queryRunner.query(`DROP TABLE \`cashback_accounts\``);
        await queryRunner.query(`DROP INDEX \`ix_referral_rewards_lb_pending\` ON \`referral_rewards\``);
        await queryRunner.query(`DROP INDEX \`ix_referral_rewards_referee\` ON \`referral_rewards\``);
        await queryRunner.query(`DROP INDEX \`ix_referral_rewards_quarter\` ON \`referral_rewards\``);
        await queryRunner.query(`DROP INDEX \`ix_referral_rewards_month\` ON \`referral_rewards\``);
        await queryRunner.query(`DROP INDEX \`ix_referral_rewards_referrer_quarter\` ON \`referral_rewards\``);
        await queryRunner.query(`DROP INDEX \`ix_referral_rewards_referrer_month\` ON \`referral_rewards\``);
        await queryRunner.query(`DROP INDEX \`ix_referral_rewards_due\` ON \`referral_rewards\``);
        await queryRunner.query(`DROP INDEX \`uq_referral_rewards_order\` ON \`referral_rewards\``);
        await queryRunner.query(`DROP TABLE \`referral_rewards\``);
        await queryRunner.query(`DROP INDEX \`ix_referral_bindings_referrer\` ON \`referral_bindings\``);
        await queryRunner.query(`DROP INDEX \`uq_referral_bindings_phone\` ON \`referral_bindings\``);
        await queryRunner.query(`DROP INDEX \`uq_referral_bindings_unionid\` ON \`referral_bindings\``);
        await queryRunner.query(`DROP INDEX \`uq_referral_bindings_openid\` ON \`referral_bindings\``);
        await queryRunner.query(`DROP INDEX \`uq_referral_bindings_referee\` ON \`referral_bindings\``);
        await queryRunner.query(`DROP TABLE \`referral_bindings\``);
    }

}
