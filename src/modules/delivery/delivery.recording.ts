import type { EntityManager } from 'typeorm';
import { isDeadlock } from '../../shared/db';
import type { TaskInput } from '../worklist';
import { backoffSeconds } from './delivery.rules';
import { errorText } from './delivery.shared';
import type { Support } from './delivery.shared';
import type { Claimed, ClientInfo, DeliveredMessage, DrainReport, Outcome } from './delivery.types';

/**
 * Records what became of a batch, in one transaction and only for rows still under the drain's
 * token (a drain whose lease ran out records nothing over the drain that took its rows); tells the
 * delivery hooks what went out in that same transaction.
 */
export class OutcomeRecorder {
  constructor(private readonly s: Support) {}

  /** Records every outcome of a batch in one transaction, only for rows still under this drain's token. */
  async record(
    rows: Claimed[], outcomes: Map<string, Outcome>, clients: Map<number, ClientInfo>, token: string, now: Date,
  ): Promise<Omit<DrainReport, 'claimed'>> {
    const counts = { sent: 0, failed: 0, deferred: 0, cancelled: 0 };
    let lost = 0;
    let unrecorded: string[] = [];
    await this.s.retried(async (m) => {
      // A retried transaction counts again from zero.
      lost = 0;
      unrecorded = [];
      Object.assign(counts, { sent: 0, failed: 0, deferred: 0, cancelled: 0 });
      const delivered: DeliveredMessage[] = [];
      const tell = (row: Claimed, channel: string) => {
        if (channel !== 'none') delivered.push({ outboxId: row.id, kind: row.kind, clientId: row.clientId, channel, payload: row.payload, at: now });
      };
      const mine = (res: { affectedRows?: number }) => Number(res.affectedRows ?? 0);
      // Plain sends are recorded together, one statement per channel.
      const plain = new Map<string, string[]>();
      for (const row of rows) {
        const o = outcomes.get(row.id);
        if (o?.type === 'sent' && !o.sentTo) {
          const key = `${o.channel}\u0000${o.accountId ?? ''}`;
          plain.set(key, [...(plain.get(key) ?? []), row.id]);
        }
      }
      for (const [key, ids] of plain) {
        const [ch, account] = key.split('\u0000');
        const n = mine(await m.query(
          `UPDATE outbox_messages SET status = 'sent', channel = ?, account_id = ?, sent_at = ?, lease_until = NULL, claim_token = NULL, last_error = NULL
            WHERE claim_token = ? AND id IN (${ids.map(() => '?').join(',')})`,
          [ch, account || null, now, token, ...ids],
        ));
        counts.sent += n;
        lost += ids.length - n;
        // Sent is sent, even when another drain took the row over meanwhile.
        const group = new Set(ids);
        for (const row of rows) if (group.has(row.id)) tell(row, ch);
      }
      for (const row of rows) {
        const o = outcomes.get(row.id);
        if (!o || (o.type === 'sent' && !o.sentTo)) continue;
        if (o.type === 'withdrawn') {
          counts.cancelled++;
          continue;
        }
        const client = row.clientId === null ? undefined : clients.get(row.clientId);
        const n = mine(await this.recordOne(m, row, o, client, token, now));
        if (o.type === 'sent') tell(row, o.channel);
        // The staff task exists only when this drain recorded the row.
        else if (o.type === 'manual' && n) tell(row, 'staff_task');
        if (!n) {
          lost++;
          unrecorded.push(row.id);
          continue;
        }
        if (o.type === 'sent' || o.type === 'manual') counts.sent++;
        else if (o.type === 'failed') counts.failed++;
        else if (o.type === 'cancelled') counts.cancelled++;
        else if (o.type === 'deferred') counts.deferred++;
        else if (row.attempts >= this.s.cfg.maxAttempts) counts.failed++;
        else counts.deferred++;
      }
      for (const hook of delivered.length ? this.s.deps.hooks ?? [] : []) {
        try {
          await hook.onDelivered(m, delivered);
        } catch (err) {
          if (isDeadlock(err)) throw err;
          this.s.log.error({ err: errorText(err), outboxIds: delivered.map((d) => d.outboxId) }, 'delivery hook failed; the messages stay recorded as sent');
        }
      }
    });
    // A row withdrawn by its producer while it waited (the budget, a retry) is no longer this drain's either: it counts as cancelled.
    const withdrawn = await this.withdrawnAmong(unrecorded);
    counts.cancelled += withdrawn;
    lost -= withdrawn;
    if (lost) this.s.log.warn({ lost }, 'delivery results not recorded: another drain took these rows over after the lease expired');
    return counts;
  }

  private async withdrawnAmong(ids: string[]): Promise<number> {
    if (!ids.length) return 0;
    const [{ n }] = await this.s.deps.db.query(
      `SELECT COUNT(*) AS n FROM outbox_messages WHERE status = 'cancelled' AND claim_token IS NULL AND id IN (${ids.map(() => '?').join(',')})`, ids,
    );
    return Number(n);
  }

  private async recordOne(
    m: EntityManager, row: Claimed, o: Exclude<Outcome, { type: 'withdrawn' }>, client: ClientInfo | undefined, token: string, now: Date,
  ): Promise<{ affectedRows?: number }> {
    const where = 'WHERE id = ? AND claim_token = ?';
    const sentTo = 'sentTo' in o && o.sentTo ? JSON.stringify(o.sentTo) : null;
    switch (o.type) {
      case 'sent':
        return m.query(
          `UPDATE outbox_messages SET status = 'sent', channel = ?, account_id = ?, sent_at = ?, sent_to = COALESCE(?, sent_to), lease_until = NULL, claim_token = NULL, last_error = NULL ${where}`,
          [o.channel, o.accountId, now, sentTo, row.id, token],
        );
      case 'manual': {
        const res = await m.query(
          `UPDATE outbox_messages SET status = 'sent', channel = 'staff_task', sent_at = ?, lease_until = NULL, claim_token = NULL, last_error = ? ${where}`,
          [now, [...String(o.task.details?.reason ?? '')].slice(0, 480).join('') || null, row.id, token],
        );
        if (Number(res.affectedRows) === 1) await this.s.deps.worklist.create(m, o.task);
        return res;
      }
      case 'deferred':
        // Waiting (quiet hours, budget, the bot) is not an attempt.
        return m.query(
          `UPDATE outbox_messages SET status = 'pending', due_at = ?, attempts = GREATEST(attempts - ?, 0), sent_to = COALESCE(?, sent_to), lease_until = NULL, claim_token = NULL ${where}`,
          [o.until, o.giveBack ? 1 : 0, sentTo, row.id, token],
        );
      case 'cancelled':
        return m.query(`UPDATE outbox_messages SET status = 'cancelled', last_error = ?, lease_until = NULL, claim_token = NULL ${where}`, [o.reason, row.id, token]);
      case 'retry': {
        if (row.attempts < this.s.cfg.maxAttempts) {
          const due = new Date(now.getTime() + backoffSeconds(this.s.cfg, row.attempts) * 1000);
          return m.query(
            `UPDATE outbox_messages SET status = 'pending', due_at = ?, last_error = ?, sent_to = COALESCE(?, sent_to), lease_until = NULL, claim_token = NULL ${where}`,
            [due, o.error, sentTo, row.id, token],
          );
        }
        return this.recordFailed(m, row, o.error, this.s.failureTask(row, client, `${row.attempts} attempts failed; last: ${o.error}`), token, sentTo);
      }
      case 'failed':
        return this.recordFailed(m, row, o.error, o.task, token, sentTo);
    }
  }

  private async recordFailed(
    m: EntityManager, row: Claimed, error: string, task: TaskInput | null, token: string, sentTo: string | null,
  ): Promise<{ affectedRows?: number }> {
    const res = await m.query(
      `UPDATE outbox_messages SET status = 'failed', last_error = ?, sent_to = COALESCE(?, sent_to), lease_until = NULL, claim_token = NULL WHERE id = ? AND claim_token = ?`,
      [error, sentTo, row.id, token],
    );
    if (Number(res.affectedRows) === 1 && task) await this.s.deps.worklist.create(m, task);
    this.s.log.error({ outboxId: row.id, kind: row.kind, attempts: row.attempts, error }, 'delivery given up; a staff task takes over');
    return res;
  }
}
