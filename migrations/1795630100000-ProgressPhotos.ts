import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Progress photos 术后对比照 of the effect-tracking steps: the metadata, and the photo itself
 * encrypted in a table of its own (listing never reads the blobs). Health data: erased with the
 * account or the health consent.
 */
export class ProgressPhotos1795630100000 implements MigrationInterface {
  name = 'ProgressPhotos1795630100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE \`progress_photos\` (
        \`id\` int unsigned NOT NULL AUTO_INCREMENT,
        \`public_id\` char(22) NOT NULL,
        \`client_id\` int unsigned NOT NULL,
        \`treatment_public_id\` char(22) NOT NULL,
        \`step\` varchar(32) NOT NULL,
        \`content_type\` varchar(16) NOT NULL,
        \`size_bytes\` int unsigned NOT NULL,
        \`created_at\` datetime(3) NOT NULL,
        UNIQUE INDEX \`uq_progress_photos_public_id\` (\`public_id\`),
        INDEX \`ix_progress_photos_client\` (\`client_id\`, \`created_at\`),
        PRIMARY KEY (\`id\`)
      ) ENGINE=InnoDB`,
    );
    await queryRunner.query(
      `CREATE TABLE \`progress_photo_blobs\` (
        \`photo_id\` int unsigned NOT NULL,
        \`data_enc\` mediumblob NOT NULL,
        PRIMARY KEY (\`photo_id\`)
      ) ENGINE=InnoDB`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `progress_photo_blobs`');
    await queryRunner.query('DROP TABLE `progress_photos`');
  }
}
