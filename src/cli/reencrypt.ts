import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { loadConfig } from '../config';
import { createDataSource } from '../datasource';
import { FieldCipher } from '../shared/crypto';
import { runInTransaction } from '../shared/db';
import { createLogger, Logger } from '../shared/logger';
import { clientAad, MEDICAL_COLUMNS, MEDICAL_FIELDS } from '../modules/clients';
import { questionnaireAad } from '../modules/questionnaires';
import { CONSULTATION_ENCRYPTED_TABLES } from '../modules/consultations';
import { feedbackAad } from '../modules/feedback';
import { contactNameAad, inboundAad } from '../modules/contacts';
import { outboxAad } from '../modules/outbox';
import { taskAad } from '../modules/worklist';
import { refundReasonAad } from '../modules/orders';
import { treatmentAad } from '../modules/care';
import { photoAad } from '../modules/photos';
import { noteAad } from '../modules/notes';
import { totpAad } from '../modules/staff';
import { importReportAad } from '../modules/impex';
import { reindexAll } from './reindex';

/**
 * Re-encrypts every encrypted column under the newest data key (run after adding a key version
 * to DATA_KEYS): `npm run keys:reencrypt`. Rows are walked in id order in batches; each row is
 * re-read under a lock and rewritten in its own small transaction, only for values under an
 * older version, so the command is idempotent and safe to run while the API serves traffic.
 * Then the blind indexes are re-indexed under the newest blind-index key (src/cli/reindex.ts).
 */

export interface TableReport {
  scanned: number;
  reencrypted: number;
  failed: number;
}
export type ReencryptReport = Record<string, TableReport>;

interface TablePlan {
  table: string;
  /** Primary key column (keyset pagination). */
  key: string;
  /** Extra columns the AAD needs, as SQL select expressions with their alias. */
  select: string;
  from: string;
  /** `binary`: the plaintext is bytes (photos), not UTF-8 text. */
  columns: { column: string; aad: (row: Record<string, unknown>) => string; binary?: boolean }[];
  /** Keep updated_at as it was: re-encryption is not a change of the data. */
  keepUpdatedAt: boolean;
  /** The key is a string, not a number. */
  stringKey?: boolean;
}

const PLANS: TablePlan[] = [
  {
    table: 'clients', key: 'id', select: 't.public_id AS publicId', from: 'clients t',
    columns: [
      { column: 'name_enc', aad: (r) => clientAad.client(String(r.publicId), 'name') },
      { column: 'phone_enc', aad: (r) => clientAad.client(String(r.publicId), 'phone') },
      { column: 'address_enc', aad: (r) => clientAad.client(String(r.publicId), 'address') },
    ],
    keepUpdatedAt: true,
  },
  {
    table: 'consents', key: 'id', select: 't.public_id AS publicId', from: 'consents t',
    columns: [{ column: 'guardian_name_enc', aad: (r) => clientAad.guardianName(String(r.publicId)) }],
    keepUpdatedAt: false,
  },
  {
    table: 'medical_records', key: 'client_id', select: 'c.public_id AS publicId', from: 'medical_records t JOIN clients c ON c.id = t.client_id',
    columns: MEDICAL_FIELDS.map((f) => ({ column: MEDICAL_COLUMNS[f], aad: (r: Record<string, unknown>) => clientAad.medical(String(r.publicId), f) })),
    keepUpdatedAt: true,
  },
  {
    table: 'data_exports', key: 'id', select: 't.public_id AS publicId', from: 'data_exports t',
    columns: [{ column: 'payload_enc', aad: (r) => clientAad.exportPayload(String(r.publicId)) }],
    keepUpdatedAt: false,
  },
  {
    table: 'questionnaire_responses', key: 'id', select: 't.public_id AS publicId', from: 'questionnaire_responses t',
    columns: [
      { column: 'answers_enc', aad: (r) => questionnaireAad.answers(String(r.publicId)) },
      { column: 'health_answers_enc', aad: (r) => questionnaireAad.healthAnswers(String(r.publicId)) },
      { column: 'safety_flags_enc', aad: (r) => questionnaireAad.safetyFlags(String(r.publicId)) },
    ],
    keepUpdatedAt: false,
  },
  {
    table: 'questionnaire_drafts', key: 'id', select: 't.client_id AS clientId, t.template_id AS templateId', from: 'questionnaire_drafts t',
    columns: [{ column: 'answers_enc', aad: (r) => questionnaireAad.draft(Number(r.clientId), Number(r.templateId)) }],
    keepUpdatedAt: true,
  },
  {
    table: 'client_intents', key: 'client_id', select: 't.client_id AS clientId', from: 'client_intents t',
    columns: [{ column: 'key_answers_enc', aad: (r) => questionnaireAad.keyAnswers(Number(r.clientId)) }],
    keepUpdatedAt: true,
  },
  ...CONSULTATION_ENCRYPTED_TABLES,
  {
    table: 'satisfaction_surveys', key: 'id', select: 't.public_id AS publicId', from: 'satisfaction_surveys t',
    columns: [{ column: 'comment_enc', aad: (r) => feedbackAad.surveyComment(String(r.publicId)) }],
    keepUpdatedAt: false,
  },
  {
    table: 'feedback_cases', key: 'id', select: 't.public_id AS publicId', from: 'feedback_cases t',
    columns: [
      { column: 'text_enc', aad: (r) => feedbackAad.caseText(String(r.publicId)) },
      { column: 'resolution_enc', aad: (r) => feedbackAad.caseResolution(String(r.publicId)) },
    ],
    keepUpdatedAt: false,
  },
  {
    table: 'wecom_contacts', key: 'contact_id', select: 't.contact_id AS contactId', from: 'wecom_contacts t',
    columns: [{ column: 'name_enc', aad: (r) => contactNameAad(String(r.contactId)) }],
    keepUpdatedAt: true,
    stringKey: true,
  },
  {
    table: 'inbound_messages', key: 'id', select: 't.public_id AS publicId', from: 'inbound_messages t',
    columns: [{ column: 'text_enc', aad: (r) => inboundAad(String(r.publicId)) }],
    keepUpdatedAt: false,
  },
  {
    // updated_at dates a finished row for the retention task: re-encryption must not move it.
    table: 'outbox_messages', key: 'id', select: 't.dedupe_key AS dedupeKey', from: 'outbox_messages t',
    columns: [{ column: 'payload_enc', aad: (r) => outboxAad(String(r.dedupeKey)) }],
    keepUpdatedAt: true,
  },
  {
    table: 'staff_tasks', key: 'id', select: 't.public_id AS publicId', from: 'staff_tasks t',
    columns: (['title', 'details', 'note'] as const).map((c) => ({ column: `${c}_enc`, aad: (r: Record<string, unknown>) => taskAad(String(r.publicId), c) })),
    keepUpdatedAt: false,
  },
  {
    table: 'order_refunds', key: 'id', select: 't.public_id AS publicId', from: 'order_refunds t',
    columns: [{ column: 'reason_enc', aad: (r) => refundReasonAad(String(r.publicId)) }],
    keepUpdatedAt: false,
  },
  {
    table: 'treatments', key: 'id', select: 't.public_id AS publicId', from: 'treatments t',
    columns: [
      { column: 'notes_enc', aad: (r) => treatmentAad(String(r.publicId)) },
      { column: 'advice_enc', aad: (r) => treatmentAad(String(r.publicId), 'advice') },
    ],
    keepUpdatedAt: false,
  },
  {
    table: 'progress_photo_blobs', key: 'photo_id', select: 'p.public_id AS publicId', from: 'progress_photo_blobs t JOIN progress_photos p ON p.id = t.photo_id',
    columns: [{ column: 'data_enc', aad: (r) => photoAad(String(r.publicId)), binary: true }],
    keepUpdatedAt: false,
  },
  {
    table: 'client_notes', key: 'id', select: 't.public_id AS publicId', from: 'client_notes t',
    columns: [{ column: 'body_enc', aad: (r) => noteAad(String(r.publicId)) }],
    keepUpdatedAt: false,
  },
  {
    table: 'staff', key: 'id', select: 't.id AS staffId', from: 'staff t',
    columns: [
      { column: 'totp_secret_enc', aad: (r) => totpAad.secret(Number(r.staffId)) },
      { column: 'totp_pending_enc', aad: (r) => totpAad.pending(Number(r.staffId)) },
    ],
    keepUpdatedAt: true,
  },
  {
    table: 'import_jobs', key: 'id', select: 't.public_id AS publicId', from: 'import_jobs t',
    columns: [{ column: 'report_enc', aad: (r) => importReportAad(String(r.publicId)) }],
    keepUpdatedAt: false,
  },
];

/**
 * Encrypted columns the command leaves alone, and why. Every other `*_enc` column of the schema
 * must be in PLANS (test/system/reencrypt-coverage.test.ts checks it against the live schema).
 */
export const NOT_REENCRYPTED: Record<string, string> = {
  'import_file_chunks.data_enc': 'an uploaded file kept only until its import ends (then purged); finish or cancel imports before retiring a key',
};

/** `table.column` of every column the command re-encrypts. */
export const REENCRYPTED_COLUMNS: string[] = PLANS.flatMap((p) => p.columns.map((c) => `${p.table}.${c.column}`));

export interface ReencryptDeps {
  db: DataSource;
  config: Config;
  logger?: Logger;
}

/** Re-encrypts all encrypted columns under config's newest key version; returns counts per table. */
export async function reencryptAll(deps: ReencryptDeps, opts: { batchSize?: number } = {}): Promise<ReencryptReport> {
  const { db, config } = deps;
  const log = deps.logger ?? createLogger(config.logLevel, { module: 'reencrypt' });
  const cipher = new FieldCipher(config.crypto.dataKeys, config.crypto.currentKeyVersion, config.crypto.blindIndexKeys);
  const version = cipher.currentKeyVersion;
  const batchSize = opts.batchSize ?? 200;
  const report: ReencryptReport = {};

  for (const plan of PLANS) {
    const counts: TableReport = { scanned: 0, reencrypted: 0, failed: 0 };
    report[plan.table] = counts;
    // ORD() of a binary string is its first byte: the key version. NULLs never match.
    const stale = plan.columns.map((c) => `ORD(t.${c.column}) <> ${version}`).join(' OR ');
    const cols = plan.columns.map((c) => `t.${c.column} AS ${c.column}`).join(', ');
    // Keyset cursor: numeric ids start below 0; string keys (WeCom contact ids) below ''.
    let after: number | string = plan.stringKey ? '' : 0;
    for (;;) {
      const batch: Record<string, unknown>[] = await db.query(
        `SELECT t.${plan.key} AS k FROM ${plan.from} WHERE t.${plan.key} > ? AND (${stale}) ORDER BY t.${plan.key} LIMIT ?`,
        [after, batchSize],
      );
      if (!batch.length) break;
      for (const { k } of batch) {
        after = plan.stringKey ? String(k) : Number(k);
        counts.scanned++;
        try {
          const changed = await runInTransaction(db, async (m) => {
            const rows: Record<string, unknown>[] = await m.query(
              `SELECT ${plan.select}, ${cols} FROM ${plan.from} WHERE t.${plan.key} = ? FOR UPDATE`,
              [k],
            );
            const row = rows[0];
            if (!row) return false;
            const sets: string[] = [];
            const values: unknown[] = [];
            for (const c of plan.columns) {
              const blob = row[c.column] as Buffer | null;
              if (!blob || cipher.keyVersionOf(blob) === version) continue;
              sets.push(`${c.column} = ?`);
              values.push(c.binary
                ? cipher.encryptBytes(cipher.decryptBytes(blob, c.aad(row)), c.aad(row))
                : cipher.encrypt(cipher.decrypt(blob, c.aad(row)), c.aad(row)));
            }
            if (!sets.length) return false;
            if (plan.keepUpdatedAt) sets.push('updated_at = updated_at');
            await m.query(`UPDATE ${plan.table} SET ${sets.join(', ')} WHERE ${plan.key} = ?`, [...values, k]);
            return true;
          });
          if (changed) counts.reencrypted++;
        } catch (err) {
          // A value that cannot be decrypted (unknown key, copied from another row) is left as it is.
          counts.failed++;
          log.error({ table: plan.table, key: k, code: (err as { code?: string }).code }, 'row could not be re-encrypted');
        }
      }
    }
  }
  return report;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { module: 'reencrypt' });
  const db = createDataSource(config.db);
  await db.initialize();
  try {
    const report = await reencryptAll({ db, config, logger });
    let failed = 0;
    for (const [table, c] of Object.entries(report)) {
      process.stdout.write(`${table}: scanned=${c.scanned} reencrypted=${c.reencrypted} failed=${c.failed}\n`);
      failed += c.failed;
    }
    process.stdout.write(`key version ${config.crypto.currentKeyVersion}: done${failed ? ` with ${failed} failures (see the log)` : ''}\n`);
    // Then the blind indexes, under the newest blind-index key (src/cli/reindex.ts).
    const reindexed = await reindexAll({ db, config, logger });
    for (const [table, c] of Object.entries(reindexed)) {
      process.stdout.write(`${table} (blind indexes): scanned=${c.scanned} reindexed=${c.reindexed} kept=${c.kept}\n`);
    }
    process.exitCode = failed ? 1 : 0;
  } finally {
    await db.destroy();
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`reencrypt failed: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
