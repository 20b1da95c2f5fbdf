import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Appointments with a doctor: the review kind (复查), the doctor and the treatment recorded on
 * completion; each doctor's weekly working hours, per-slot capacity and dated exceptions.
 */
export class DoctorSchedules1795610000000 implements MigrationInterface {
  name = 'DoctorSchedules1795610000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query("ALTER TABLE `appointments` MODIFY `kind` enum ('consultation', 'procedure', 'review') NOT NULL");
    await q.query('ALTER TABLE `appointments` ADD `doctor_id` int UNSIGNED NULL, ADD `treatment_public_id` char(22) NULL');
    await q.query('CREATE INDEX `ix_appointments_doctor` ON `appointments` (`doctor_id`, `starts_at`)');
    await q.query(
      'CREATE TABLE `doctor_schedules` (`doctor_id` int UNSIGNED NOT NULL, `slot_capacity` int UNSIGNED NOT NULL, `week` json NOT NULL, ' +
        '`updated_by` int UNSIGNED NULL, `updated_at` datetime(3) NOT NULL, PRIMARY KEY (`doctor_id`)) ENGINE=InnoDB',
    );
    await q.query(
      'CREATE TABLE `doctor_schedule_exceptions` (`doctor_id` int UNSIGNED NOT NULL, `date` date NOT NULL, `hours` json NOT NULL, ' +
        '`updated_by` int UNSIGNED NULL, `updated_at` datetime(3) NOT NULL, PRIMARY KEY (`doctor_id`, `date`)) ENGINE=InnoDB',
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE `doctor_schedule_exceptions`');
    await q.query('DROP TABLE `doctor_schedules`');
    await q.query('DROP INDEX `ix_appointments_doctor` ON `appointments`');
    await q.query('ALTER TABLE `appointments` DROP COLUMN `treatment_public_id`, DROP COLUMN `doctor_id`');
    await q.query("UPDATE `appointments` SET `kind` = 'consultation' WHERE `kind` = 'review'");
    await q.query("ALTER TABLE `appointments` MODIFY `kind` enum ('consultation', 'procedure') NOT NULL");
  }
}
