import type { Wechaty } from 'wechaty';
import { FileBox } from 'file-box';
import type { Logger } from '../shared/logger';
import { ChannelError } from '../modules/delivery';
import type { OutgoingMessage, WeComChannel } from '../modules/delivery';
import { imageHostAllowed } from '../modules/community';
import { tagDiff } from './tags';

type Conversation = { say(sayable: unknown): Promise<unknown> };

const STAFF_ROLE_LABELS: Record<string, string> = { director: '院长', doctor: '医师', consultant: '咨询师', customer_service: '客服' };

/**
 * WeCom wants a mini-program card's page with an .html suffix before the query
 * (pages/index/index.html?ref=X); paths elsewhere in the product are plain.
 */
export function cardPagePath(pagePath: string): string {
  const [path, query] = pagePath.replace(/^\//, '').split(/\?(.*)/s);
  const withHtml = path.endsWith('.html') ? path : `${path}.html`;
  return query ? `${withHtml}?${query}` : withHtml;
}

// What puppets say when the thing asked for is not there (the mock, puppet-service's gRPC NOT_FOUND).
const NOT_THERE = /not exist|no payload|not found|NOT_FOUND/i;

/**
 * The WeCom channel on real Wechaty: what the delivery engine sends through. A failure is a
 * ChannelError: transient (retry later: not logged in, the puppet or WeCom did not answer) or not
 * (the contact or room is gone, no staff group).
 */
export class WechatyChannel implements WeComChannel {
  private lastAccount: string | null = null;

  constructor(
    private readonly bot: Wechaty,
    /** imageHosts: the only hosts the bot fetches an image from (COMMUNITY_IMAGE_HOSTS). */
    private readonly opts: { appId: string; staffRoomTopic: string; accountFallback: string; imageHosts: readonly string[] },
    private readonly log: Logger,
  ) {}

  get accountId(): string {
    if (this.bot.isLoggedIn) this.lastAccount = this.bot.currentUser.id;
    return this.lastAccount ?? this.opts.accountFallback;
  }

  async sendToContact(contactId: string, message: OutgoingMessage): Promise<void> {
    await this.guard('sendToContact', async () => this.say(await this.contact(contactId), message));
  }

  async sendToRoom(roomId: string, message: OutgoingMessage): Promise<void> {
    await this.guard('sendToRoom', async () => this.say(await this.room(roomId), message));
  }

  async findRooms(topic: string): Promise<string[]> {
    return this.guard('findRooms', async () => (await this.bot.Room.findAll({ topic })).map((r) => r.id));
  }

  /** Only the difference is written: a second call with the same tags writes nothing. */
  async syncTags(contactId: string, tags: Record<string, string[]>): Promise<void> {
    await this.guard('syncTags', async () => {
      const contact = await this.contact(contactId);
      // The puppet directly: Contact.tags() answers [] when the puppet fails, which would re-add everything.
      const current = await this.bot.puppet.tagContactList(contactId);
      const { add, remove } = tagDiff(current, tags);
      for (const id of remove) await (await this.bot.Tag.get(id)).remove(contact);
      for (const id of add) await (await this.bot.Tag.get(id)).add(contact);
      if (add.length || remove.length) this.log.info({ contactId, added: add.length, removed: remove.length }, 'contact tags synced');
    });
  }

  /** Staff alerts go to the staff group (BOT_STAFF_ROOM_TOPIC), headed with the role they are for. */
  async sendToStaff(staffRole: string, message: OutgoingMessage): Promise<void> {
    await this.guard('sendToStaff', async () => {
      const room = await this.bot.Room.find({ topic: this.opts.staffRoomTopic });
      if (!room) throw new ChannelError(`no WeCom group "${this.opts.staffRoomTopic}" for staff alerts`, false);
      await this.say(room, { ...message, text: `【${STAFF_ROLE_LABELS[staffRole] ?? staffRole}】${message.text}` });
    });
  }

  private async contact(contactId: string) {
    // Asked of the puppet first: Contact.find answers undefined for "gone" and "did not answer" alike.
    await this.exists(() => this.bot.puppet.contactPayload(contactId), `WeCom contact ${contactId} is gone`);
    const contact = await this.bot.Contact.find({ id: contactId });
    if (!contact) throw new Error(`contact ${contactId} could not be loaded`);
    return contact;
  }

  private async room(roomId: string) {
    await this.exists(() => this.bot.puppet.roomPayload(roomId), `WeCom group ${roomId} is gone`);
    const room = await this.bot.Room.find({ id: roomId });
    if (!room) throw new Error(`group ${roomId} could not be loaded`);
    return room;
  }

  private async exists(lookup: () => Promise<unknown>, gone: string): Promise<void> {
    try {
      await lookup();
    } catch (err) {
      if (NOT_THERE.test(String((err as Error)?.message))) throw new ChannelError(gone, false);
      throw err;
    }
  }

  /** Text first, then the card, then the image: the order a person reads them in. */
  private async say(to: Conversation, message: OutgoingMessage): Promise<void> {
    // Checked before anything is sent: the bot never fetches an address off the list (a message
    // queued before the list changed fails whole, as a staff task, rather than going out halved).
    if (message.imageUrl && !imageHostAllowed(message.imageUrl, this.opts.imageHosts)) {
      throw new ChannelError('the image is not on an allowed host (COMMUNITY_IMAGE_HOSTS); nothing was sent', false);
    }
    if (message.text) await to.say(message.text);
    if (message.card) {
      await to.say(new this.bot.MiniProgram({
        appid: this.opts.appId, title: message.card.title, pagePath: cardPagePath(message.card.pagePath), description: message.card.title,
      }));
    }
    if (message.imageUrl) await to.say(FileBox.fromUrl(message.imageUrl));
  }

  private async guard<T>(op: string, work: () => Promise<T>): Promise<T> {
    if (!this.bot.isLoggedIn) throw new ChannelError('the WeCom bot is not logged in', true);
    try {
      return await work();
    } catch (err) {
      if (err instanceof ChannelError) throw err;
      this.log.warn({ err, op }, 'WeCom channel call failed; worth retrying');
      throw new ChannelError(`WeCom ${op} failed: ${(err as Error)?.message ?? String(err)}`.slice(0, 300), true);
    }
  }
}
