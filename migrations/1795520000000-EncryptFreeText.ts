import { MigrationInterface, QueryRunner } from 'typeorm';
import { eachRow, jsonText, migrationCipher } from './data-cipher';

// Associated data of each new column; the same strings as the owning modules' (a ciphertext is
// bound to its row and column): outbox, worklist, consultations, orders.
const AAD = {
  outbox: (dedupeKey: string) => `outbox_messages:${dedupeKey}:payload`,
  task: (publicId: string, column: 'title' | 'details' | 'note') => `staff_tasks:${publicId}:${column}`,
  options: (planPublicId: string, revision: number) => `plan_revisions:${planPublicId}:${revision}:options`,
  eventReason: (appointmentPublicId: string) => `appointment_events:${appointmentPublicId}:reason`,
  refundReason: (refundPublicId: string) => `order_refunds:${refundPublicId}:reason`,
};
const ERASED_TITLE = '（客户已注销）';

/**
 * Free text that can name a client or a procedure is encrypted like the archive (DESIGN.md,
 * sensitive fields): outbox payloads (message texts), staff task titles, details and notes, a
 * plan's treatment options, appointment event reasons, refund reasons. Existing rows are
 * encrypted here, under the newest data key (migrations/data-cipher.ts), and the plaintext
 * columns dropped; `down` decrypts them back.
 */
export class EncryptFreeText1795520000000 implements MigrationInterface {
  name = 'EncryptFreeText1795520000000';

  public async up(q: QueryRunner): Promise<void> {
    const c = () => migrationCipher();

    await q.query('ALTER TABLE `outbox_messages` ADD `payload_enc` mediumblob NULL');
    await eachRow(q, 'SELECT id AS k, dedupe_key, payload FROM outbox_messages WHERE id > ? ORDER BY id LIMIT ?', (r) => {
      const text = jsonText(r.payload);
      // An erased payload (deleted account) stays erased: no ciphertext.
      if (JSON.stringify(JSON.parse(text)) === '{"erased":true}') return null;
      return ['UPDATE outbox_messages SET payload_enc = ?, updated_at = updated_at WHERE id = ?', [c().encrypt(text, AAD.outbox(r.dedupe_key)), r.k]];
    });
    await q.query('ALTER TABLE `outbox_messages` DROP COLUMN `payload`');

    await q.query('ALTER TABLE `staff_tasks` ADD `title_enc` blob NULL, ADD `details_enc` blob NULL, ADD `note_enc` blob NULL');
    await eachRow(q, 'SELECT id AS k, public_id, title, details, note FROM staff_tasks WHERE id > ? ORDER BY id LIMIT ?', (r) => [
      'UPDATE staff_tasks SET title_enc = ?, details_enc = ?, note_enc = ? WHERE id = ?',
      [
        r.title === ERASED_TITLE ? null : c().encrypt(r.title, AAD.task(r.public_id, 'title')),
        r.details === null ? null : c().encrypt(jsonText(r.details), AAD.task(r.public_id, 'details')),
        r.note === null ? null : c().encrypt(r.note, AAD.task(r.public_id, 'note')),
        r.k,
      ],
    ]);
    await q.query('ALTER TABLE `staff_tasks` DROP COLUMN `title`, DROP COLUMN `details`, DROP COLUMN `note`');

    await q.query('ALTER TABLE `plan_revisions` ADD `options_enc` blob NULL');
    await eachRow(q, 'SELECT t.id AS k, t.revision, p.public_id, t.options FROM plan_revisions t JOIN plans p ON p.id = t.plan_id WHERE t.id > ? ORDER BY t.id LIMIT ?', (r) => [
      'UPDATE plan_revisions SET options_enc = ? WHERE id = ?', [c().encrypt(jsonText(r.options), AAD.options(r.public_id, Number(r.revision))), r.k],
    ]);
    await q.query('ALTER TABLE `plan_revisions` MODIFY `options_enc` blob NOT NULL, DROP COLUMN `options`');

    await q.query('ALTER TABLE `appointment_events` ADD `reason_enc` varbinary(1024) NULL');
    await eachRow(q, 'SELECT e.id AS k, a.public_id, e.reason FROM appointment_events e JOIN appointments a ON a.id = e.appointment_id WHERE e.id > ? AND e.reason IS NOT NULL ORDER BY e.id LIMIT ?', (r) => [
      'UPDATE appointment_events SET reason_enc = ? WHERE id = ?', [c().encryptJson(r.reason, AAD.eventReason(r.public_id)), r.k],
    ]);
    await q.query('ALTER TABLE `appointment_events` DROP COLUMN `reason`');

    await q.query('ALTER TABLE `order_refunds` ADD `reason_enc` varbinary(1024) NULL');
    await eachRow(q, 'SELECT id AS k, public_id, reason FROM order_refunds WHERE id > ? ORDER BY id LIMIT ?', (r) => [
      'UPDATE order_refunds SET reason_enc = ? WHERE id = ?', [c().encrypt(r.reason, AAD.refundReason(r.public_id)), r.k],
    ]);
    await q.query('ALTER TABLE `order_refunds` DROP COLUMN `reason`');
  }

  public async down(q: QueryRunner): Promise<void> {
    const c = () => migrationCipher();

    await q.query('ALTER TABLE `order_refunds` ADD `reason` varchar(255) NULL');
    await eachRow(q, 'SELECT id AS k, public_id, reason_enc FROM order_refunds WHERE id > ? ORDER BY id LIMIT ?', (r) => [
      'UPDATE order_refunds SET reason = ? WHERE id = ?', [r.reason_enc ? c().decrypt(r.reason_enc, AAD.refundReason(r.public_id)) : '', r.k],
    ]);
    await q.query('ALTER TABLE `order_refunds` MODIFY `reason` varchar(255) NOT NULL, DROP COLUMN `reason_enc`');

    await q.query('ALTER TABLE `appointment_events` ADD `reason` varchar(200) NULL');
    await eachRow(q, 'SELECT e.id AS k, a.public_id, e.reason_enc FROM appointment_events e JOIN appointments a ON a.id = e.appointment_id WHERE e.id > ? AND e.reason_enc IS NOT NULL ORDER BY e.id LIMIT ?', (r) => [
      'UPDATE appointment_events SET reason = ? WHERE id = ?', [JSON.parse(c().decrypt(r.reason_enc, AAD.eventReason(r.public_id))), r.k],
    ]);
    await q.query('ALTER TABLE `appointment_events` DROP COLUMN `reason_enc`');

    await q.query('ALTER TABLE `plan_revisions` ADD `options` json NULL');
    await eachRow(q, 'SELECT t.id AS k, t.revision, p.public_id, t.options_enc FROM plan_revisions t JOIN plans p ON p.id = t.plan_id WHERE t.id > ? ORDER BY t.id LIMIT ?', (r) => [
      'UPDATE plan_revisions SET options = ? WHERE id = ?', [c().decrypt(r.options_enc, AAD.options(r.public_id, Number(r.revision))), r.k],
    ]);
    await q.query('ALTER TABLE `plan_revisions` MODIFY `options` json NOT NULL, DROP COLUMN `options_enc`');

    await q.query('ALTER TABLE `staff_tasks` ADD `title` varchar(200) NULL, ADD `details` json NULL, ADD `note` varchar(500) NULL');
    await eachRow(q, 'SELECT id AS k, public_id, title_enc, details_enc, note_enc FROM staff_tasks WHERE id > ? ORDER BY id LIMIT ?', (r) => [
      'UPDATE staff_tasks SET title = ?, details = ?, note = ? WHERE id = ?',
      [
        r.title_enc ? c().decrypt(r.title_enc, AAD.task(r.public_id, 'title')) : ERASED_TITLE,
        r.details_enc ? c().decrypt(r.details_enc, AAD.task(r.public_id, 'details')) : null,
        r.note_enc ? c().decrypt(r.note_enc, AAD.task(r.public_id, 'note')) : null,
        r.k,
      ],
    ]);
    await q.query('ALTER TABLE `staff_tasks` MODIFY `title` varchar(200) NOT NULL, DROP COLUMN `title_enc`, DROP COLUMN `details_enc`, DROP COLUMN `note_enc`');

    await q.query('ALTER TABLE `outbox_messages` ADD `payload` json NULL');
    await eachRow(q, 'SELECT id AS k, dedupe_key, payload_enc FROM outbox_messages WHERE id > ? ORDER BY id LIMIT ?', (r) => [
      'UPDATE outbox_messages SET payload = ?, updated_at = updated_at WHERE id = ?',
      [r.payload_enc ? c().decrypt(r.payload_enc, AAD.outbox(r.dedupe_key)) : '{"erased": true}', r.k],
    ]);
    await q.query('ALTER TABLE `outbox_messages` MODIFY `payload` json NOT NULL, DROP COLUMN `payload_enc`');
  }
}
