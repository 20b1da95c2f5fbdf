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
