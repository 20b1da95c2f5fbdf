import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '../../shared/clock';
import { isDuplicateKey } from '../../shared/db';
import type { FieldCipher } from '../../shared/crypto';
import type { OutboxStatus } from './outbox.entity';

/** The statuses a row never leaves (the delivery module): only these are ever purged. */
const FINISHED: readonly OutboxStatus[] = ['sent', 'failed', 'cancelled'];
const PURGE_BATCH = 500;

/**
 * The rows a withdrawal cancels: those waiting, and those a drain has claimed but not begun to send
 * (it checks the row just before its send, in the same statement that marks the send begun, and
 * drops a cancelled one). A row whose send has begun may be out already: it stays the drain's.
 */
const WITHDRAWABLE = "(status = 'pending' OR (status = 'sending' AND send_started_at IS NULL))";
// A withdrawn row is held by no drain any more.
const WITHDRAW = "status = 'cancelled', lease_until = NULL, claim_token = NULL";

/**
 * Dedupe keys that are the only guard against a second message: retention keeps their rows. A
 * plan's notice `plan:<plan>:<revision>` goes once per revision, and proposing a plan again as it
 * is after a change request enqueues the same key (consultations, propose). Every other producer
 * records what it already queued in its own table (step status, appointment version, claimed post
 * occurrence, answered survey, escalated case, dormant action), so its old rows may go.
 */
export const RETAINED_KEY_PREFIXES: readonly string[] = ['plan:'];

export interface OutboxInput {
  /** What the bot should do: 'tag_sync', 'followup', 'post', 'staff_alert' … */
  kind: string;
  /** Unique for the purpose: the same key never makes a second row. */
  dedupeKey: string;
  clientId?: number | null;
  payload: Record<string, unknown>;
  /** When it may be delivered (default: now). */
  dueAt?: Date;
}

export interface OutboxView {
  id: string;
  kind: string;
  dedupeKey: string;
  clientId: number | null;
  payload: Record<string, unknown>;
  dueAt: Date;
  status: OutboxStatus;
  attempts: number;
}

/**
 * Associated data of the encrypted payload: the dedupe key is the row's identity known before the
 * insert (unique), so a payload copied onto another row fails to decrypt.
 */
export const outboxAad = (dedupeKey: string): string => `outbox_messages:${dedupeKey}:payload`;

/**
 * Writes outbox rows inside the caller's transaction; the delivery engine drains them. A payload
 * carries message texts that greet the client and name procedures, so rows hold it encrypted
 * (`payload_enc`, DESIGN.md, sensitive fields); callers write and read plain objects.
 */
export class OutboxService {
  constructor(private readonly deps: { db: DataSource; clock: Clock; cipher: FieldCipher }) {}

  /** Adds a row unless one with the same dedupe key exists; `created` says which. */
  async enqueue(m: EntityManager, input: OutboxInput): Promise<{ created: boolean }> {
    const dueAt = input.dueAt ?? this.deps.clock.now();
    try {
      await m.query(
        `INSERT INTO outbox_messages (kind, dedupe_key, client_id, payload_enc, due_at, status, attempts) VALUES (?, ?, ?, ?, ?, 'pending', 0)`,
        [input.kind, input.dedupeKey, input.clientId ?? null, this.seal(input.dedupeKey, input.payload), dueAt],
      );
      return { created: true };
    } catch (err) {
      // A duplicate key fails only this statement; the caller's transaction goes on.
      if (isDuplicateKey(err)) return { created: false };
      throw err;
    }
  }

  /**
   * Adds many rows in one statement (set-based producers: follow-ups, RFM); a dedupe key that
   * exists already is skipped.
   */
  async enqueueMany(m: EntityManager, inputs: OutboxInput[]): Promise<void> {
    const now = this.deps.clock.now();
    for (let i = 0; i < inputs.length; i += PURGE_BATCH) {
      const chunk = inputs.slice(i, i + PURGE_BATCH);
      await m.query(
        `INSERT INTO outbox_messages (kind, dedupe_key, client_id, payload_enc, due_at) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?)').join(', ')}
         ON DUPLICATE KEY UPDATE id = id`,
        chunk.flatMap((o) => [o.kind, o.dedupeKey, o.clientId ?? null, this.seal(o.dedupeKey, o.payload), o.dueAt ?? now]),
      );
    }
  }

  /**
   * The payload of a row read from the table (the delivery engine's claim); an erased payload (a
   * deleted account) reads as `{ erased: true }`.
   */
  openPayload(dedupeKey: string, payloadEnc: Buffer | null): Record<string, unknown> {
    if (!payloadEnc) return { erased: true };
    return JSON.parse(this.deps.cipher.decrypt(payloadEnc, outboxAad(dedupeKey))) as Record<string, unknown>;
  }

  private seal(dedupeKey: string, payload: Record<string, unknown>): Buffer {
    return this.deps.cipher.encryptJson(payload, outboxAad(dedupeKey));
  }

  /**
   * Cancels a client's rows not yet sent whose dedupe key starts with `prefix` (e.g. an order's
   * follow-ups on refund, a moved appointment's reminders). See WITHDRAWABLE.
   */
  async cancelPending(m: EntityManager, clientId: number, prefix: string): Promise<number> {
    const result = await m.query(
      `UPDATE outbox_messages SET ${WITHDRAW} WHERE client_id = ? AND dedupe_key LIKE ? AND ${WITHDRAWABLE}`,
      [clientId, likePrefix(prefix)],
    );
    return Number(result.affectedRows);
  }

  /** Cancels the rows with exactly these dedupe keys not yet sent (e.g. a cancelled treatment's follow-ups); returns how many. See WITHDRAWABLE. */
  async cancelPendingKeys(m: EntityManager, dedupeKeys: string[]): Promise<number> {
    if (!dedupeKeys.length) return 0;
    const result = await m.query(
      `UPDATE outbox_messages SET ${WITHDRAW} WHERE dedupe_key IN (${dedupeKeys.map(() => '?').join(',')}) AND ${WITHDRAWABLE}`,
      dedupeKeys,
    );
    return Number(result.affectedRows);
  }

  /**
   * The account is deleted (PIPL): what was still to go is cancelled and every row's payload, which
   * can name the client and their procedures, is erased. Rows stay as the record of what was sent
   * until the retention task (purgeFinished) deletes them.
   */
  readonly clientDataHooks = {
    onAccountDeleted: async (m: EntityManager, clientId: number): Promise<void> => {
      // What no drain has begun to send is withdrawn (and let go by its drain, as every withdrawal);
      // a send already begun is the drain's to record. MySQL applies SET left to right: status last.
      await m.query(
        `UPDATE outbox_messages SET payload_enc = NULL,
                lease_until = IF(${WITHDRAWABLE}, NULL, lease_until), claim_token = IF(${WITHDRAWABLE}, NULL, claim_token),
                status = IF(${WITHDRAWABLE}, 'cancelled', status) WHERE client_id = ?`,
        [clientId],
      );
    },
  };

  /**
   * Deletes the rows that finished (sent, failed, cancelled) before `before`, except those under
   * RETAINED_KEY_PREFIXES; returns how many went (scheduler task 'outbox-retention'). A row finished
   * at sent_at, else at its last change (updated_at). A drain takes a row only once it is due, so
   * ix_outbox_due read in key order up to `before` finds every candidate without reading a row (one
   * cancelled before its due time waits for that time too). Each batch is a DELETE by primary key
   * that checks everything again: a second run beside it only finds less to do.
   */
  async purgeFinished(before: Date, batch = PURGE_BATCH): Promise<number> {
    const retained = RETAINED_KEY_PREFIXES.map(() => 'AND dedupe_key NOT LIKE ?').join(' ');
    const retainedParams = RETAINED_KEY_PREFIXES.map(likePrefix);
    let deleted = 0;
    for (const status of FINISHED) {
      let after: { dueAt: Date; id: string | number } = { dueAt: new Date(0), id: 0 };
      for (;;) {
        const rows: { id: string | number; due_at: Date }[] = await this.deps.db.query(
          `SELECT id, due_at FROM outbox_messages WHERE status = ? AND due_at < ? AND (due_at > ? OR (due_at = ? AND id > ?))
            ORDER BY due_at, id LIMIT ?`,
          [status, before, after.dueAt, after.dueAt, after.id, batch],
        );
        if (!rows.length) break;
        const res: { affectedRows?: number } = await this.deps.db.query(
          `DELETE FROM outbox_messages WHERE id IN (?) AND status = ? AND COALESCE(sent_at, updated_at) < ? ${retained}`,
          [rows.map((r) => r.id), status, before, ...retainedParams],
        );
        deleted += Number(res.affectedRows ?? 0);
        if (rows.length < batch) break;
        const last = rows[rows.length - 1];
        after = { dueAt: last.due_at, id: last.id };
      }
    }
    return deleted;
  }

  /** Rows of a client, newest first (for tests and staff views). */
  async listForClient(clientId: number, kind?: string, m?: EntityManager): Promise<OutboxView[]> {
    const rows: any[] = await (m ?? this.deps.db.manager).query(
      `SELECT id, kind, dedupe_key, client_id, payload_enc, due_at, status, attempts FROM outbox_messages
        WHERE client_id = ? ${kind ? 'AND kind = ?' : ''} ORDER BY id DESC LIMIT 200`,
      kind ? [clientId, kind] : [clientId],
    );
    return rows.map((r) => ({
      id: String(r.id),
      kind: r.kind,
      dedupeKey: r.dedupe_key,
      clientId: r.client_id,
      payload: this.openPayload(r.dedupe_key, r.payload_enc),
      dueAt: r.due_at,
      status: r.status,
      attempts: r.attempts,
    }));
  }
}

/** A LIKE pattern for "starts with `prefix`". */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, '\\$&')}%`;
}
