import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A referred friend's consent, asked at binding, to let the referrer see a coarse status (joined,
 * reward pending, reward earned). Medical purchases are sensitive personal information (PIPL art.
 * 28–29): without it the referrer sees only counts. Existing bindings never gave it: off.
 */
export class ReferralStatusConsent1795540100000 implements MigrationInterface {
  name = 'ReferralStatusConsent1795540100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `referral_bindings` ADD `shares_status` tinyint NOT NULL DEFAULT 0, ADD `status_consent_at` datetime(3) NULL');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `referral_bindings` DROP COLUMN `status_consent_at`, DROP COLUMN `shares_status`');
  }
}
