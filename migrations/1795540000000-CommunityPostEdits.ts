import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who edited a community post and which fields: only the author or the director edits, and whoever
 * edited a post does not approve it (a second pair of eyes on what goes out to client groups).
 */
export class CommunityPostEdits1795540000000 implements MigrationInterface {
  name = 'CommunityPostEdits1795540000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE `community_post_edits` (`id` int UNSIGNED NOT NULL AUTO_INCREMENT, `post_id` int UNSIGNED NOT NULL, `staff_id` int UNSIGNED NOT NULL, '
      + '`fields` json NOT NULL, `created_at` datetime(3) NOT NULL, INDEX `ix_community_post_edits_post` (`post_id`, `staff_id`), PRIMARY KEY (`id`)) ENGINE=InnoDB',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `community_post_edits`');
  }
}
