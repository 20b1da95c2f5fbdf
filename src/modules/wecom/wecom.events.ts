import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import type { ExternalContactStatus } from './wecom.entity';

interface EventRow {
  id: string;
  event: string;
  change_type: string | null;
  create_time: Date;
  fields: Record<string, string> | string;
  attempts: number;
}

export interface EventOutcome {
  status: 'done' | 'skipped';
  outcome: string;
}

/** What processing an add event does beyond recording the relation (welcome message, linking the client). */
export type AddedHook = (m: EntityManager | null, added: { externalUserId: string; userid: string; staffId: number | null; state: string | null; welcomeCode: string | null; at: Date }) => Promise<string | null>;

const MAX_ATTEMPTS = 5;
const LEASE_MS = 60_000;
const RETRY_BASE_MS = 30_000;

/**
 * Processes recorded callback events from the table, oldest event first. A row is claimed by a
 * conditional UPDATE (a lease), so several processes may run this side by side; a failure is
 * retried with backoff and given up after a few attempts. Relations are changed only by newer
 * events than the last one applied, so events arriving out of order (a delete before its add)
 * end in the state of the newest.
 */
export class EventProcessor {
  private inFlight: Promise<unknown> | null = null;
  private again = false;
  readonly addedHooks: AddedHook[] = [];
  /** A staff member edited the contact in WeCom (tags among it): returns the outcome to record. */
  readonly editedHooks: ((externalUserId: string, userid: string) => Promise<string>)[] = [];
  /** The corp's tag library changed. */
  readonly libraryHooks: (() => Promise<void>)[] = [];

  constructor(private readonly deps: { db: DataSource; clock: Clock; log: Logger }) {}

  /** Starts processing in the background unless it already runs (then it runs once more after). */
  kick(): void {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = (async () => {
      do {
        this.again = false;
        await this.processPending().catch((err) => this.deps.log.error({ err }, 'WeCom event processing failed'));
      } while (this.again);
    })().finally(() => { this.inFlight = null; });
  }

  /** Waits for background processing, then processes whatever is still due. */
  async drain(): Promise<number> {
    while (this.inFlight) await this.inFlight;
    let total = 0;
    for (;;) {
      const n = await this.processPending();
      total += n;
      if (n === 0) return total;
    }
  }

  async processPending(limit = 200): Promise<number> {
    const now = this.deps.clock.now();
    const leaseId = randomUUID();
    // One UPDATE claims a batch, oldest event first; a batch whose processor died is claimed again after its lease.
    const claimed: { affectedRows: number } = await this.deps.db.query(
      `UPDATE wecom_callback_events SET status = 'processing', lease_id = ?, lease_until = ?, attempts = attempts + 1
        WHERE (status = 'pending' AND next_attempt_at <= ?) OR (status = 'processing' AND lease_until < ?)
        ORDER BY create_time, id LIMIT ?`,
      [leaseId, new Date(now.getTime() + LEASE_MS), now, now, limit],
    );
    if (claimed.affectedRows === 0) return 0;
    const rows: EventRow[] = await this.deps.db.query(
      'SELECT id, event, change_type, create_time, fields, attempts FROM wecom_callback_events WHERE lease_id = ? ORDER BY create_time, id', [leaseId],
    );
    const finished = new Map<string, string[]>(); // "status outcome" → ids
    for (const row of rows) {
      try {
        const result = await this.apply(row);
        const key = `${result.status} ${result.outcome}`;
        finished.set(key, [...(finished.get(key) ?? []), row.id]);
      } catch (err) {
        const giveUp = row.attempts >= MAX_ATTEMPTS;
        const message = (err instanceof Error ? err.message : String(err)).slice(0, 255);
        this.deps.log.warn({ eventId: row.id, event: row.event, changeType: row.change_type, attempts: row.attempts, err: message }, 'WeCom event failed');
        await this.deps.db.query(
          'UPDATE wecom_callback_events SET status = ?, lease_id = NULL, lease_until = NULL, last_error = ?, next_attempt_at = ? WHERE id = ? AND lease_id = ?',
          [giveUp ? 'failed' : 'pending', message, new Date(this.deps.clock.now().getTime() + RETRY_BASE_MS * 2 ** (row.attempts - 1)), row.id, leaseId],
        );
      }
    }
    for (const [key, ids] of finished) {
      const [status, outcome] = key.split(' ');
      await this.deps.db.query(
        `UPDATE wecom_callback_events SET status = ?, outcome = ?, lease_id = NULL, lease_until = NULL, last_error = NULL, processed_at = ?
          WHERE lease_id = ? AND id IN (${ids.map(() => '?').join(',')})`,
        [status, outcome, this.deps.clock.now(), leaseId, ...ids],
      );
    }
    return rows.length;
  }

  private async apply(row: EventRow): Promise<EventOutcome> {
    const f: Record<string, string> = typeof row.fields === 'string' ? JSON.parse(row.fields) : row.fields;
    const at = new Date(row.create_time);
    if (row.event === 'change_external_contact') {
      const ext = f.ExternalUserID;
      const userid = f.UserID;
      if (!ext || !userid) return { status: 'skipped', outcome: 'incomplete' };
      switch (row.change_type) {
        case 'add_external_contact':
        case 'add_half_external_contact': {
          const applied = await this.relation(ext, userid, 'active', at, { state: f.State ?? null, added: true });
          if (applied.stale) return { status: 'done', outcome: 'stale' };
          let outcome = applied.staffId === null ? 'unknown_staff' : 'added';
          for (const hook of this.addedHooks) {
            outcome = (await hook(null, { externalUserId: ext, userid, staffId: applied.staffId, state: f.State ?? null, welcomeCode: f.WelcomeCode ?? null, at })) ?? outcome;
          }
          return { status: 'done', outcome };
        }
        case 'edit_external_contact': {
          const applied = await this.relation(ext, userid, 'active', at, {});
          if (applied.stale) return { status: 'done', outcome: 'stale' };
          let outcome = 'edited';
          for (const hook of this.editedHooks) outcome = await hook(ext, userid);
          return { status: 'done', outcome };
        }
        case 'del_external_contact': {
          const applied = await this.relation(ext, userid, 'deleted_by_staff', at, {});
          return { status: 'done', outcome: applied.stale ? 'stale' : 'deleted_by_staff' };
        }
        case 'del_follow_user': {
          const applied = await this.relation(ext, userid, 'deleted_by_client', at, {});
          return { status: 'done', outcome: applied.stale ? 'stale' : 'deleted_by_client' };
        }
        default:
          return { status: 'skipped', outcome: 'unsupported_change' };
      }
    }
    // The corp's tag library changed (tags created, renamed, deleted): the tag sync reads it again.
    if (row.event === 'change_external_tag') {
      for (const hook of this.libraryHooks) await hook();
      return { status: 'done', outcome: 'noted' };
    }
    // Client groups changed: recorded for the group features.
    if (row.event === 'change_external_chat') return { status: 'done', outcome: 'noted' };
    return { status: 'skipped', outcome: 'unsupported_event' };
  }

  /**
   * Applies an event to a relation unless a newer event was applied already, in one statement:
   * each assignment is guarded by the event time, and last_event_at is assigned last (MariaDB and
   * MySQL apply them left to right), so an older event changes nothing.
   */
  private async relation(
    ext: string, userid: string, status: ExternalContactStatus, at: Date, opts: { state?: string | null; added?: boolean },
  ): Promise<{ stale: boolean; staffId: number | null }> {
    const newer = 'VALUES(last_event_at) >= last_event_at';
    await this.deps.db.query(
      `INSERT INTO wecom_external_contacts (external_userid, userid, staff_id, state, status, added_at, last_event_at)
       VALUES (?, ?, (SELECT staff_id FROM wecom_staff_users WHERE userid = ?), ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE
         staff_id = IF(${newer}, VALUES(staff_id), staff_id),
         status = IF(${newer}, VALUES(status), status),
         ${opts.added ? `added_at = IF(${newer}, VALUES(added_at), added_at), state = IF(${newer}, VALUES(state), state),` : ''}
         last_event_at = IF(${newer}, VALUES(last_event_at), last_event_at)`,
      [ext, userid, userid, opts.state ?? null, status, opts.added ? at : null, at],
    );
    // The row now holds the newest event applied: a later one than this means this one was stale.
    const [row]: { last_event_at: Date; staff_id: number | null }[] = await this.deps.db.query(
      'SELECT last_event_at, staff_id FROM wecom_external_contacts WHERE external_userid = ? AND userid = ?', [ext, userid],
    );
    return { stale: new Date(row.last_event_at).getTime() > at.getTime(), staffId: row.staff_id === null ? null : Number(row.staff_id) };
  }
}
