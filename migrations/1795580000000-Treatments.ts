import { randomBytes } from 'node:crypto';
import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Treatments 施术记录: the procedure itself, apart from the payment (DOMAIN.md: deposits come
 * weeks before, courses have several sessions; every follow-up counts from the procedure).
 * Follow-up steps now belong to a treatment. Orders recorded before get one treatment per
 * project at their paid time, so their scheduled steps keep their dates and no client loses one.
 */
export class Treatments1795580000000 implements MigrationInterface {
  name = 'Treatments1795580000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE \`treatments\` (
      \`id\` int unsigned NOT NULL AUTO_INCREMENT,
      \`public_id\` char(22) NOT NULL,
      \`request_id\` varchar(64) NOT NULL,
      \`client_id\` int unsigned NOT NULL,
      \`order_id\` int unsigned NOT NULL,
      \`order_item_id\` int unsigned NOT NULL,
      \`project_id\` int unsigned NOT NULL,
      \`doctor_id\` int unsigned NOT NULL,
      \`performed_at\` datetime(3) NOT NULL,
      \`body_area\` varchar(24) NOT NULL,
      \`notes_enc\` varbinary(2048) NULL,
      \`session_no\` smallint unsigned NOT NULL DEFAULT 1,
      \`status\` enum('done','cancelled') NOT NULL DEFAULT 'done',
      \`recorded_by\` int unsigned NULL,
      \`created_at\` datetime(3) NOT NULL,
      \`cancelled_at\` datetime(3) NULL,
      PRIMARY KEY (\`id\`),
      UNIQUE KEY \`uq_treatments_public_id\` (\`public_id\`),
      UNIQUE KEY \`uq_treatments_request\` (\`request_id\`),
      KEY \`ix_treatments_client\` (\`client_id\`, \`performed_at\`),
      KEY \`ix_treatments_order\` (\`order_id\`, \`project_id\`)
    ) ENGINE=InnoDB`);
    // A course project says whether each later session restarts its follow-up plan.
    await q.query('ALTER TABLE `projects` ADD `followup_each_session` tinyint NOT NULL DEFAULT 0');
    await q.query('ALTER TABLE `followup_steps` ADD `treatment_id` int unsigned NULL');

    const lines: { order_id: number; project_id: number; item_id: number; client_id: number; doctor_id: number; paid_at: Date; body_area: string; status: string }[] = await q.query(
      `SELECT i.order_id, i.project_id, MIN(i.id) AS item_id, o.client_id, o.doctor_id, o.paid_at, p.body_area, o.status
         FROM order_items i JOIN orders o ON o.id = i.order_id JOIN projects p ON p.id = i.project_id
        GROUP BY i.order_id, i.project_id ORDER BY i.order_id, i.project_id`,
    );
    for (let at = 0; at < lines.length; at += 1000) {
      const chunk = lines.slice(at, at + 1000);
      await q.query(
        `INSERT INTO treatments (public_id, request_id, client_id, order_id, order_item_id, project_id, doctor_id, performed_at, body_area, status, created_at, cancelled_at)
         VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        chunk.flatMap((l) => {
          const gone = l.status === 'refunded' || l.status === 'voided';
          return [randomBytes(16).toString('base64url'), `migrated:${l.order_id}:${l.project_id}`, l.client_id, l.order_id, l.item_id, l.project_id, l.doctor_id,
            l.paid_at, l.body_area, gone ? 'cancelled' : 'done', l.paid_at, gone ? l.paid_at : null];
        }),
      );
    }
    await q.query('UPDATE followup_steps s JOIN treatments t ON t.order_id = s.order_id AND t.project_id = s.project_id SET s.treatment_id = t.id');
    await q.query(`ALTER TABLE \`followup_steps\` MODIFY \`treatment_id\` int unsigned NOT NULL, DROP INDEX \`uq_followup_steps\`,
      ADD UNIQUE INDEX \`uq_followup_steps_treatment\` (\`treatment_id\`, \`step\`), ADD INDEX \`ix_followup_steps_order\` (\`order_id\`)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    // Only the first treatment of an order's project keeps its steps (the old key allowed one plan per order and project).
    await q.query(`DELETE s FROM followup_steps s JOIN treatments t ON t.id = s.treatment_id
      WHERE t.id <> (SELECT MIN(t2.id) FROM treatments t2 WHERE t2.order_id = t.order_id AND t2.project_id = t.project_id)`);
    await q.query(`ALTER TABLE \`followup_steps\` DROP INDEX \`uq_followup_steps_treatment\`, DROP INDEX \`ix_followup_steps_order\`,
      ADD UNIQUE INDEX \`uq_followup_steps\` (\`order_id\`, \`project_id\`, \`step\`), DROP COLUMN \`treatment_id\``);
    await q.query('ALTER TABLE `projects` DROP COLUMN `followup_each_session`');
    await q.query('DROP TABLE `treatments`');
  }
}
