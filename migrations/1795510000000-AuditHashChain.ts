import { MigrationInterface, QueryRunner } from 'typeorm';
import { GENESIS_HASH, RAW_AUDIT_COLUMNS, chainHash, chainedFieldsOf, type RawAuditRow } from '../src/modules/audit';

/**
 * The audit log becomes tamper-evident: every row carries the hash of the row before it and its
 * own hash; `audit_chain_head` (one row) holds the last link and serialises appends. Rows written
 * before this migration are chained here, in id order.
 */
export class AuditHashChain1795510000000 implements MigrationInterface {
  name = 'AuditHashChain1795510000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `audit_log` ADD `prev_hash` char(64) NULL, ADD `hash` char(64) NULL');
    await queryRunner.query(
      'CREATE TABLE `audit_chain_head` (`id` tinyint unsigned NOT NULL, `last_id` bigint unsigned NOT NULL, `last_hash` char(64) NOT NULL, ' +
        'PRIMARY KEY (`id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci',
    );
    let prev = GENESIS_HASH;
    let lastId = '0';
    for (;;) {
      const rows = (await queryRunner.query(`SELECT ${RAW_AUDIT_COLUMNS} FROM audit_log WHERE id > ? ORDER BY id LIMIT 1000`, [lastId])) as RawAuditRow[];
      for (const r of rows) {
        const hash = chainHash(prev, chainedFieldsOf(r));
        await queryRunner.query('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?', [prev, hash, r.id]);
        prev = hash;
        lastId = String(r.id);
      }
      if (rows.length < 1000) break;
    }
    await queryRunner.query('INSERT INTO `audit_chain_head` (`id`, `last_id`, `last_hash`) VALUES (1, ?, ?)', [lastId, prev]);
    await queryRunner.query('ALTER TABLE `audit_log` MODIFY `prev_hash` char(64) NOT NULL, MODIFY `hash` char(64) NOT NULL');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `audit_chain_head`');
    await queryRunner.query('ALTER TABLE `audit_log` DROP COLUMN `hash`, DROP COLUMN `prev_hash`');
  }
}
