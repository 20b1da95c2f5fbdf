import { MigrationInterface, QueryRunner } from "typeorm";

export class ReferralIneligible1795400900000 implements MigrationInterface {
    name = 'ReferralIneligible1795400900000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE \`referral_ineligible\` (\`bidx\` char(64) NOT NULL, \`kind\` enum ('openid', 'unionid', 'phone') NOT NULL, \`created_at\` datetime(3) NOT NULL, PRIMARY KEY (\`bidx\`)) ENGINE=InnoDB`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE \`referral_ineligible\``);
    }

}
