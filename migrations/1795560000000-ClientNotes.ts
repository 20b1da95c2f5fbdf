import { MigrationInterface, QueryRunner } from 'typeorm';

/** Staff notes and the contact log on a client 沟通记录: encrypted text, newest first per client. */
export class ClientNotes1795560000000 implements MigrationInterface {
  name = 'ClientNotes1795560000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE \`client_notes\` (
        \`id\` int unsigned NOT NULL AUTO_INCREMENT,
        \`public_id\` char(22) NOT NULL,
        \`client_id\` int unsigned NOT NULL,
        \`staff_id\` int unsigned NOT NULL,
        \`kind\` enum ('note', 'call', 'visit', 'wechat') NOT NULL DEFAULT 'note',
        \`body_enc\` varbinary(8192) NOT NULL,
        \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        UNIQUE INDEX \`uq_client_notes_public_id\` (\`public_id\`),
        INDEX \`ix_client_notes_client\` (\`client_id\`, \`id\`),
        PRIMARY KEY (\`id\`)
      ) ENGINE=InnoDB`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `client_notes`');
  }
}
