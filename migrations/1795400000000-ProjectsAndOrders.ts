import { MigrationInterface, QueryRunner } from "typeorm";

// The default project catalog (issue 4): fixed public ids so a re-run or a down/up keeps them stable.
const SEED = `('CQX3a8KwB3Gy7HQNZGZvTg', 'photorejuvenation', '光子嫩肤', 'skin', 128000, 'skin', NULL),
 ('PyQf0IZN04uGqNciDyz9mA', 'hyaluronic_filler', '玻尿酸填充', 'light', 480000, 'face', 180),
 ('CoY2JS1I4-drWWEGfv6LNw', 'botulinum', '肉毒素除皱', 'light', 298000, 'face', 120),
 ('mU912sP_Wy6xLRJHC2ZXbA', 'skin_booster', '水光针', 'light', 168000, 'skin', 90),
 ('SD5td6JKjgXZPXVVz5gDBw', 'rhinoplasty', '隆鼻', 'surgery', 2800000, 'nose', NULL),
 ('TDbn6pGN8vhyyVTskYfOYw', 'blepharoplasty', '双眼皮', 'surgery', 1280000, 'eyes', NULL),
 ('pKUD7XvKJbFFbnp4Qka_Pg', 'liposuction', '吸脂', 'surgery', 2680000, 'body', NULL),
 ('Q7R2AGXnSNMKdd4JSIf6hw', 'facial_contouring', '面部轮廓', 'surgery', 5800000, 'face', NULL)`;
const SEED_IDS = `'CQX3a8KwB3Gy7HQNZGZvTg', 'PyQf0IZN04uGqNciDyz9mA', 'CoY2JS1I4-drWWEGfv6LNw', 'mU912sP_Wy6xLRJHC2ZXbA', 'SD5td6JKjgXZPXVVz5gDBw', 'TDbn6pGN8vhyyVTskYfOYw', 'pKUD7XvKJbFFbnp4Qka_Pg', 'Q7R2AGXnSNMKdd4JSIf6hw'`;

export class ProjectsAndOrders1795400000000 implements MigrationInterface {
    name = 'ProjectsAndOrders1795400000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE \`projects\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`public_id\` char(22) NOT NULL, \`code\` varchar(32) NOT NULL, \`name\` varchar(64) NOT NULL, \`category\` enum ('skin', 'light', 'surgery') NOT NULL, \`list_price_fen\` int UNSIGNED NOT NULL, \`body_area\` varchar(24) NOT NULL, \`effect_duration_days\` int UNSIGNED NULL, \`followup_plan\` varchar(24) NULL, \`active\` tinyint NOT NULL DEFAULT 1, \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), \`updated_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), UNIQUE INDEX \`uq_projects_public_id\` (\`public_id\`), UNIQUE INDEX \`uq_projects_code\` (\`code\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`orders\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`public_id\` char(22) NOT NULL, \`order_no\` varchar(64) NOT NULL, \`request_hash\` char(64) NOT NULL, \`client_id\` int UNSIGNED NOT NULL, \`doctor_id\` int UNSIGNED NOT NULL, \`consultant_id\` int UNSIGNED NULL, \`paid_at\` datetime(3) NOT NULL, \`amount_paid_fen\` int UNSIGNED NOT NULL, \`amount_refunded_fen\` int UNSIGNED NOT NULL DEFAULT '0', \`points_earned\` int UNSIGNED NOT NULL DEFAULT '0', \`status\` enum ('paid', 'partially_refunded', 'refunded', 'voided') NOT NULL DEFAULT 'paid', \`recorded_by\` int UNSIGNED NULL, \`created_at\` datetime(3) NOT NULL, \`updated_at\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_orders_public_id\` (\`public_id\`), UNIQUE INDEX \`uq_orders_order_no\` (\`order_no\`), INDEX \`ix_orders_doctor\` (\`doctor_id\`), INDEX \`ix_orders_client\` (\`client_id\`, \`paid_at\`), INDEX \`ix_orders_paid_at\` (\`paid_at\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`order_items\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`order_id\` int UNSIGNED NOT NULL, \`project_id\` int UNSIGNED NOT NULL, \`category\` enum ('skin', 'light', 'surgery') NOT NULL, \`amount_fen\` int UNSIGNED NOT NULL, INDEX \`ix_order_items_order\` (\`order_id\`), INDEX \`ix_order_items_project\` (\`project_id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`order_refunds\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`public_id\` char(22) NOT NULL, \`order_id\` int UNSIGNED NOT NULL, \`refund_no\` varchar(64) NOT NULL, \`kind\` enum ('refund', 'void') NOT NULL, \`amount_fen\` int UNSIGNED NOT NULL, \`reason\` varchar(255) NOT NULL, \`points_debited\` int UNSIGNED NOT NULL DEFAULT '0', \`points_shortfall\` int UNSIGNED NOT NULL DEFAULT '0', \`recorded_by\` int UNSIGNED NULL, \`created_at\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_order_refunds_public_id\` (\`public_id\`), INDEX \`ix_order_refunds_order\` (\`order_id\`), UNIQUE INDEX \`uq_order_refunds_refund_no\` (\`refund_no\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`INSERT INTO \`projects\` (\`public_id\`, \`code\`, \`name\`, \`category\`, \`list_price_fen\`, \`body_area\`, \`effect_duration_days\`) VALUES ${SEED}`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DELETE FROM \`projects\` WHERE \`public_id\` IN (${SEED_IDS})`);
        await queryRunner.query(`DROP INDEX \`uq_order_refunds_refund_no\` ON \`order_refunds\``);
        await queryRunner.query(`DROP INDEX \`ix_order_refunds_order\` ON \`order_refunds\``);
        await queryRunner.query(`DROP INDEX \`uq_order_refunds_public_id\` ON \`order_refunds\``);
        await queryRunner.query(`DROP TABLE \`order_refunds\``);
        await queryRunner.query(`DROP INDEX \`ix_order_items_project\` ON \`order_items\``);
        await queryRunner.query(`DROP INDEX \`ix_order_items_order\` ON \`order_items\``);
        await queryRunner.query(`DROP TABLE \`order_items\``);
        await queryRunner.query(`DROP INDEX \`ix_orders_paid_at\` ON \`orders\``);
        await queryRunner.query(`DROP INDEX \`ix_orders_client\` ON \`orders\``);
        await queryRunner.query(`DROP INDEX \`ix_orders_doctor\` ON \`orders\``);
        await queryRunner.query(`DROP INDEX \`uq_orders_order_no\` ON \`orders\``);
        await queryRunner.query(`DROP INDEX \`uq_orders_public_id\` ON \`orders\``);
        await queryRunner.query(`DROP TABLE \`orders\``);
        await queryRunner.query(`DROP INDEX \`uq_projects_code\` ON \`projects\``);
        await queryRunner.query(`DROP INDEX \`uq_projects_public_id\` ON \`projects\``);
        await queryRunner.query(`DROP TABLE \`projects\``);
    }

}
