import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import type { Redis } from '../../shared/redis';
import { AppError } from '../../shared/errors';
import { publicId } from '../../shared/crypto';
import { isDeadlock, runInTransaction } from '../../shared/db';
import { createLogger, Logger } from '../../shared/logger';
import { WeChatError } from '../../integrations/wechat/types';
import type { WeChatApi } from '../../integrations/wechat/types';
import type { StaffRole } from '../staff';
import type { TaskInput, WorklistService } from '../worklist';
import type { OutboxService } from '../outbox';
import { ChannelError, SEND_TASK_CHANNEL } from './delivery.channels';
import type { OfficialWeComChannel, OutgoingMessage, SendTaskVerdict, WeComChannel } from './delivery.channels';
import { SendBudget } from './delivery.budget';
import type { BudgetItem, BudgetVerdict } from './delivery.budget';
import { QUIET_KINDS, backoffSeconds, nextMinute, nextShanghaiDay, quietUntil } from './delivery.rules';
import { DeliveryErrors } from './delivery.errors';

/** The outbox kinds delivery understands (payloads below: the contract between producers and delivery). */
export const OUTBOX_KINDS = ['client_message', 'tag_sync', 'group_post', 'staff_alert'] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];

export interface MessageCard {
  title: string;
  pagePath: string;
}

/** 'client_message': to one client — WeCom when bound, else a subscribe message, else a staff task. Quiet hours apply. */
export interface ClientMessagePayload {
  text: string;
  card?: MessageCard;
  /** Subscribe-message template for the fallback channel. */
  templateId?: string;
  /** Subscribe-message fields, e.g. { thing1: '术后回访' }. */
  data?: Record<string, string>;
  /** 'followup' | 'survey' | 'care' | 'notice' … */
  purpose: string;
}

/** 'tag_sync': mirror the client's current whole tag set onto the bound contact (read when sent). No quiet hours. */
export interface TagSyncPayload {
  /** Who asked ('tags', 'rfm', 'contact_linked'); the tags themselves are read at send time. */
  reason?: string;
}

/** 'group_post': to client groups by id or by topic. Quiet hours apply. */
export interface GroupPostPayload {
  roomIds?: string[];
  roomTopic?: string;
  text: string;
  imageUrl?: string;
  card?: MessageCard;
  postId: string;
}

/** 'staff_alert': to staff through WeCom. No quiet hours, no send budget (it does not go to clients). */
export interface StaffAlertPayload {
  text: string;
  staffRole?: StaffRole;
  staffId?: number;
}

/** Who a client's WeCom contact is (the contacts module). */
export interface ContactDirectory {
  contactOfClient(clientId: number, m?: EntityManager): Promise<string | null>;
  /** Optional batch form: one query per drain batch instead of one per client. */
  contactsOfClients?(clientIds: number[]): Promise<Map<number, string>>;
}

/** A message a drain delivered, as delivery hooks see it. */
export interface DeliveredMessage {
  outboxId: string;
  kind: string;
  clientId: number | null;
  /** 'wecom', 'subscribe', or 'staff_task' (staff were given the message to pass on). */
  channel: string;
  payload: Record<string, unknown>;
  at: Date;
}

/**
 * Told of what a drain delivered, inside the transaction that records it as sent. A hook that
 * fails is logged and the messages stay recorded as sent (else they would go out again); a
 * deadlock runs the whole record again, hooks included.
 */
export interface DeliveryHooks {
  onDelivered(m: EntityManager, delivered: DeliveredMessage[]): Promise<void>;
}

export interface DeliveryDeps {
  db: DataSource;
  redis: Redis;
  config: Config;
  clock: Clock;
  wechat: WeChatApi;
  /** Opens the encrypted payloads of claimed rows. */
  outbox: Pick<OutboxService, 'openPayload'>;
  worklist: WorklistService;
  /** The contacts module, looked up when a drain needs it (it may be built after this service). */
  contacts: () => ContactDirectory | undefined;
  /** The client's current tags: a tag sync always mirrors the set as it is when it is sent. */
  tags: { tagsOf(clientId: number): Promise<Record<string, string[]>> };
  /** Modules that act on a delivery (e.g. feedback: a survey asked in the chat may be answered there). */
  hooks?: DeliveryHooks[];
  /** WeCom's official API (corporate tags, send tasks), when configured; looked up when a drain needs it. */
  official?: () => OfficialWeComChannel | undefined;
  /** Module logger; one is made from config.logLevel when not given. */
  logger?: Logger;
}

export interface DrainOptions {
  /** The instant the drain acts at (default: the clock). */
  now?: Date;
  /** Batches claimed at most in this call (default 20). */
  maxBatches?: number;
}

/** What one drain did: rows claimed, delivered (on any channel, staff tasks included), given up, put back to wait, cancelled. */
export interface DrainReport {
  claimed: number;
  sent: number;
  failed: number;
  deferred: number;
  cancelled: number;
}

export interface SubscriptionView {
  templateId: string;
  credits: number;
  updatedAt: Date;
}

/** What wx.requestSubscribeMessage answers per template. */
export type SubscribeResult = 'accept' | 'acceptWithAudio' | 'acceptWithAlert' | 'reject' | 'ban' | 'filter';

interface Claimed {
  id: string;
  kind: string;
  clientId: number | null;
  payload: Record<string, any>;
  attempts: number;
  sentTo: string[];
}

interface ClientInfo {
  openid: string;
  active: boolean;
  consultantId: number | null;
}

type Outcome =
  | { type: 'sent'; channel: string; accountId: string | null; sentTo?: string[] }
  | { type: 'deferred'; until: Date; reason: string; sentTo?: string[]; giveBack: boolean }
  | { type: 'retry'; error: string; sentTo?: string[] }
  | { type: 'failed'; error: string; task: TaskInput | null; sentTo?: string[] }
  | { type: 'cancelled'; reason: string }
  /** No channel reached the client: a staff task delivers it; the row counts as sent on channel 'staff_task'. */
  | { type: 'manual'; task: TaskInput };

/** A send step decided before the budget is taken. */
type Plan =
  | { how: 'contact'; contactId: string }
  | { how: 'subscribe'; openid: string; templateId: string }
  | { how: 'manual'; reason: string }
  | { how: 'tags'; contactId: string }
  | { how: 'rooms'; rooms: string[] }
  | { how: 'staff'; role: StaffRole }
  /** The official API: a send task the consultant confirms; corporate tags. */
  | { how: 'task' }
  | { how: 'officialTags' }
  /** The official API refused a send task: the channels after it. */
  | { how: 'next'; reason: string }
  | { how: 'done'; outcome: Outcome };

const DEFAULT_MAX_BATCHES = 20;
// With no bot in this process (the scheduler's drain), only client messages the bot has left for
// this long are taken: those need no WeCom (subscribe messages, staff tasks) and must not wait for a bot that is down.
const NO_BOT_GRACE_MS = 5 * 60_000;
// Subscription credits a client can bank per template; a lying client only earns 43101 and a reset.
const MAX_CREDITS = 100;
const MAX_TEMPLATES_PER_CLIENT = 30;
const ACCEPTED: SubscribeResult[] = ['accept', 'acceptWithAudio', 'acceptWithAlert'];

const errorText = (err: unknown): string => [...(err instanceof Error ? err.message : String(err))].slice(0, 480).join('');

/**
 * The outbox delivery engine. A drain claims due rows in batches with one
 * conditional UPDATE (status → sending, a lease and a claim token), so two drains never hold the
 * same row; sends them; and records every result in one transaction, only for rows still under
 * its token. A drain that dies leaves its rows leased: when the lease expires they are sent again
 * (at most one resend per lost drain, logged as a possible duplicate). Quiet hours hold client
 * kinds until morning; send budgets (per WeCom account per minute and per day, per client per
 * day) are taken in Redis, atomically for the batch; over budget a row waits, it is never dropped.
 * Failures back off exponentially; after DELIVERY_MAX_ATTEMPTS the row becomes a staff task.
 */
export class DeliveryService {
  private readonly log: Logger;
  private readonly budget: SendBudget;
  private readonly cfg: Config['delivery'];
  private warnedNoContacts = false;

  constructor(private readonly deps: DeliveryDeps) {
    this.log = deps.logger ?? createLogger(deps.config.logLevel, { module: 'delivery' });
    this.cfg = deps.config.delivery;
    this.budget = new SendBudget(deps.redis, { perMinute: this.cfg.budgetPerMinute, perDay: this.cfg.budgetPerDay, clientCap: this.cfg.clientDailyCap });
  }

  /**
   * Delivers what is due. `channel`: the bot's WeCom channel; null in a process without a bot
   * (then only client messages left overdue by the bot are taken, for the channels that need no WeCom).
   */
  async drain(channel: WeComChannel | null, opts: DrainOptions = {}): Promise<DrainReport> {
    const report: DrainReport = { claimed: 0, sent: 0, failed: 0, deferred: 0, cancelled: 0 };
    const start = opts.now ?? this.deps.clock.now();
    await this.recoverLeases(start);
    report.deferred += await this.holdForQuietHours(start);
    for (let i = 0; i < (opts.maxBatches ?? DEFAULT_MAX_BATCHES); i++) {
      const now = opts.now ?? this.deps.clock.now();
      const token = publicId();
      const rows = await this.claim(token, now, channel?.accountId ?? null);
      if (!rows.length) break;
      const r = await this.deliverBatch(channel, rows, token, now);
      report.claimed += rows.length;
      report.sent += r.sent;
      report.failed += r.failed;
      report.deferred += r.deferred;
      report.cancelled += r.cancelled;
      // A batch that only waited means the budget is spent: the rest waits too, unclaimed.
      if (rows.length < this.cfg.batch || r.sent + r.failed + r.cancelled === 0) break;
    }
    return report;
  }

  /** What the account has sent in the current minute and day (budget counters). */
  budgetUsage(accountId: string, now: Date = this.deps.clock.now()): Promise<{ minute: number; day: number }> {
    return this.budget.usage(accountId, now);
  }

  // ------------------------------------------------------------------ subscription credits (mini-program)

  /**
   * Records what wx.requestSubscribeMessage answered for one template: each accept is one credit
   * (one message), 'ban' drops the credits, 'reject' and 'filter' change nothing.
   */
  async recordSubscription(clientId: number, templateId: string, result: SubscribeResult): Promise<SubscriptionView> {
    const now = this.deps.clock.now();
    if (ACCEPTED.includes(result)) {
      const [{ n }] = await this.deps.db.query(
        'SELECT COUNT(*) AS n FROM subscription_credits WHERE client_id = ? AND template_id <> ?', [clientId, templateId],
      );
      if (Number(n) >= MAX_TEMPLATES_PER_CLIENT) {
        throw new AppError(DeliveryErrors.SUBSCRIPTION_TEMPLATES_LIMIT, 'Too many subscription templates', { limit: MAX_TEMPLATES_PER_CLIENT });
      }
      await this.deps.db.query(
        `INSERT INTO subscription_credits (client_id, template_id, credits, updated_at) VALUES (?, ?, 1, ?)
         ON DUPLICATE KEY UPDATE credits = LEAST(credits + 1, ?), updated_at = VALUES(updated_at)`,
        [clientId, templateId, now, MAX_CREDITS],
      );
    } else if (result === 'ban') {
      await this.deps.db.query('UPDATE subscription_credits SET credits = 0, updated_at = ? WHERE client_id = ? AND template_id = ?', [now, clientId, templateId]);
    }
    const [row] = await this.deps.db.query('SELECT template_id, credits, updated_at FROM subscription_credits WHERE client_id = ? AND template_id = ?', [clientId, templateId]);
    return row ? { templateId: row.template_id, credits: Number(row.credits), updatedAt: row.updated_at } : { templateId, credits: 0, updatedAt: now };
  }

  /** The client's credits by template. */
  async subscriptions(clientId: number): Promise<SubscriptionView[]> {
    const rows: { template_id: string; credits: number; updated_at: Date }[] = await this.deps.db.query(
      'SELECT template_id, credits, updated_at FROM subscription_credits WHERE client_id = ? ORDER BY template_id', [clientId],
    );
    return rows.map((r) => ({ templateId: r.template_id, credits: Number(r.credits), updatedAt: r.updated_at }));
  }

  // ------------------------------------------------------------------ the drain's steps

  /** Rows whose drain died (lease expired while sending) go back to the queue; they may have been sent already. */
  private async recoverLeases(now: Date): Promise<void> {
    const rows: { id: string | number; kind: string; attempts: number }[] = await this.deps.db.query(
      "SELECT id, kind, attempts FROM outbox_messages WHERE status = 'sending' AND lease_until <= ? LIMIT 1000", [now],
    );
    if (!rows.length) return;
    const ids = rows.map((r) => String(r.id));
    const res = await this.retried((m) => m.query(
      `UPDATE outbox_messages SET status = 'pending', lease_until = NULL, claim_token = NULL,
              last_error = 'lease expired while sending: it may have been sent already'
        WHERE status = 'sending' AND lease_until <= ? AND id IN (${ids.map(() => '?').join(',')})`,
      [now, ...ids],
    ));
    this.log.warn({ ids, recovered: Number(res.affectedRows) }, 'delivery lease expired: these messages will be sent again (possible duplicates)');
  }

  /** During quiet hours, client kinds that fall due wait until they end (one statement for all of them). */
  private async holdForQuietHours(now: Date): Promise<number> {
    const until = quietUntil(this.cfg.quietHours, now);
    if (!until) return 0;
    const res = await this.retried((m) => m.query(
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
  private async claim(token: string, now: Date, accountId: string | null): Promise<Claimed[]> {
    const noBot = accountId === null;
    // In quiet hours no client kind is claimed, even one written since holdForQuietHours ran (it
    // waits, still due, for the first drain after the quiet hours).
    const quiet = quietUntil(this.cfg.quietHours, now) !== null;
    if (quiet && noBot) return [];
    const lease = new Date(now.getTime() + this.cfg.leaseSeconds * 1000);
    // One bot per WeCom account (DESIGN.md): a bot leaves a client's messages and tag syncs to the
    // account that client's contact belongs to.
    // The official API needs no bot: with it, the drain without a bot takes tag syncs too, and with no
    // bot at all (WECOM_MODE=official) client messages need not wait for one.
    const official = this.deps.official?.() !== undefined;
    const grace = official && this.deps.config.wecom.mode === 'official' ? 0 : NO_BOT_GRACE_MS;
    const filter = noBot
      ? `AND ((kind = 'client_message' AND due_at <= ?)${official ? " OR kind = 'tag_sync'" : ''})`
      : `AND (kind NOT IN ('client_message', 'tag_sync') OR client_id IS NULL
              OR NOT EXISTS (SELECT 1 FROM wecom_contacts w WHERE w.client_id = outbox_messages.client_id AND w.account_id <> ?))`;
    // READ COMMITTED: no gap locks, and rows another drain holds are skipped once they no longer match.
    await this.retried((m) =>
      m.query(
        `UPDATE outbox_messages SET status = 'sending', claim_token = ?, lease_until = ?, attempts = attempts + 1
          WHERE status = 'pending' AND due_at <= ? ${filter} ${quiet ? `AND kind NOT IN (${QUIET_KINDS.map(() => '?').join(',')})` : ''}
          ORDER BY due_at, id LIMIT ?`,
        [token, lease, now, noBot ? new Date(now.getTime() - grace) : accountId, ...(quiet ? QUIET_KINDS : []), this.cfg.batch],
      ),
    );
    const rows: { id: string | number; kind: string; dedupe_key: string; client_id: number | null; payload_enc: Buffer | null; attempts: number; sent_to: unknown }[] =
      await this.deps.db.query('SELECT id, kind, dedupe_key, client_id, payload_enc, attempts, sent_to FROM outbox_messages WHERE claim_token = ? ORDER BY due_at, id', [token]);
    const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
    const claimed: Claimed[] = [];
    for (const r of rows) {
      let payload: Record<string, any>;
      try {
        payload = this.deps.outbox.openPayload(r.dedupe_key, r.payload_enc);
      } catch {
        // A payload no configured key opens (a key removed too early) can never be sent: it fails
        // at once instead of coming back after every lease.
        this.log.error({ outboxId: String(r.id), kind: r.kind }, 'outbox payload cannot be decrypted; the message fails');
        await this.deps.db.query(
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

  private async deliverBatch(channel: WeComChannel | null, rows: Claimed[], token: string, now: Date): Promise<Omit<DrainReport, 'claimed'>> {
    const outcomes = new Map<string, Outcome>();
    const clients = await this.clientsOf(rows);
    const contacts = await this.contactsOf(rows.filter((r) => r.kind === 'client_message' || r.kind === 'tag_sync'), clients);
    const official = await this.officiallyReachable(rows, clients);
    const plans = await this.plan(channel, rows, clients, contacts, now, official);

    // Budget: WeCom sends to clients and groups cost the account; every message to a client counts against the client's cap.
    const asks: { row: Claimed; room?: string; item: BudgetItem }[] = [];
    for (const row of rows) {
      const plan = plans.get(row.id)!;
      if (plan.how === 'contact') asks.push({ row, item: { accountCost: 1, clientId: row.clientId } });
      else if (plan.how === 'subscribe' || plan.how === 'task') asks.push({ row, item: { accountCost: 0, clientId: row.clientId } });
      else if (plan.how === 'rooms') for (const room of plan.rooms) asks.push({ row, room, item: { accountCost: 1, clientId: null } });
    }
    const verdicts = await this.budget.reserve(channel?.accountId ?? null, asks.map((a) => a.item), now);
    const refused = new Map<string, BudgetVerdict>();
    const grantedRooms = new Map<string, string[]>();
    asks.forEach((a, i) => {
      if (a.room !== undefined) {
        if (verdicts[i] === 'ok') grantedRooms.set(a.row.id, [...(grantedRooms.get(a.row.id) ?? []), a.room]);
        else if (!refused.has(a.row.id)) refused.set(a.row.id, verdicts[i]);
      } else if (verdicts[i] !== 'ok') {
        refused.set(a.row.id, verdicts[i]);
      }
    });

    await this.handToSendTasks(rows, plans, refused, clients);

    // One lane per client: a client's messages go out one after another, in order; lanes run side by side.
    const lanes = new Map<string, (() => Promise<void>)[]>();
    for (const row of rows) {
      const plan = plans.get(row.id)!;
      if (plan.how === 'done') {
        outcomes.set(row.id, plan.outcome);
        continue;
      }
      const verdict = refused.get(row.id);
      if (verdict && plan.how !== 'rooms') {
        outcomes.set(row.id, { type: 'deferred', until: this.waitUntil(verdict, now), reason: `over budget (${verdict})`, giveBack: true });
        continue;
      }
      const lane = row.clientId !== null ? `client:${row.clientId}` : `row:${row.id}`;
      lanes.set(lane, [...(lanes.get(lane) ?? []), async () => {
        outcomes.set(row.id, await this.send(channel, row, plan, clients, now, { rooms: grantedRooms.get(row.id) ?? [], refused: verdict }));
      }]);
    }
    await runLimited([...lanes.values()].map((steps) => async () => { for (const step of steps) await step(); }), this.cfg.sendConcurrency);
    return this.record(rows, outcomes, clients, token, now);
  }

  /** Active clients of client messages and tag syncs that WeCom's official API reaches. */
  private async officiallyReachable(rows: Claimed[], clients: Map<number, ClientInfo>): Promise<Set<number>> {
    const official = this.deps.official?.();
    const ids = [...new Set(rows.filter((r) => r.kind === 'client_message' || r.kind === 'tag_sync').map((r) => r.clientId)
      .filter((id): id is number => id !== null && clients.get(id)?.active === true))];
    return official && ids.length ? official.reachable(ids) : new Set();
  }

  /**
   * The batch's send-task messages go to the official channel in one call (it batches them per
   * consultant). Handed over counts as sent on 'wecom_task': what the consultant does not send in
   * time comes back through fallBack. A refusal goes on to the next channel now.
   */
  private async handToSendTasks(rows: Claimed[], plans: Map<string, Plan>, refused: Map<string, BudgetVerdict>, clients: Map<number, ClientInfo>): Promise<void> {
    const due = rows.filter((r) => plans.get(r.id)!.how === 'task' && !refused.has(r.id));
    if (!due.length) return;
    let verdicts: Map<string, SendTaskVerdict>;
    try {
      verdicts = await this.deps.official!()!.createSendTasks(due.map((r) => ({
        outboxId: r.id, clientId: r.clientId!, message: { text: String(r.payload.text), ...(r.payload.card ? { card: r.payload.card } : {}) },
      })));
    } catch (err) {
      verdicts = new Map(due.map((r) => [r.id, { type: 'retry', reason: errorText(err) }]));
    }
    for (const row of due) {
      const v = verdicts.get(row.id) ?? { type: 'retry', reason: 'no verdict from the send-task channel' };
      if (v.type === 'queued') plans.set(row.id, { how: 'done', outcome: { type: 'sent', channel: SEND_TASK_CHANNEL, accountId: null, sentTo: [SEND_TASK_CHANNEL] } });
      else if (v.type === 'retry') plans.set(row.id, { how: 'done', outcome: this.channelFailure(row, clients.get(row.clientId!), new ChannelError(v.reason, true)) });
      else plans.set(row.id, { how: 'next', reason: `WeCom send task: ${v.reason}` });
    }
  }

  /**
   * Send tasks the consultant did not confirm in time come back to the queue for the channels after
   * the send task (the bot, a subscribe message, a staff task). Exactly once: only rows still
   * recorded as handed to a send task are taken. Returns how many came back.
   */
  async fallBack(outboxIds: string[], reason: string): Promise<number> {
    if (!outboxIds.length) return 0;
    const res = await this.retried((m) => m.query(
      `UPDATE outbox_messages SET status = 'pending', channel = NULL, sent_at = NULL, due_at = ?, attempts = 0, last_error = ?
        WHERE status = 'sent' AND channel = ? AND id IN (${outboxIds.map(() => '?').join(',')})`,
      [this.deps.clock.now(), reason.slice(0, 480), SEND_TASK_CHANNEL, ...outboxIds],
    ));
    return Number(res.affectedRows);
  }

  /** The client rows behind a batch: openid for subscribe messages, the consultant for tasks, and whether still active. */
  private async clientsOf(rows: Claimed[]): Promise<Map<number, ClientInfo>> {
    const ids = [...new Set(rows.map((r) => r.clientId).filter((id): id is number => id !== null))];
    if (!ids.length) return new Map();
    const found: { id: number; openid: string; status: string; consultant_id: number | null }[] = await this.deps.db.query(
      `SELECT id, openid, status, consultant_id FROM clients WHERE id IN (${ids.map(() => '?').join(',')})`, ids,
    );
    return new Map(found.map((c) => [Number(c.id), { openid: c.openid, active: c.status === 'active', consultantId: c.consultant_id }]));
  }

  private async contactsOf(rows: Claimed[], clients: Map<number, ClientInfo>): Promise<Map<number, string>> {
    const directory = this.deps.contacts();
    const ids = [...new Set(rows.map((r) => r.clientId).filter((id): id is number => id !== null && clients.get(id)?.active === true))];
    if (!directory && ids.length && !this.warnedNoContacts) {
      this.warnedNoContacts = true;
      this.log.warn('no contacts module: every client counts as not bound to WeCom');
    }
    if (!directory || !ids.length) return new Map();
    if (directory.contactsOfClients) return directory.contactsOfClients(ids);
    const found = await Promise.all(ids.map(async (id) => [id, await directory.contactOfClient(id)] as const));
    return new Map(found.filter((f): f is readonly [number, string] => f[1] !== null));
  }

  /** Decides each row's channel before any budget is taken. */
  private async plan(
    channel: WeComChannel | null, rows: Claimed[], clients: Map<number, ClientInfo>, contacts: Map<number, string>, now: Date, official: Set<number>,
  ): Promise<Map<string, Plan>> {
    const plans = new Map<string, Plan>();
    const credits = await this.creditsOf(rows.filter((r) => r.kind === 'client_message' && r.clientId !== null && !contacts.has(r.clientId)));
    const superseded = await this.supersededTagSyncs(rows.filter((r) => r.kind === 'tag_sync'));
    const staffRoles = await this.rolesOf(rows.filter((r) => r.kind === 'staff_alert').map((r) => r.payload.staffId).filter((id) => Number.isInteger(id)));
    const done = (outcome: Outcome): Plan => ({ how: 'done', outcome });

    for (const row of rows) {
      const p = row.payload;
      const client = row.clientId === null ? undefined : clients.get(row.clientId);
      if (row.attempts > this.cfg.maxAttempts) {
        // Only a drain that died on it every time gets here (the lease ran out again and again).
        plans.set(row.id, done({ type: 'failed', error: `gave up after ${row.attempts - 1} attempts`, task: this.failureTask(row, client, 'gave up after repeated attempts') }));
        continue;
      }
      switch (row.kind) {
        case 'client_message': {
          if (!client?.active || typeof p.text !== 'string') {
            plans.set(row.id, done({ type: 'cancelled', reason: client?.active ? 'payload without text' : 'the client is gone' }));
            break;
          }
          const contactId = contacts.get(row.clientId!);
          if (contactId && channel) plans.set(row.id, { how: 'contact', contactId });
          // Bot, send task, subscribe message, staff task (DESIGN.md): a send task once per message.
          else if (official.has(row.clientId!) && !row.sentTo.includes(SEND_TASK_CHANNEL)) plans.set(row.id, { how: 'task' });
          else if (contactId) plans.set(row.id, done({ type: 'deferred', until: nextMinute(now), reason: 'waiting for the bot', giveBack: true }));
          else if (p.templateId && (credits.get(`${row.clientId}:${p.templateId}`) ?? 0) > 0) plans.set(row.id, { how: 'subscribe', openid: client.openid, templateId: p.templateId });
          else plans.set(row.id, { how: 'manual', reason: 'not a WeCom contact and no subscription credit' });
          break;
        }
        case 'tag_sync': {
          if (!client?.active) plans.set(row.id, done({ type: 'cancelled', reason: 'the client is gone' }));
          else if (superseded.has(row.id)) plans.set(row.id, done({ type: 'cancelled', reason: 'superseded by a newer tag set' }));
          // Corporate tags reach every consultant's relation with the client; the bot only its own account's.
          else if (official.has(row.clientId!)) plans.set(row.id, { how: 'officialTags' });
          else if (!contacts.has(row.clientId!)) plans.set(row.id, done({ type: 'sent', channel: 'none', accountId: null }));
          else if (!channel) plans.set(row.id, done({ type: 'deferred', until: nextMinute(now), reason: 'waiting for the bot', giveBack: true }));
          else plans.set(row.id, { how: 'tags', contactId: contacts.get(row.clientId!)! });
          break;
        }
        case 'group_post': {
          let rooms: string[] | null = Array.isArray(p.roomIds) ? p.roomIds.map(String) : null;
          if (!rooms && typeof p.roomTopic === 'string' && channel) {
            try {
              rooms = await channel.findRooms(p.roomTopic);
            } catch (err) {
              plans.set(row.id, done(this.channelFailure(row, client, err)));
              break;
            }
          }
          if (!rooms || !rooms.length) {
            plans.set(row.id, done({ type: 'failed', error: 'no room to post to', task: this.failureTask(row, client, 'no room to post to') }));
            break;
          }
          const left = rooms.filter((r) => !row.sentTo.includes(r));
          plans.set(row.id, left.length ? { how: 'rooms', rooms: left } : done({ type: 'sent', channel: 'wecom', accountId: channel?.accountId ?? null }));
          break;
        }
        case 'staff_alert': {
          const role = (p.staffRole as StaffRole | undefined) ?? staffRoles.get(Number(p.staffId)) ?? 'director';
          plans.set(row.id, { how: 'staff', role });
          break;
        }
        default:
          plans.set(row.id, done({ type: 'failed', error: `unknown outbox kind '${row.kind}'`, task: this.failureTask(row, client, `unknown outbox kind '${row.kind}'`) }));
      }
    }
    return plans;
  }

  /** Sends one row along its plan; a WeCom refusal of a client message falls through to the next channel. */
  private async send(
    channel: WeComChannel | null, row: Claimed, plan: Plan, clients: Map<number, ClientInfo>, now: Date,
    budget: { rooms: string[]; refused?: BudgetVerdict },
  ): Promise<Outcome> {
    const p = row.payload;
    const client = row.clientId === null ? undefined : clients.get(row.clientId);
    const message: OutgoingMessage = { text: String(p.text ?? ''), ...(p.card ? { card: p.card } : {}), ...(p.imageUrl ? { imageUrl: p.imageUrl } : {}) };
    try {
      switch (plan.how) {
        case 'contact':
          try {
            await channel!.sendToContact(plan.contactId, message);
            return { type: 'sent', channel: 'wecom', accountId: channel!.accountId };
          } catch (err) {
            if (!(err instanceof ChannelError) || err.transient) throw err;
            // The contact is unreachable for good (e.g. deleted us): the next channel.
            this.log.warn({ outboxId: row.id, err: errorText(err) }, 'WeCom refused the message; trying the next channel');
            return this.viaSubscribeOrTask(row, client!, now, `WeCom: ${errorText(err)}`);
          }
        case 'subscribe':
          return await this.viaSubscribeOrTask(row, client!, now, null);
        case 'manual':
          return { type: 'manual', task: this.manualTask(row, client!, plan.reason) };
        case 'next':
          return await this.viaSubscribeOrTask(row, client!, now, plan.reason);
        case 'officialTags':
          await this.deps.official!()!.syncTags(row.clientId!, await this.deps.tags.tagsOf(row.clientId!));
          return { type: 'sent', channel: 'wecom_api', accountId: null };
        case 'task':
          // Handed over before the lanes (handToSendTasks); a row over budget waits.
          return { type: 'deferred', until: nextMinute(now), reason: 'send task not handed over', giveBack: true };
        case 'tags':
          // The set as it is now, not as it was when the row was written: rows coalesce, and a
          // partial writer (the nightly RFM) must never strip the other dimensions.
          await channel!.syncTags(plan.contactId, await this.deps.tags.tagsOf(row.clientId!));
          return { type: 'sent', channel: 'wecom', accountId: channel!.accountId };
        case 'staff':
          await channel!.sendToStaff(plan.role, { text: message.text });
          return { type: 'sent', channel: 'wecom', accountId: channel!.accountId };
        case 'rooms':
          return await this.postToRooms(channel!, row, client, message, plan.rooms, budget, now);
        case 'done':
          return plan.outcome;
      }
    } catch (err) {
      return this.channelFailure(row, client, err);
    }
  }

  /** Posts to the rooms the budget allowed, keeping track of them; the rest waits. A room refusing for good becomes a task. */
  private async postToRooms(
    channel: WeComChannel, row: Claimed, client: ClientInfo | undefined, message: OutgoingMessage, rooms: string[],
    budget: { rooms: string[]; refused?: BudgetVerdict }, now: Date,
  ): Promise<Outcome> {
    const sentTo = [...row.sentTo];
    for (const room of budget.rooms) {
      try {
        await channel.sendToRoom(room, message);
      } catch (err) {
        if (err instanceof ChannelError && !err.transient) {
          await this.deps.worklist.create(null, this.failureTask(row, client, `room ${room}: ${errorText(err)}`, `outbox:${row.id}:room:${room}`));
        } else {
          return { ...this.channelFailure(row, client, err), sentTo };
        }
      }
      sentTo.push(room);
    }
    if (rooms.every((r) => sentTo.includes(r))) return { type: 'sent', channel: 'wecom', accountId: channel.accountId, sentTo };
    return { type: 'deferred', until: this.waitUntil(budget.refused ?? 'minute', now), reason: `over budget (${budget.refused})`, sentTo, giveBack: true };
  }

  /**
   * The subscribe-message channel: spend a credit first (conditional UPDATE, so two drains cannot
   * spend one credit twice), then call WeChat. 43101 means the client holds no credit after all:
   * the credits go to 0 and a staff task takes over.
   */
  private async viaSubscribeOrTask(row: Claimed, client: ClientInfo, now: Date, earlier: string | null): Promise<Outcome> {
    const p = row.payload as ClientMessagePayload;
    const tried = earlier ? [earlier] : [];
    if (p.templateId) {
      const spent = await this.deps.db.query(
        'UPDATE subscription_credits SET credits = credits - 1, updated_at = ? WHERE client_id = ? AND template_id = ? AND credits > 0',
        [now, row.clientId, p.templateId],
      );
      if (Number(spent.affectedRows) === 1) {
        try {
          await this.deps.wechat.sendSubscribeMessage({
            touser: client.openid, templateId: p.templateId, page: p.card?.pagePath, data: p.data ?? {}, miniprogramState: this.cfg.subscribeState,
          });
          return { type: 'sent', channel: 'subscribe', accountId: null };
        } catch (err) {
          if (!(err instanceof WeChatError)) throw err;
          if (err.errcode === 43101) {
            await this.deps.db.query('UPDATE subscription_credits SET credits = 0, updated_at = ? WHERE client_id = ? AND template_id = ?', [now, row.clientId, p.templateId]);
          } else if (err.transient) {
            // WeChat answered that it did not send (busy, rate limited): the credit is still there. A timeout may have sent: keep it spent.
            if (err.errcode !== -2) {
              await this.deps.db.query('UPDATE subscription_credits SET credits = LEAST(credits + 1, ?), updated_at = ? WHERE client_id = ? AND template_id = ?', [MAX_CREDITS, now, row.clientId, p.templateId]);
            }
            throw err;
          }
          this.log.warn({ outboxId: row.id, errcode: err.errcode }, 'subscribe message refused; a staff task takes over');
          tried.push(`subscribe message: ${err.errcode}`);
        }
      } else {
        tried.push('no subscription credit');
      }
    }
    return { type: 'manual', task: this.manualTask(row, client, tried.join('; ') || 'no channel') };
  }

  /** A send failed: a transient failure is retried later, anything else gives the row up to a staff task. */
  private channelFailure(row: Claimed, client: ClientInfo | undefined, err: unknown): Extract<Outcome, { type: 'retry' | 'failed' }> {
    const transient = err instanceof ChannelError ? err.transient : err instanceof WeChatError ? err.transient : true;
    if (transient) {
      this.log.warn({ outboxId: row.id, kind: row.kind, attempts: row.attempts, err: errorText(err) }, 'delivery failed; will retry');
      return { type: 'retry', error: errorText(err) };
    }
    return { type: 'failed', error: errorText(err), task: this.failureTask(row, client, errorText(err)) };
  }

  private waitUntil(verdict: BudgetVerdict, now: Date): Date {
    // Over the day budget or the client's cap: tomorrow (quiet hours then hold client kinds until morning).
    return verdict === 'minute' ? nextMinute(now) : nextShanghaiDay(now);
  }

  /** Records every outcome of a batch in one transaction, only for rows still under this drain's token. */
  private async record(
    rows: Claimed[], outcomes: Map<string, Outcome>, clients: Map<number, ClientInfo>, token: string, now: Date,
  ): Promise<Omit<DrainReport, 'claimed'>> {
    const counts = { sent: 0, failed: 0, deferred: 0, cancelled: 0 };
    let lost = 0;
    await this.retried(async (m) => {
      // A retried transaction counts again from zero.
      lost = 0;
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
        const client = row.clientId === null ? undefined : clients.get(row.clientId);
        const n = mine(await this.recordOne(m, row, o, client, token, now));
        if (o.type === 'sent') tell(row, o.channel);
        // The staff task exists only when this drain recorded the row.
        else if (o.type === 'manual' && n) tell(row, 'staff_task');
        if (!n) {
          lost++;
          continue;
        }
        if (o.type === 'sent' || o.type === 'manual') counts.sent++;
        else if (o.type === 'failed') counts.failed++;
        else if (o.type === 'cancelled') counts.cancelled++;
        else if (o.type === 'deferred') counts.deferred++;
        else if (row.attempts >= this.cfg.maxAttempts) counts.failed++;
        else counts.deferred++;
      }
      for (const hook of delivered.length ? this.deps.hooks ?? [] : []) {
        try {
          await hook.onDelivered(m, delivered);
        } catch (err) {
          if (isDeadlock(err)) throw err;
          this.log.error({ err: errorText(err), outboxIds: delivered.map((d) => d.outboxId) }, 'delivery hook failed; the messages stay recorded as sent');
        }
      }
    });
    if (lost) this.log.warn({ lost }, 'delivery results not recorded: another drain took these rows over after the lease expired');
    return counts;
  }

  /** A short READ COMMITTED transaction, run again when MySQL picks it as a deadlock victim (drains run side by side). */
  private retried<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return runInTransaction(this.deps.db, work, { attempts: 8 });
  }

  private async recordOne(m: EntityManager, row: Claimed, o: Outcome, client: ClientInfo | undefined, token: string, now: Date): Promise<{ affectedRows?: number }> {
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
        if (Number(res.affectedRows) === 1) await this.deps.worklist.create(m, o.task);
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
        if (row.attempts < this.cfg.maxAttempts) {
          const due = new Date(now.getTime() + backoffSeconds(this.cfg, row.attempts) * 1000);
          return m.query(
            `UPDATE outbox_messages SET status = 'pending', due_at = ?, last_error = ?, sent_to = COALESCE(?, sent_to), lease_until = NULL, claim_token = NULL ${where}`,
            [due, o.error, sentTo, row.id, token],
          );
        }
        return this.recordFailed(m, row, o.error, this.failureTask(row, client, `${row.attempts} attempts failed; last: ${o.error}`), token, sentTo);
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
    if (Number(res.affectedRows) === 1 && task) await this.deps.worklist.create(m, task);
    this.log.error({ outboxId: row.id, kind: row.kind, attempts: row.attempts, error }, 'delivery given up; a staff task takes over');
    return res;
  }

  // ------------------------------------------------------------------ lookups and tasks

  private async creditsOf(rows: Claimed[]): Promise<Map<string, number>> {
    const pairs = [...new Set(rows.filter((r) => typeof r.payload.templateId === 'string').map((r) => `${r.clientId}:${r.payload.templateId}`))];
    if (!pairs.length) return new Map();
    const params = pairs.flatMap((k) => {
      const i = k.indexOf(':');
      return [Number(k.slice(0, i)), k.slice(i + 1)];
    });
    const found: { client_id: number; template_id: string; credits: number }[] = await this.deps.db.query(
      `SELECT client_id, template_id, credits FROM subscription_credits WHERE (client_id, template_id) IN (${pairs.map(() => '(?, ?)').join(',')})`, params,
    );
    return new Map(found.map((c) => [`${c.client_id}:${c.template_id}`, Number(c.credits)]));
  }

  /** Tag syncs with a newer row for the same client: applying them would bring back an old set. */
  private async supersededTagSyncs(rows: Claimed[]): Promise<Set<string>> {
    const ids = [...new Set(rows.map((r) => r.clientId).filter((id): id is number => id !== null))];
    if (!ids.length) return new Set();
    const newest: { client_id: number; id: string | number }[] = await this.deps.db.query(
      `SELECT client_id, MAX(id) AS id FROM outbox_messages WHERE kind = 'tag_sync' AND status <> 'cancelled' AND client_id IN (${ids.map(() => '?').join(',')}) GROUP BY client_id`, ids,
    );
    const latest = new Map(newest.map((n) => [Number(n.client_id), BigInt(n.id)]));
    return new Set(rows.filter((r) => r.clientId !== null && (latest.get(r.clientId) ?? 0n) > BigInt(r.id)).map((r) => r.id));
  }

  private async rolesOf(staffIds: number[]): Promise<Map<number, StaffRole>> {
    const ids = [...new Set(staffIds)];
    if (!ids.length) return new Map();
    const rows: { id: number; role: StaffRole }[] = await this.deps.db.query(`SELECT id, role FROM staff WHERE id IN (${ids.map(() => '?').join(',')})`, ids);
    return new Map(rows.map((r) => [Number(r.id), r.role]));
  }

  /** The client's dedicated consultant, else customer service. */
  private assignee(client: ClientInfo | undefined): Pick<TaskInput, 'assigneeRole' | 'assigneeId'> {
    return client?.consultantId ? { assigneeRole: 'consultant', assigneeId: client.consultantId } : { assigneeRole: 'customer_service', assigneeId: null };
  }

  /** No channel reaches the client: staff deliver the message by hand (phone, WeChat). */
  private manualTask(row: Claimed, client: ClientInfo, reason: string): TaskInput {
    const p = row.payload as ClientMessagePayload;
    return {
      kind: 'deliver_manually',
      dedupeKey: `outbox:${row.id}`,
      clientId: row.clientId,
      ...this.assignee(client),
      title: `请人工联系客户（${p.purpose ?? 'message'}）：${p.text}`,
      details: { outboxId: row.id, purpose: p.purpose ?? null, text: p.text, card: p.card ?? null, reason },
    };
  }

  /** A row given up: who should look at it depends on what it was. */
  private failureTask(row: Claimed, client: ClientInfo | undefined, error: string, dedupeKey = `outbox:${row.id}`): TaskInput {
    const p = row.payload;
    const base = { kind: 'delivery_failed', dedupeKey, clientId: row.clientId, details: { outboxId: row.id, outboxKind: row.kind, error, payload: p } };
    switch (row.kind) {
      case 'staff_alert':
        return { ...base, assigneeRole: (p.staffRole as StaffRole) ?? 'director', assigneeId: Number.isInteger(p.staffId) ? p.staffId : null, title: `员工提醒未能送达：${p.text ?? ''}` };
      case 'group_post':
        return { ...base, assigneeRole: 'director', assigneeId: null, title: `社群发布失败（${p.postId ?? ''}）：${p.text ?? ''}` };
      case 'tag_sync':
        return { ...base, ...this.assignee(client), title: '企业微信标签未能同步，请检查该客户的企业微信联系人' };
      default:
        return { ...base, ...this.assignee(client), title: `消息未能送达，请人工联系客户：${p.text ?? row.kind}` };
    }
  }
}

/** Runs the jobs with at most `limit` in flight. */
async function runLimited(jobs: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}
