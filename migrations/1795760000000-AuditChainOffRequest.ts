import { MigrationInterface, QueryRunner } from 'typeorm';
import { AuditHashChain1795510000000 } from './1795510000000-AuditHashChain';

/**
 * The hash chain leaves the writers' transactions (issue 12): a writer only INSERTs its audit rows;
 * the chainer links them afterwards into `audit_chain` (seq, audit row, prev_hash, hash), itself
 * append-only, under the lock of `audit_chain_head`. The links of the rows chained so far move there
 * unchanged (seq in id order, the order they were chained in), so they verify as before. The head
 * gains the last seq and the sweep's floor (ids below it are all linked or never committed) and mark.
 */
export class AuditChainOffRequest1795760000000 implements MigrationInterface {
  name = 'AuditChainOffRequest1795760000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      'CREATE TABLE `audit_chain` (`seq` bigint unsigned NOT NULL, `audit_id` bigint unsigned NOT NULL, `prev_hash` char(64) NOT NULL, `hash` char(64) NOT NULL, ' +
        'PRIMARY KEY (`seq`), UNIQUE KEY `uq_audit_chain_audit` (`audit_id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci',
    );
    await q.query('INSERT INTO `audit_chain` (`seq`, `audit_id`, `prev_hash`, `hash`) SELECT ROW_NUMBER() OVER (ORDER BY `id`), `id`, `prev_hash`, `hash` FROM `audit_log`');
    await q.query(
      'ALTER TABLE `audit_chain_head` ADD `last_seq` bigint unsigned NOT NULL DEFAULT 0, ADD `floor_id` bigint unsigned NOT NULL DEFAULT 0, ' +
        'ADD `mark_id` bigint unsigned NOT NULL DEFAULT 0, ADD `mark_at` datetime(3) NULL',
    );
    await q.query('UPDATE `audit_chain_head` SET `last_seq` = (SELECT COUNT(*) FROM `audit_chain`), `floor_id` = `last_id`, `mark_id` = `last_id` WHERE `id` = 1');
    await q.query('ALTER TABLE `audit_log` DROP COLUMN `hash`, DROP COLUMN `prev_hash`');
  }

  public async down(q: QueryRunner): Promise<void> {
    // Back to one chain in id order, held in the rows: the earlier migration chains every row again, linked or not.
    await q.query('DROP TABLE `audit_chain`');
    await q.query('DROP TABLE `audit_chain_head`');
    await new AuditHashChain1795510000000().up(q);
  }
}
