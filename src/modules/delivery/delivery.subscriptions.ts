import { AppError } from '../../shared/errors';
import { WeChatError } from '../../integrations/wechat/types';
import { DeliveryErrors } from './delivery.errors';
import type { Support } from './delivery.shared';
import type { Claimed, ClientInfo, ClientMessagePayload, Outcome, SubscribeResult, SubscriptionView } from './delivery.types';

// Subscription credits a client can bank per template; a lying client only earns 43101 and a reset.
const MAX_CREDITS = 100;
const MAX_TEMPLATES_PER_CLIENT = 30;
const ACCEPTED: SubscribeResult[] = ['accept', 'acceptWithAudio', 'acceptWithAlert'];

/**
 * The mini-program's one-time subscription credits (wx.requestSubscribeMessage): what the client
 * granted, and the subscribe-message channel that spends them.
 */
export class Subscriptions {
  constructor(private readonly s: Support) {}

  /**
   * Records what wx.requestSubscribeMessage answered for one template: each accept is one credit
   * (one message), 'ban' drops the credits, 'reject' and 'filter' change nothing.
   */
  async record(clientId: number, templateId: string, result: SubscribeResult): Promise<SubscriptionView> {
    const db = this.s.deps.db;
    const now = this.s.deps.clock.now();
    if (ACCEPTED.includes(result)) {
      const [{ n }] = await db.query(
        'SELECT COUNT(*) AS n FROM subscription_credits WHERE client_id = ? AND template_id <> ?', [clientId, templateId],
      );
      if (Number(n) >= MAX_TEMPLATES_PER_CLIENT) {
        throw new AppError(DeliveryErrors.SUBSCRIPTION_TEMPLATES_LIMIT, 'Too many subscription templates', { limit: MAX_TEMPLATES_PER_CLIENT });
      }
      await db.query(
        `INSERT INTO subscription_credits (client_id, template_id, credits, updated_at) VALUES (?, ?, 1, ?)
         ON DUPLICATE KEY UPDATE credits = LEAST(credits + 1, ?), updated_at = VALUES(updated_at)`,
        [clientId, templateId, now, MAX_CREDITS],
      );
    } else if (result === 'ban') {
      await db.query('UPDATE subscription_credits SET credits = 0, updated_at = ? WHERE client_id = ? AND template_id = ?', [now, clientId, templateId]);
    }
    const [row] = await db.query('SELECT template_id, credits, updated_at FROM subscription_credits WHERE client_id = ? AND template_id = ?', [clientId, templateId]);
    return row ? { templateId: row.template_id, credits: Number(row.credits), updatedAt: row.updated_at } : { templateId, credits: 0, updatedAt: now };
  }

  /** The client's credits by template. */
  async list(clientId: number): Promise<SubscriptionView[]> {
    const rows: { template_id: string; credits: number; updated_at: Date }[] = await this.s.deps.db.query(
      'SELECT template_id, credits, updated_at FROM subscription_credits WHERE client_id = ? ORDER BY template_id', [clientId],
    );
    return rows.map((r) => ({ templateId: r.template_id, credits: Number(r.credits), updatedAt: r.updated_at }));
  }

  /** The credits of the batch's client messages by `clientId:templateId` (to plan the channel before any is spent). */
  async creditsOf(rows: Claimed[]): Promise<Map<string, number>> {
    const pairs = [...new Set(rows.filter((r) => typeof r.payload.templateId === 'string').map((r) => `${r.clientId}:${r.payload.templateId}`))];
    if (!pairs.length) return new Map();
    const params = pairs.flatMap((k) => {
      const i = k.indexOf(':');
      return [Number(k.slice(0, i)), k.slice(i + 1)];
    });
    const found: { client_id: number; template_id: string; credits: number }[] = await this.s.deps.db.query(
      `SELECT client_id, template_id, credits FROM subscription_credits WHERE (client_id, template_id) IN (${pairs.map(() => '(?, ?)').join(',')})`, params,
    );
    return new Map(found.map((c) => [`${c.client_id}:${c.template_id}`, Number(c.credits)]));
  }

  /**
   * The subscribe-message channel: spend a credit first (conditional UPDATE, so two drains cannot
   * spend one credit twice), then call WeChat. 43101 means the client holds no credit after all:
   * the credits go to 0 and a staff task takes over.
   */
  async sendOrTask(row: Claimed, client: ClientInfo, now: Date, earlier: string | null): Promise<Outcome> {
    const db = this.s.deps.db;
    const p = row.payload as ClientMessagePayload;
    const tried = earlier ? [earlier] : [];
    if (p.templateId) {
      const spent = await db.query(
        'UPDATE subscription_credits SET credits = credits - 1, updated_at = ? WHERE client_id = ? AND template_id = ? AND credits > 0',
        [now, row.clientId, p.templateId],
      );
      if (Number(spent.affectedRows) === 1) {
        try {
          await this.s.deps.wechat.sendSubscribeMessage({
            touser: client.openid, templateId: p.templateId, page: p.card?.pagePath, data: p.data ?? {}, miniprogramState: this.s.cfg.subscribeState,
          });
          return { type: 'sent', channel: 'subscribe', accountId: null };
        } catch (err) {
          if (!(err instanceof WeChatError)) throw err;
          if (err.errcode === 43101) {
            await db.query('UPDATE subscription_credits SET credits = 0, updated_at = ? WHERE client_id = ? AND template_id = ?', [now, row.clientId, p.templateId]);
          } else if (err.transient) {
            // WeChat answered that it did not send (busy, rate limited): the credit is still there. A timeout may have sent: keep it spent.
            if (err.errcode !== -2) {
              await db.query('UPDATE subscription_credits SET credits = LEAST(credits + 1, ?), updated_at = ? WHERE client_id = ? AND template_id = ?', [MAX_CREDITS, now, row.clientId, p.templateId]);
            }
            throw err;
          }
          this.s.log.warn({ outboxId: row.id, errcode: err.errcode }, 'subscribe message refused; a staff task takes over');
          tried.push(`subscribe message: ${err.errcode}`);
        }
      } else {
        tried.push('no subscription credit');
      }
    }
    return { type: 'manual', task: this.s.manualTask(row, client, tried.join('; ') || 'no channel') };
  }
}
