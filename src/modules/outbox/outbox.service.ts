import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '../../shared/clock';
import { isDuplicateKey } from '../../shared/db';
import type { OutboxStatus } from './outbox.entity';

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

/** Writes outbox rows inside the caller's transaction; the bot (issue 5) delivers them. */
export class OutboxService {
  constructor(private readonly deps: { db: DataSource; clock: Clock }) {}

  /** Adds a row unless one with the same dedupe key exists; `created` says which. */
  async enqueue(m: EntityManager, input: OutboxInput): Promise<{ created: boolean }> {
    const dueAt = input.dueAt ?? this.deps.clock.now();
    try {
      await m.query(
        `INSERT INTO outbox_messages (kind, dedupe_key, client_id, payload, due_at, status, attempts) VALUES (?, ?, ?, ?, ?, 'pending', 0)`,
        [input.kind, input.dedupeKey, input.clientId ?? null, JSON.stringify(input.payload), dueAt],
      );
      return { created: true };
    } catch (err) {
      // A duplicate key fails only this statement; the caller's transaction goes on.
      if (isDuplicateKey(err)) return { created: false };
      throw err;
    }
  }

  /** Cancels a client's pending rows whose dedupe key starts with `prefix` (e.g. an order's follow-ups on refund). */
  async cancelPending(m: EntityManager, clientId: number, prefix: string): Promise<number> {
    const result = await m.query(
      `UPDATE outbox_messages SET status = 'cancelled' WHERE client_id = ? AND status = 'pending' AND dedupe_key LIKE ?`,
      [clientId, `${prefix.replace(/[\\%_]/g, '\\$&')}%`],
    );
    return Number(result.affectedRows);
  }

  /**
   * The account is deleted (PIPL): what was still to go is cancelled and every row's payload, which
   * can name the client and their procedures, is erased. Rows stay as the record of what was sent.
   */
  readonly clientDataHooks = {
    onAccountDeleted: async (m: EntityManager, clientId: number): Promise<void> => {
      await m.query(
        `UPDATE outbox_messages SET payload = JSON_OBJECT('erased', TRUE),
                status = IF(status IN ('pending', 'sending'), 'cancelled', status) WHERE client_id = ?`,
        [clientId],
      );
    },
  };

  /** Rows of a client, newest first (for tests and staff views). */
  async listForClient(clientId: number, kind?: string, m?: EntityManager): Promise<OutboxView[]> {
    const rows: any[] = await (m ?? this.deps.db.manager).query(
      `SELECT id, kind, dedupe_key, client_id, payload, due_at, status, attempts FROM outbox_messages
        WHERE client_id = ? ${kind ? 'AND kind = ?' : ''} ORDER BY id DESC LIMIT 200`,
      kind ? [clientId, kind] : [clientId],
    );
    return rows.map((r) => ({
      id: String(r.id),
      kind: r.kind,
      dedupeKey: r.dedupe_key,
      clientId: r.client_id,
      payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
      dueAt: r.due_at,
      status: r.status,
      attempts: r.attempts,
    }));
  }
}
