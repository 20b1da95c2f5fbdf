import { MigrationInterface, QueryRunner } from 'typeorm';

/** Plans with their revisions and the client's change requests, intent letters, appointments (issue 3, items 5–6). */
export class Consultations1795400300000 implements MigrationInterface {
  name = 'Consultations1795400300000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`plans\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`public_id\` char(22) NOT NULL, \`client_id\` int UNSIGNED NOT NULL, \`response_id\` int UNSIGNED NULL, \`doctor_id\` int UNSIGNED NOT NULL, \`status\` enum ('draft', 'proposed', 'change_requested', 'accepted', 'withdrawn') NOT NULL DEFAULT 'draft', \`current_revision\` int UNSIGNED NOT NULL, \`accepted_revision\` int UNSIGNED NULL, \`proposed_at\` datetime(3) NULL, \`accepted_at\` datetime(3) NULL, \`withdrawn_at\` datetime(3) NULL, \`created_at\` datetime(3) NOT NULL, \`updated_at\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_plans_public_id\` (\`public_id\`), INDEX \`ix_plans_client\` (\`client_id\`, \`id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`plan_revisions\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`plan_id\` int UNSIGNED NOT NULL, \`revision\` int UNSIGNED NOT NULL, \`options\` json NOT NULL, \`price_min_fen\` int UNSIGNED NOT NULL, \`price_max_fen\` int UNSIGNED NOT NULL, \`recovery_days\` int UNSIGNED NOT NULL, \`analysis_enc\` blob NOT NULL, \`risk_plan_enc\` blob NOT NULL, \`author_id\` int UNSIGNED NOT NULL, \`created_at\` datetime(3) NOT NULL, \`proposed_at\` datetime(3) NULL, UNIQUE INDEX \`uq_plan_revisions_plan_revision\` (\`plan_id\`, \`revision\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`plan_comments\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`public_id\` char(22) NOT NULL, \`plan_id\` int UNSIGNED NOT NULL, \`client_id\` int UNSIGNED NOT NULL, \`revision\` int UNSIGNED NOT NULL, \`comment_enc\` blob NOT NULL, \`created_at\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_plan_comments_public_id\` (\`public_id\`), INDEX \`ix_plan_comments_plan\` (\`plan_id\`, \`id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`intent_letters\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`public_id\` char(22) NOT NULL, \`client_id\` int UNSIGNED NOT NULL, \`plan_id\` int UNSIGNED NOT NULL, \`revision\` int UNSIGNED NOT NULL, \`snapshot_enc\` blob NOT NULL, \`confirmed_at\` datetime(3) NOT NULL, \`appointment_id\` int UNSIGNED NULL, UNIQUE INDEX \`uq_intent_letters_public_id\` (\`public_id\`), INDEX \`ix_intent_letters_client\` (\`client_id\`), UNIQUE INDEX \`uq_intent_letters_plan\` (\`plan_id\`), INDEX \`ix_intent_letters_appointment\` (\`appointment_id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`appointments\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`public_id\` char(22) NOT NULL, \`client_id\` int UNSIGNED NOT NULL, \`kind\` enum ('consultation', 'procedure') NOT NULL, \`status\` enum ('requested', 'confirmed', 'cancelled', 'completed', 'no_show') NOT NULL DEFAULT 'requested', \`starts_at\` datetime(3) NOT NULL, \`duration_minutes\` int UNSIGNED NOT NULL, \`note_enc\` varbinary(1024) NULL, \`version\` int UNSIGNED NOT NULL DEFAULT '0', \`confirmed_by\` int UNSIGNED NULL, \`confirmed_at\` datetime(3) NULL, \`cancelled_at\` datetime(3) NULL, \`created_at\` datetime(3) NOT NULL, \`updated_at\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_appointments_public_id\` (\`public_id\`), INDEX \`ix_appointments_client\` (\`client_id\`, \`starts_at\`), INDEX \`ix_appointments_starts\` (\`starts_at\`, \`status\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`appointment_events\` (\`id\` bigint UNSIGNED NOT NULL AUTO_INCREMENT, \`appointment_id\` int UNSIGNED NOT NULL, \`action\` varchar(16) NOT NULL, \`from_starts_at\` datetime(3) NULL, \`to_starts_at\` datetime(3) NULL, \`actor_type\` varchar(8) NOT NULL, \`actor_id\` int UNSIGNED NULL, \`reason\` varchar(200) NULL, \`at\` datetime(3) NOT NULL, INDEX \`ix_appointment_events_appointment\` (\`appointment_id\`, \`id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `appointment_events`');
    await queryRunner.query('DROP TABLE `appointments`');
    await queryRunner.query('DROP TABLE `intent_letters`');
    await queryRunner.query('DROP TABLE `plan_comments`');
    await queryRunner.query('DROP TABLE `plan_revisions`');
    await queryRunner.query('DROP TABLE `plans`');
  }
}
