import type { EntityManager } from 'typeorm';
import type { Config } from '../../config';
import { runInTransaction } from '../../shared/db';
import { createLogger, Logger } from '../../shared/logger';
import { WeChatError } from '../../integrations/wechat/types';
import type { StaffRole } from '../staff';
import type { TaskInput } from '../worklist';
import { ChannelError } from './delivery.channels';
import type { BudgetVerdict } from './delivery.budget';
import { nextMinute, nextShanghaiDay } from './delivery.rules';
import type { Claimed, ClientInfo, ClientMessagePayload, DeliveryDeps, Outcome } from './delivery.types';

/** A failure's text as stored in last_error and task details (at most 480 characters). */
export const errorText = (err: unknown): string => [...(err instanceof Error ? err.message : String(err))].slice(0, 480).join('');

/** What the drain's steps share: settings, the logger, transactions, and the staff tasks that take over a message. */
export class Support {
  readonly log: Logger;
  readonly cfg: Config['delivery'];

  constructor(readonly deps: DeliveryDeps) {
    this.log = deps.logger ?? createLogger(deps.config.logLevel, { module: 'delivery' });
    this.cfg = deps.config.delivery;
  }

  /** A short READ COMMITTED transaction, run again when MySQL picks it as a deadlock victim (drains run side by side). */
  retried<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return runInTransaction(this.deps.db, work, { attempts: 8 });
  }

  /** A send failed: a transient failure is retried later, anything else gives the row up to a staff task. */
  channelFailure(row: Claimed, client: ClientInfo | undefined, err: unknown): Extract<Outcome, { type: 'retry' | 'failed' }> {
    const transient = err instanceof ChannelError ? err.transient : err instanceof WeChatError ? err.transient : true;
    if (transient) {
      this.log.warn({ outboxId: row.id, kind: row.kind, attempts: row.attempts, err: errorText(err) }, 'delivery failed; will retry');
      return { type: 'retry', error: errorText(err) };
    }
    return { type: 'failed', error: errorText(err), task: this.failureTask(row, client, errorText(err)) };
  }

  waitUntil(verdict: BudgetVerdict, now: Date): Date {
    // Over the day budget or the client's cap: tomorrow (quiet hours then hold client kinds until morning).
    return verdict === 'minute' ? nextMinute(now) : nextShanghaiDay(now);
  }

  /** No channel reaches the client: staff deliver the message by hand (phone, WeChat). */
  manualTask(row: Claimed, client: ClientInfo, reason: string): TaskInput {
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
  failureTask(row: Claimed, client: ClientInfo | undefined, error: string, dedupeKey = `outbox:${row.id}`): TaskInput {
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

  /** The client's dedicated consultant, else customer service. */
  private assignee(client: ClientInfo | undefined): Pick<TaskInput, 'assigneeRole' | 'assigneeId'> {
    return client?.consultantId ? { assigneeRole: 'consultant', assigneeId: client.consultantId } : { assigneeRole: 'customer_service', assigneeId: null };
  }
}
