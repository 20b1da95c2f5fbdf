import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When and how a satisfaction survey's invitation reached the client: only a survey asked in the
 * WeCom chat takes a digit replied there as its NPS. Surveys already sent are filled in from their
 * sent outbox rows (the card's page carries the survey id); a WeCom send wins over another channel.
 */
export class SurveyInvitations1795401300000 implements MigrationInterface {
  name = 'SurveyInvitations1795401300000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      "ALTER TABLE `satisfaction_surveys` ADD `invited_at` datetime(3) NULL, ADD `invited_via` enum ('wecom', 'subscribe', 'staff_task') NULL",
    );
    for (const channels of [['subscribe', 'staff_task'], ['wecom']]) {
      await queryRunner.query(
        `UPDATE satisfaction_surveys s
           JOIN outbox_messages o ON o.client_id = s.client_id AND o.kind = 'client_message' AND o.status = 'sent'
            AND JSON_UNQUOTE(JSON_EXTRACT(o.payload, '$.purpose')) = 'survey'
            AND JSON_UNQUOTE(JSON_EXTRACT(o.payload, '$.card.pagePath')) LIKE CONCAT('%?id=', s.public_id)
            SET s.invited_at = o.sent_at, s.invited_via = o.channel
          WHERE o.channel IN (${channels.map(() => '?').join(', ')})`,
        channels,
      );
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `satisfaction_surveys` DROP COLUMN `invited_via`, DROP COLUMN `invited_at`');
  }
}
