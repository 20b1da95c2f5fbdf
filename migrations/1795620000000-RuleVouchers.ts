import { MigrationInterface, QueryRunner } from 'typeorm';

// The benefits the rules promise (DOMAIN.md, points and referral: "a promise is a real benefit"), as
// editable defaults: kind, value, validity and usable projects per rule. Money in fen.
const RULES = `('care_3m', 'amount_off', '专属关怀礼代金券', 10000, NULL, NULL, NULL, NULL, 30),
 ('gift_6m', 'amount_off', '老客专属返场礼', 30000, NULL, NULL, NULL, NULL, 60),
 ('skin_test', 'free_service', '免费皮肤检测体验券', NULL, NULL, NULL, '皮肤检测', NULL, 60),
 ('birthday', 'percent_off', '生日特权折扣券', NULL, 20, 50000, NULL, NULL, 30),
 ('repurchase', 'percent_off', '复购限时优惠券', NULL, 10, 30000, NULL, NULL, 30),
 ('winback_amount', 'amount_off', '满意度回访补偿券', 20000, NULL, NULL, NULL, NULL, 90),
 ('winback_percent', 'percent_off', '满意度回访折扣券', NULL, 30, 100000, NULL, NULL, 90),
 ('winback_care', 'free_service', '免费术后护理体验券', NULL, NULL, NULL, '术后护理', NULL, 90),
 ('leaderboard_month', 'amount_off', '月度推荐榜奖励券', 50000, NULL, NULL, NULL, NULL, 90),
 ('leaderboard_quarter', 'gift', '季度推荐榜大奖', NULL, NULL, NULL, '季度推荐之星礼盒', NULL, 90)`;

/**
 * Vouchers issued by rules next to the points-mall ones, in the same table: one code space, one 核销
 * flow, one list for the client. A rule's voucher is keyed by (client, rule, period), unique, so a
 * rerun or a second scheduler issues nothing twice.
 */
export class RuleVouchers1795620000000 implements MigrationInterface {
  name = 'RuleVouchers1795620000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE \`voucher_rules\` (
      \`rule\` varchar(32) NOT NULL,
      \`kind\` enum('amount_off', 'percent_off', 'free_service', 'gift') NOT NULL,
      \`title\` varchar(64) NOT NULL,
      \`value_fen\` int unsigned NULL,
      \`percent\` tinyint unsigned NULL,
      \`cap_fen\` int unsigned NULL,
      \`service\` varchar(32) NULL,
      \`projects\` json NULL,
      \`valid_days\` smallint unsigned NOT NULL,
      \`active\` tinyint NOT NULL DEFAULT 1,
      \`updated_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      PRIMARY KEY (\`rule\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`INSERT INTO voucher_rules (rule, kind, title, value_fen, percent, cap_fen, service, projects, valid_days) VALUES ${RULES}`);
    await q.query(`ALTER TABLE \`vouchers\`
      MODIFY \`item_id\` int unsigned NULL,
      ADD \`source\` enum('points', 'rule') NOT NULL DEFAULT 'points',
      ADD \`rule\` varchar(32) NULL,
      ADD \`period\` varchar(32) NULL,
      ADD \`kind\` enum('amount_off', 'percent_off', 'free_service', 'gift') NULL,
      ADD \`title\` varchar(64) NULL,
      ADD \`value_fen\` int unsigned NULL,
      ADD \`percent\` tinyint unsigned NULL,
      ADD \`cap_fen\` int unsigned NULL,
      ADD \`service\` varchar(32) NULL,
      ADD \`projects\` json NULL,
      ADD \`valid_from\` datetime(3) NULL,
      ADD \`order_amount_fen\` int unsigned NULL,
      ADD \`discount_fen\` int unsigned NULL,
      ADD \`used_project\` varchar(32) NULL,
      ADD \`expired_at\` datetime(3) NULL,
      ADD UNIQUE INDEX \`uq_vouchers_rule_period\` (\`client_id\`, \`rule\`, \`period\`),
      ADD INDEX \`ix_vouchers_rule\` (\`rule\`, \`period\`),
      ADD INDEX \`ix_vouchers_due\` (\`status\`, \`expires_at\`)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query("DELETE FROM vouchers WHERE source = 'rule'");
    await q.query(`ALTER TABLE \`vouchers\`
      DROP INDEX \`uq_vouchers_rule_period\`, DROP INDEX \`ix_vouchers_rule\`, DROP INDEX \`ix_vouchers_due\`,
      DROP \`source\`, DROP \`rule\`, DROP \`period\`, DROP \`kind\`, DROP \`title\`, DROP \`value_fen\`, DROP \`percent\`, DROP \`cap_fen\`,
      DROP \`service\`, DROP \`projects\`, DROP \`valid_from\`, DROP \`order_amount_fen\`, DROP \`discount_fen\`, DROP \`used_project\`, DROP \`expired_at\`,
      MODIFY \`item_id\` int unsigned NOT NULL`);
    await q.query('DROP TABLE `voucher_rules`');
  }
}
