export interface OutgoingMessage { text: string; imageUrl?: string; card?: { title: string; pagePath: string } }
/** A failure worth retrying later (`transient`) or not (e.g. the contact deleted us). */
export class ChannelError extends Error { constructor(message: string, public readonly transient: boolean) { super(message); this.name = 'ChannelError'; } }
export interface WeComChannel {
  /** The sending account's id (send budgets are per account). */
  readonly accountId: string;
  sendToContact(contactId: string, message: OutgoingMessage): Promise<void>;
  sendToRoom(roomId: string, message: OutgoingMessage): Promise<void>;
  /** Room ids whose topic matches (for posts addressed by topic). */
  findRooms(topic: string): Promise<string[]>;
  /** Makes the contact's tags in each dimension group exactly `tags` (only the difference is applied). */
  syncTags(contactId: string, tags: Record<string, string[]>): Promise<void>;
  sendToStaff(staffRole: string, message: OutgoingMessage): Promise<void>;
}

/** A client message handed to WeCom's official API as a send task the consultant confirms. */
export interface SendTaskItem {
  outboxId: string;
  clientId: number;
  message: OutgoingMessage;
}

/**
 * What became of a send-task item: `queued` (WeCom holds it until the consultant confirms; if not
 * sent in time, the official channel gives it back through DeliveryService.fallBack), `refused`
 * (try the next channel now) or `retry` (WeCom busy or unreachable: nothing was created).
 */
export type SendTaskVerdict = { type: 'queued' } | { type: 'refused'; reason: string } | { type: 'retry'; reason: string };

/**
 * WeCom's official API as a delivery channel beside the bot: corporate tags through mark_tag, and
 * client messages as send tasks (add_msg_template). Only clients with a relation through the
 * official API (a consultant who has them as an external contact) are reachable.
 */
export interface OfficialWeComChannel {
  /** The clients among these that have an active relation with a staff member through the official API. */
  reachable(clientIds: number[]): Promise<Set<number>>;
  /** Makes the client's tags in each dimension group exactly `tags` on every relation (only the difference is applied). */
  syncTags(clientId: number, tags: Record<string, string[]>): Promise<void>;
  /** Hands a batch of messages over as send tasks, batched per consultant; one verdict per outbox id. */
  createSendTasks(items: SendTaskItem[]): Promise<Map<string, SendTaskVerdict>>;
}

/** The channel name of a message handed to a send task (outbox_messages.channel and sent_to). */
export const SEND_TASK_CHANNEL = 'wecom_task';
