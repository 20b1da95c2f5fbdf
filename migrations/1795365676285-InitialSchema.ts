import { MigrationInterface, QueryRunner } from "typeorm";

export class InitialSchema1795365676285 implements MigrationInterface {
    name = 'InitialSchema1795365676285'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE \`clients\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`public_id\` char(22) NOT NULL, \`openid\` varchar(64) NOT NULL, \`unionid\` varchar(64) NULL, \`name_enc\` varbinary(512) NULL, \`name_bidx\` char(64) NULL, \`gender\` enum ('unknown', 'female', 'male') NOT NULL DEFAULT 'unknown', \`birth_date\` date NULL, \`phone_enc\` varbinary(255) NULL, \`phone_bidx\` char(64) NULL, \`address_enc\` varbinary(2048) NULL, \`referral_code\` char(8) NOT NULL, \`referrer_id\` int UNSIGNED NULL, \`consultant_id\` int UNSIGNED NULL, \`stage\` varchar(24) NOT NULL DEFAULT 'lead', \`status\` enum ('active', 'deleted') NOT NULL DEFAULT 'active', \`first_touch\` json NULL, \`source_channel\` varchar(64) NULL, \`last_login_at\` datetime(3) NULL, \`deleted_at\` datetime(3) NULL, \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), \`updated_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), UNIQUE INDEX \`uq_clients_public_id\` (\`public_id\`), UNIQUE INDEX \`uq_clients_openid\` (\`openid\`), UNIQUE INDEX \`uq_clients_unionid\` (\`unionid\`), INDEX \`ix_clients_name_bidx\` (\`name_bidx\`), UNIQUE INDEX \`uq_clients_phone_bidx\` (\`phone_bidx\`), UNIQUE INDEX \`uq_clients_referral_code\` (\`referral_code\`), INDEX \`ix_clients_consultant\` (\`consultant_id\`), INDEX \`ix_clients_source_channel\` (\`source_channel\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`client_touches\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`client_id\` int UNSIGNED NOT NULL, \`kind\` enum ('first', 'login') NOT NULL, \`utm_source\` varchar(64) NULL, \`utm_medium\` varchar(64) NULL, \`utm_campaign\` varchar(128) NULL, \`scene\` int NULL, \`referral_code\` varchar(32) NULL, \`wecom_state\` varchar(64) NULL, \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), INDEX \`ix_client_touches_client\` (\`client_id\`, \`created_at\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`consents\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`public_id\` char(22) NOT NULL, \`client_id\` int UNSIGNED NOT NULL, \`purpose\` enum ('privacy', 'health', 'guardian') NOT NULL, \`policy_version\` varchar(32) NOT NULL, \`guardian_name_enc\` varbinary(512) NULL, \`guardian_relation\` varchar(16) NULL, \`ip\` varchar(45) NULL, \`granted_at\` datetime(3) NOT NULL, \`withdrawn_at\` datetime(3) NULL, UNIQUE INDEX \`uq_consents_public_id\` (\`public_id\`), INDEX \`ix_consents_client_purpose\` (\`client_id\`, \`purpose\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`medical_records\` (\`client_id\` int UNSIGNED NOT NULL, \`allergies_enc\` blob NULL, \`medications_enc\` blob NULL, \`past_procedures_enc\` blob NULL, \`conditions_enc\` blob NULL, \`updated_by_type\` enum ('client', 'staff') NOT NULL, \`updated_by_id\` int UNSIGNED NOT NULL, \`updated_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), PRIMARY KEY (\`client_id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`data_exports\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`public_id\` char(22) NOT NULL, \`client_id\` int UNSIGNED NOT NULL, \`payload_enc\` mediumblob NOT NULL, \`created_at\` datetime(3) NOT NULL, \`expires_at\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_data_exports_public_id\` (\`public_id\`), INDEX \`ix_data_exports_client\` (\`client_id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`staff\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`public_id\` char(22) NOT NULL, \`username\` varchar(64) NOT NULL, \`display_name\` varchar(64) NOT NULL, \`role\` enum ('director', 'doctor', 'consultant', 'customer_service') NOT NULL, \`password_hash\` varchar(255) NOT NULL, \`failed_attempts\` int UNSIGNED NOT NULL DEFAULT '0', \`locked_until\` datetime(3) NULL, \`active\` tinyint NOT NULL DEFAULT 1, \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), \`updated_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), UNIQUE INDEX \`uq_staff_public_id\` (\`public_id\`), UNIQUE INDEX \`uq_staff_username\` (\`username\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`audit_log\` (\`id\` bigint UNSIGNED NOT NULL AUTO_INCREMENT, \`at\` datetime(3) NOT NULL, \`actor_type\` enum ('staff', 'client', 'system') NOT NULL, \`actor_id\` int UNSIGNED NULL, \`actor_role\` varchar(24) NULL, \`action\` varchar(64) NOT NULL, \`client_id\` int UNSIGNED NULL, \`allowed\` tinyint NOT NULL, \`ip\` varchar(45) NULL, \`request_id\` varchar(64) NULL, \`details\` json NULL, INDEX \`ix_audit_at\` (\`at\`), INDEX \`ix_audit_actor_at\` (\`actor_type\`, \`actor_id\`, \`at\`), INDEX \`ix_audit_client_at\` (\`client_id\`, \`at\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX \`ix_audit_client_at\` ON \`audit_log\``);
        await queryRunner.query(`DROP INDEX \`ix_audit_actor_at\` ON \`audit_log\``);
        await queryRunner.query(`DROP INDEX \`ix_audit_at\` ON \`audit_log\``);
        await queryRunner.query(`DROP TABLE \`audit_log\``);
        await queryRunner.query(`DROP INDEX \`uq_staff_username\` ON \`staff\``);
        await queryRunner.query(`DROP INDEX \`uq_staff_public_id\` ON \`staff\``);
        await queryRunner.query(`DROP TABLE \`staff\``);
        await queryRunner.query(`DROP INDEX \`ix_data_exports_client\` ON \`data_exports\``);
        await queryRunner.query(`DROP INDEX \`uq_data_exports_public_id\` ON \`data_exports\``);
        await queryRunner.query(`DROP TABLE \`data_exports\``);
        await queryRunner.query(`DROP TABLE \`medical_records\``);
        await queryRunner.query(`DROP INDEX \`ix_consents_client_purpose\` ON \`consents\``);
        await queryRunner.query(`DROP INDEX \`uq_consents_public_id\` ON \`consents\``);
        await queryRunner.query(`DROP TABLE \`consents\``);
        await queryRunner.query(`DROP INDEX \`ix_client_touches_client\` ON \`client_touches\``);
        await queryRunner.query(`DROP TABLE \`client_touches\``);
        await queryRunner.query(`DROP INDEX \`ix_clients_source_channel\` ON \`clients\``);
        await queryRunner.query(`DROP INDEX \`ix_clients_consultant\` ON \`clients\``);
        await queryRunner.query(`DROP INDEX \`uq_clients_referral_code\` ON \`clients\``);
        await queryRunner.query(`DROP INDEX \`uq_clients_phone_bidx\` ON \`clients\``);
        await queryRunner.query(`DROP INDEX \`ix_clients_name_bidx\` ON \`clients\``);
        await queryRunner.query(`DROP INDEX \`uq_clients_unionid\` ON \`clients\``);
        await queryRunner.query(`DROP INDEX \`uq_clients_openid\` ON \`clients\``);
        await queryRunner.query(`DROP INDEX \`uq_clients_public_id\` ON \`clients\``);
        await queryRunner.query(`DROP TABLE \`clients\``);
    }

}
