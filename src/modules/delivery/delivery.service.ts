import { publicId } from '../../shared/crypto';
import type { WeComChannel } from './delivery.channels';
import { SendBudget } from './delivery.budget';
import { Claims } from './delivery.claims';
import { ChannelPlanner } from './delivery.planning';
import { OutcomeRecorder } from './delivery.recording';
import { BatchSender } from './delivery.sending';
import { Support } from './delivery.shared';
import { Subscriptions } from './delivery.subscriptions';
import type { DeliveryDeps, DrainOptions, DrainReport, SubscribeResult, SubscriptionView } from './delivery.types';

const DEFAULT_MAX_BATCHES = 20;

/**
 * The outbox delivery engine. A drain claims due rows in batches with one
 * conditional UPDATE (status → sending, a lease and a claim token), so two drains never hold the
 * same row; sends them; and records every result in one transaction, only for rows still under
 * its token. A drain that dies leaves its rows leased: when the lease expires they are sent again
 * (at most one resend per lost drain, logged as a possible duplicate). Quiet hours hold client
 * kinds until morning; send budgets (per WeCom account per minute and per day, per client per
 * day) are taken in Redis, atomically for the batch; over budget a row waits, it is never dropped.
 * Failures back off exponentially; after DELIVERY_MAX_ATTEMPTS the row becomes a staff task.
 *
 * A facade over the drain's steps (`Claims`, `ChannelPlanner`, `BatchSender`, `OutcomeRecorder`)
 * and the mini-program's subscription credits (`Subscriptions`), sharing one `Support`.
 */
export class DeliveryService {
  private readonly s: Support;
  private readonly budget: SendBudget;
  private readonly claims: Claims;
  private readonly credits: Subscriptions;
  private readonly sender: BatchSender;

  constructor(deps: DeliveryDeps) {
    this.s = new Support(deps);
    const cfg = this.s.cfg;
    this.budget = new SendBudget(deps.redis, { perMinute: cfg.budgetPerMinute, perDay: cfg.budgetPerDay, clientCap: cfg.clientDailyCap });
    this.claims = new Claims(this.s);
    this.credits = new Subscriptions(this.s);
    this.sender = new BatchSender(this.s, this.claims, this.budget, new ChannelPlanner(this.s, this.credits), this.credits, new OutcomeRecorder(this.s));
  }

  /**
   * Delivers what is due. `channel`: the bot's WeCom channel; null in a process without a bot
   * (then only client messages left overdue by the bot are taken, for the channels that need no WeCom).
   */
  async drain(channel: WeComChannel | null, opts: DrainOptions = {}): Promise<DrainReport> {
    const report: DrainReport = { claimed: 0, sent: 0, failed: 0, deferred: 0, cancelled: 0 };
    const start = opts.now ?? this.s.deps.clock.now();
    await this.claims.recoverLeases(start);
    report.deferred += await this.claims.holdForQuietHours(start);
    for (let i = 0; i < (opts.maxBatches ?? DEFAULT_MAX_BATCHES); i++) {
      const now = opts.now ?? this.s.deps.clock.now();
      const token = publicId();
      const rows = await this.claims.claim(token, now, channel?.accountId ?? null);
      if (!rows.length) break;
      const r = await this.sender.deliver(channel, rows, token, now);
      report.claimed += rows.length;
      report.sent += r.sent;
      report.failed += r.failed;
      report.deferred += r.deferred;
      report.cancelled += r.cancelled;
      // A batch that only waited means the budget is spent: the rest waits too, unclaimed.
      if (rows.length < this.s.cfg.batch || r.sent + r.failed + r.cancelled === 0) break;
    }
    return report;
  }

  /** What the account has sent in the current minute and day (budget counters). */
  budgetUsage(accountId: string, now: Date = this.s.deps.clock.now()): Promise<{ minute: number; day: number }> {
    return this.budget.usage(accountId, now);
  }

  /**
   * Send tasks the consultant did not confirm in time come back to the queue for the channels after
   * the send task (the bot, a subscribe message, a staff task). Exactly once: only rows still
   * recorded as handed to a send task are taken. Returns how many came back.
   */
  fallBack(outboxIds: string[], reason: string): Promise<number> {
    return this.claims.fallBack(outboxIds, reason);
  }

  // ------------------------------------------------------------------ subscription credits (mini-program)

  /**
   * Records what wx.requestSubscribeMessage answered for one template: each accept is one credit
   * (one message), 'ban' drops the credits, 'reject' and 'filter' change nothing.
   */
  recordSubscription(clientId: number, templateId: string, result: SubscribeResult): Promise<SubscriptionView> {
    return this.credits.record(clientId, templateId, result);
  }

  /** The client's credits by template. */
  subscriptions(clientId: number): Promise<SubscriptionView[]> {
    return this.credits.list(clientId);
  }
}
