import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import type { Redis } from '../../shared/redis';
import type { Logger } from '../../shared/logger';
import type { WeChatApi } from '../../integrations/wechat/types';
import type { StaffRole } from '../staff';
import type { TaskInput, WorklistService } from '../worklist';
import type { OutboxService } from '../outbox';
import type { OfficialWeComChannel } from './delivery.channels';

/** The delivery module's shapes: the payload contract with producers, what a drain answers, and the steps' shared types. */

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
export const SUBSCRIBE_RESULTS = ['accept', 'acceptWithAudio', 'acceptWithAlert', 'reject', 'ban', 'filter'] as const;
export type SubscribeResult = (typeof SUBSCRIBE_RESULTS)[number];

// ---------------------------------------------------------------- inside the module: the drain's steps

/** A row a drain holds (status 'sending' under its claim token), its payload opened. */
export interface Claimed {
  id: string;
  kind: string;
  clientId: number | null;
  payload: Record<string, any>;
  attempts: number;
  sentTo: string[];
}

export interface ClientInfo {
  openid: string;
  active: boolean;
  consultantId: number | null;
}

/** What became of a claimed row; recorded under the drain's token. */
export type Outcome =
  | { type: 'sent'; channel: string; accountId: string | null; sentTo?: string[] }
  | { type: 'deferred'; until: Date; reason: string; sentTo?: string[]; giveBack: boolean }
  | { type: 'retry'; error: string; sentTo?: string[] }
  | { type: 'failed'; error: string; task: TaskInput | null; sentTo?: string[] }
  | { type: 'cancelled'; reason: string }
  /** Withdrawn by its producer after the claim, before its send began: the row is cancelled already, nothing is recorded. */
  | { type: 'withdrawn' }
  /** No channel reached the client: a staff task delivers it; the row counts as sent on channel 'staff_task'. */
  | { type: 'manual'; task: TaskInput };

/** A send step decided before the budget is taken. */
export type Plan =
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
