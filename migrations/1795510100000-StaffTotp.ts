import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * TOTP second factor for staff: the secret (and one being enrolled) encrypted with the field
 * cipher, when it was turned on, the last time step accepted (a code is good once), and the
 * single-use recovery codes, kept as keyed hashes only.
 */
export class StaffTotp1795510100000 implements MigrationInterface {
  name = 'StaffTotp1795510100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE `staff` ADD `totp_secret_enc` varbinary(255) NULL, ADD `totp_pending_enc` varbinary(255) NULL, ' +
        'ADD `totp_enabled_at` datetime(3) NULL, ADD `totp_last_step` bigint unsigned NULL',
    );
    await queryRunner.query(
      'CREATE TABLE `staff_recovery_codes` (`id` int unsigned NOT NULL AUTO_INCREMENT, `staff_id` int unsigned NOT NULL, `code_hash` char(64) NOT NULL, ' +
        '`used_at` datetime(3) NULL, `created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), PRIMARY KEY (`id`), ' +
        'UNIQUE KEY `uq_staff_recovery_code` (`staff_id`, `code_hash`), ' +
        'CONSTRAINT `fk_staff_recovery_codes_staff` FOREIGN KEY (`staff_id`) REFERENCES `staff` (`id`) ON DELETE CASCADE) ' +
        'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `staff_recovery_codes`');
    await queryRunner.query('ALTER TABLE `staff` DROP COLUMN `totp_last_step`, DROP COLUMN `totp_enabled_at`, DROP COLUMN `totp_pending_enc`, DROP COLUMN `totp_secret_enc`');
  }
}
