import { SEND_TASK_CHANNEL } from './delivery.channels';
import { QUIET_KINDS, quietUntil } from './delivery.rules';
import type { Support } from './delivery.shared';
import type { Claimed } from './delivery.types';

// With no bot in this process (the scheduler's drain), only client messages the bot has left for
// this long are taken: those need no WeCom (subscribe messages, staff tasks) and must not wait for a bot that is down.
const NO_BOT_GRACE_MS = 5 * 60_000;

/**
 * A row's way through the queue before and after its send: leases of dead drains, quiet hours,
 * the claim, and send tasks given back. A row is held by one drain at a time: claimed by a
 * conditional UPDATE (status → sending, a lease and a claim token).
 */
export class Claims {
  constructor(private readonly s: Support) {}

  /** Rows whose drain died (lease expired while sending) go back to the queue; they may have been sent already. */
  async recoverLeases(now: Date): Promise<void> {
    const rows: { id: string | number; kind: string; attempts: number }[] = await this.s.deps.db.query(
      "SELECT id, kind, attempts FROM outbox_messages WHERE status = 'sending' AND lease_until <= ? LIMIT 1000", [now],
    );
    if (!rows.length) return;
    const ids = rows.map((r) => String(r.id));
    const res = await this.s.retried((m) => m.query(
      `UPDATE outbox_messages SET status = 'pending', lease_until = NULL, claim_token = NULL,
              last_error = 'lease expired while sending: it may have been sent already'
        WHERE status = 'sending' AND lease_until <= ? AND id IN (${ids.map(() => '?').join(',')})`,
      [now, ...ids],
    ));
    this.s.log.warn({ ids, recovered: Number(res.affectedRows) }, 'delivery lease expired: these messages will be sent again (possible duplicates)');
  }

  /** During quiet hours, client kinds that fall due wait until they end (one statement for all of them). */
  async holdForQuietHours(now: Date): Promise<number> {
    const until = quietUntil(this.s.cfg.quietHours, now);
    if (!until) return 0;
    const res = await this.s.retried((m) => m.query(
      `UPDATE outbox_messages SET due_at = ? WHERE status = 'pending' AND due_at <= ? AND kind IN (${QUIET_KINDS.map(() => '?').join(',')})`,
      [until, now, ...QUIET_KINDS],
    ));
    return Number(res.affectedRows);
  }

  /**
   * Claims up to a batch of due rows with one conditional UPDATE: a row another drain holds is no
   * longer 'pending', so it cannot be claimed twice. The attempt is counted here, so a message that
   * kills every drain that sends it still runs out of attempts.
   */
  async claim(token: string, now: Date, accountId: string | null): Promise<Claimed[]> {
    const noBot = accountId === null;
    // In quiet hours no client kind is claimed, even one written since holdForQuietHours ran (it
    // waits, still due, for the first drain after the quiet hours).
    const quiet = quietUntil(this.s.cfg.quietHours, now) !== null;
    if (quiet && noBot) return [];
    const lease = new Date(now.getTime() + this.s.cfg.leaseSeconds * 1000);
    // One bot per WeCom account (DESIGN.md): a bot leaves a client's messages and tag syncs to the
    // account that client's contact belongs to.
    // The official API needs no bot: with it, the drain without a bot takes tag syncs too, and with no
    // bot at all (WECOM_MODE=official) client messages need not wait for one.
    const official = this.s.deps.official?.() !== undefined;
    const grace = official && this.s.deps.config.wecom.mode === 'official' ? 0 : NO_BOT_GRACE_MS;
    const filter = noBot
      ? `AND ((kind = 'client_message' AND due_at <= ?)${official ? " OR kind = 'tag_sync'" : ''})`
      : `AND (kind NOT IN ('client_message', 'tag_sync') OR client_id IS NULL
              OR NOT EXISTS (SELECT 1 FROM wecom_contacts w WHERE w.client_id = outbox_messages.client_id AND w.account_id <> ?))`;
    // READ COMMITTED: no gap locks, and rows another drain holds are skipped once they no longer match.
    await this.s.retried((m) =>
      m.query(
        `UPDATE outbox_messages SET status = 'sending', claim_token = ?, lease_until = ?, send_started_at = NULL, attempts = attempts + 1
          WHERE status = 'pending' AND due_at <= ? ${filter} ${quiet ? `AND kind NOT IN (${QUIET_KINDS.map(() => '?').join(',')})` : ''}
          ORDER BY due_at, id LIMIT ?`,
        [token, lease, now, noBot ? new Date(now.getTime() - grace) : accountId, ...(quiet ? QUIET_KINDS : []), this.s.cfg.batch],
      ),
    );
    const rows: { id: string | number; kind: string; dedupe_key: string; client_id: number | null; payload_enc: Buffer | null; attempts: number; sent_to: unknown }[] =
      await this.s.deps.db.query('SELECT id, kind, dedupe_key, client_id, payload_enc, attempts, sent_to FROM outbox_messages WHERE claim_token = ? ORDER BY due_at, id', [token]);
    const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
    const claimed: Claimed[] = [];
    for (const r of rows) {
      let payload: Record<string, any>;
      try {
        payload = this.s.deps.outbox.openPayload(r.dedupe_key, r.payload_enc);
      } catch {
        // A payload no configured key opens (a key removed too early) can never be sent: it fails
        // at once instead of coming back after every lease.
        this.s.log.error({ outboxId: String(r.id), kind: r.kind }, 'outbox payload cannot be decrypted; the message fails');
        await this.s.deps.db.query(
          "UPDATE outbox_messages SET status = 'failed', last_error = 'payload cannot be decrypted', lease_until = NULL, claim_token = NULL WHERE id = ? AND claim_token = ?",
          [r.id, token],
        );
        continue;
      }
      claimed.push({
        id: String(r.id),
        kind: r.kind,
        clientId: r.client_id === null ? null : Number(r.client_id),
        payload,
        attempts: Number(r.attempts),
        sentTo: (json(r.sent_to) as string[] | null) ?? [],
      });
    }
    return claimed;
  }


  /**
   * The moment of no return, just before a claimed row's first send: the rows still held under
   * `token` are marked as being sent and returned. A row its producer withdrew meanwhile (an
   * appointment moved or cancelled, an order refunded: OutboxService.cancelPending) is cancelled
   * and no longer under the token, so it never goes; once marked, a withdrawal leaves it to this
   * drain (it may be out already). The check and the mark are one conditional UPDATE, so a
   * withdrawal is either before it or after it, never in between.
   */
  async begin(rows: Claimed[], token: string, now: Date): Promise<Set<string>> {
    if (!rows.length) return new Set();
    const ids = rows.map((r) => r.id);
    const inIds = `id IN (${ids.map(() => '?').join(',')})`;
    // By primary key: a scan of ix_outbox_due ('sending') would read every row the drains hold.
    const res = await this.s.deps.db.query(
      `UPDATE outbox_messages FORCE INDEX (PRIMARY) SET send_started_at = ? WHERE ${inIds} AND claim_token = ? AND status = 'sending'`, [now, ...ids, token],
    );
    // Every row marked, the usual case; else which ones (a marked row stays marked and under the token: no withdrawal takes it any more).
    if (Number(res.affectedRows) === ids.length) return new Set(ids);
    if (ids.length === 1) return new Set();
    const held: { id: string | number }[] = await this.s.deps.db.query(
      `SELECT id FROM outbox_messages FORCE INDEX (PRIMARY) WHERE ${inIds} AND claim_token = ? AND status = 'sending' AND send_started_at IS NOT NULL`, [...ids, token],
    );
    return new Set(held.map((h) => String(h.id)));
  }

  /**
   * Send tasks the consultant did not confirm in time come back to the queue for the channels after
   * the send task (the bot, a subscribe message, a staff task). Exactly once: only rows still
   * recorded as handed to a send task are taken. Returns how many came back.
   */
  async fallBack(outboxIds: string[], reason: string): Promise<number> {
    if (!outboxIds.length) return 0;
    const res = await this.s.retried((m) => m.query(
      `UPDATE outbox_messages SET status = 'pending', channel = NULL, sent_at = NULL, due_at = ?, attempts = 0, last_error = ?
        WHERE status = 'sent' AND channel = ? AND id IN (${outboxIds.map(() => '?').join(',')})`,
      [this.s.deps.clock.now(), reason.slice(0, 480), SEND_TASK_CHANNEL, ...outboxIds],
    ));
    return Number(res.affectedRows);
  }
}
