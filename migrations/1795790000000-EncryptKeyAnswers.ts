import { MigrationInterface, QueryRunner } from 'typeorm';
import { eachRow, jsonText, migrationCipher } from './data-cipher';

// The questionnaires module's associated data for the column (questionnaireAad.keyAnswers).
const aad = (clientId: number) => `client_intents:${clientId}:key_answers`;

/**
 * The key answers shown with a lead (rules.archive.keyAnswers) are the client's own words
 * (free-text answers among them): encrypted like the rest of the questionnaire, under the newest
 * data key, and the plaintext column dropped; `down` decrypts them back.
 */
export class EncryptKeyAnswers1795790000000 implements MigrationInterface {
  name = 'EncryptKeyAnswers1795790000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE `client_intents` ADD `key_answers_enc` mediumblob NULL');
    await eachRow(q, 'SELECT client_id AS k, key_answers FROM client_intents WHERE client_id > ? ORDER BY client_id LIMIT ?', (r) => [
      'UPDATE client_intents SET key_answers_enc = ?, updated_at = updated_at WHERE client_id = ?',
      [migrationCipher().encrypt(jsonText(r.key_answers), aad(Number(r.k))), r.k],
    ]);
    await q.query('ALTER TABLE `client_intents` MODIFY `key_answers_enc` mediumblob NOT NULL, DROP COLUMN `key_answers`');
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE `client_intents` ADD `key_answers` json NULL');
    await eachRow(q, 'SELECT client_id AS k, key_answers_enc FROM client_intents WHERE client_id > ? ORDER BY client_id LIMIT ?', (r) => [
      'UPDATE client_intents SET key_answers = ?, updated_at = updated_at WHERE client_id = ?',
      [migrationCipher().decrypt(r.key_answers_enc, aad(Number(r.k))), r.k],
    ]);
    await q.query('ALTER TABLE `client_intents` MODIFY `key_answers` json NOT NULL, DROP COLUMN `key_answers_enc`');
  }
}
