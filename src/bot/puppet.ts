import { randomUUID } from 'node:crypto';
import type * as PUPPET from 'wechaty-puppet';
import { types } from 'wechaty';
import { PuppetMock, mock } from 'wechaty-puppet-mock';
import type { Config } from '../config';

/**
 * PuppetMock with what the simulated WeCom needs and the mock leaves out: a tag store (the mock's
 * tag methods do nothing) and mini-program / link cards that reach the mock contact as messages.
 * Wechaty itself stays real: it calls these through the ordinary puppet interface.
 */
export class WeComPuppetMock extends PuppetMock {
  /** Tag ids on each contact: the simulated WeCom's tags. */
  readonly contactTags = new Map<string, Set<string>>();
  /** Every tag write, in order, as WeCom would have received it. */
  readonly tagWrites: { op: 'add' | 'remove'; tagId: string; contactId: string }[] = [];
  private failAfter: number | null = null;
  private readonly cards = new Map<string, PUPPET.payloads.MiniProgram>();
  private readonly links = new Map<string, PUPPET.payloads.UrlLink>();

  override async tagContactAdd(tagId: string, contactId: string): Promise<void> {
    this.tagWrite('add', tagId, contactId);
    let tags = this.contactTags.get(contactId);
    if (!tags) this.contactTags.set(contactId, (tags = new Set()));
    tags.add(tagId);
  }

  override async tagContactRemove(tagId: string, contactId: string): Promise<void> {
    this.tagWrite('remove', tagId, contactId);
    this.contactTags.get(contactId)?.delete(tagId);
  }

  override async tagContactDelete(tagId: string): Promise<void> {
    for (const tags of this.contactTags.values()) tags.delete(tagId);
  }

  override async tagContactList(contactId?: string): Promise<string[]> {
    if (contactId !== undefined) {
      this.mocker.contactPayload(contactId); // throws for an unknown contact, as WeCom would refuse
      return [...(this.contactTags.get(contactId) ?? [])].sort();
    }
    return [...new Set([...this.contactTags.values()].flatMap((s) => [...s]))].sort();
  }

  override async messageSendMiniProgram(conversationId: string, payload: PUPPET.payloads.MiniProgram): Promise<void> {
    this.deliverCard(conversationId, types.Message.MiniProgram, (id) => this.cards.set(id, payload));
  }

  override async messageMiniProgram(messageId: string): Promise<PUPPET.payloads.MiniProgram> {
    const card = this.cardOf(messageId);
    if (!card) throw new Error(`no mini-program card in message ${messageId}`);
    return card;
  }

  /** The mini-program card a message carries (what the person sees), if any. */
  cardOf(messageId: string): PUPPET.payloads.MiniProgram | undefined {
    return this.cards.get(messageId);
  }

  override async messageSendUrl(conversationId: string, payload: PUPPET.payloads.UrlLink): Promise<void> {
    this.deliverCard(conversationId, types.Message.Url, (id) => this.links.set(id, payload));
  }

  override async messageUrl(messageId: string): Promise<PUPPET.payloads.UrlLink> {
    const link = this.links.get(messageId);
    if (!link) throw new Error(`no link in message ${messageId}`);
    return link;
  }

  /** After `okWrites` more tag writes succeed, the next one fails once, as a WeCom API hiccup would. */
  failTagWriteAfter(okWrites: number): void {
    this.failAfter = okWrites;
  }

  private tagWrite(op: 'add' | 'remove', tagId: string, contactId: string): void {
    if (!this.isLoggedIn) throw new Error('not logged in');
    this.mocker.contactPayload(contactId);
    if (this.failAfter !== null && this.failAfter-- === 0) {
      this.failAfter = null;
      throw new Error('WeCom tag API unavailable (simulated)');
    }
    this.tagWrites.push({ op, tagId, contactId });
  }

  /** A message from the bot's account carrying a card; the mock contact (or room) receives it like any message. */
  private deliverCard(conversationId: string, type: PUPPET.types.Message, keep: (messageId: string) => void): void {
    if (!this.isLoggedIn) throw new Error('not logged in');
    const base = { id: randomUUID(), talkerId: this.currentUserId, timestamp: Date.now(), type };
    // Kept before the message exists: the receiving side may ask for the card at once.
    keep(base.id);
    // The mock's own rule: room ids carry an @.
    const payload = /@/.test(conversationId) ? { ...base, roomId: conversationId, mentionIdList: [] } : { ...base, listenerId: conversationId };
    this.mocker.MessageMock.create(payload as PUPPET.payloads.Message);
    this.emit('message', { messageId: payload.id });
  }
}

/** A simulated WeCom: the bot's own account, client contacts, one client group and the staff group. */
export interface SimulatedWeCom {
  mocker: mock.Mocker;
  self: mock.ContactMock;
  contacts: mock.ContactMock[];
  room: mock.RoomMock;
  staffRoom: mock.RoomMock;
  /** Set once the puppet is made. */
  puppet?: WeComPuppetMock;
}

export interface SimulatedContact {
  /** Stable ids keep the demo's links across restarts; tests leave it out for fresh ones. */
  id?: string;
  name: string;
  alias?: string;
  /** Phones WeCom knows for the contact: a match with one client's phone links them. */
  phone?: string[];
  weixin?: string;
}

// 林小姐 and 王女士 carry the phones of two demo clients (src/modules/demo), so the demo shows contacts
// linked by a match with their tags; 陈先生 stays unlinked for the binding code or staff to link.
export const DEMO_CONTACTS: SimulatedContact[] = [
  { id: 'wecom-demo-lin', name: '林小姐', alias: 'wecom-demo-lin', phone: ['13800138001'] },
  { id: 'wecom-demo-wang', name: '王女士', alias: 'wecom-demo-wang', phone: ['13800138002'] },
  { id: 'wecom-demo-chen', name: '陈先生', alias: 'wecom-demo-chen', phone: [] },
];

export const DEFAULT_STAFF_ROOM_TOPIC = '美颜医院·员工通知群';

export function simulatedWeCom(opts: { contacts?: SimulatedContact[]; staffRoomTopic?: string } = {}): SimulatedWeCom {
  const mocker = new mock.Mocker();
  // The demo's account and groups keep their ids across restarts, like a real WeCom account's.
  const demo = opts.contacts === undefined;
  const stable = (id: string) => (demo ? { id } : {});
  const self = mocker.createContact({ ...stable('wecom-demo-account'), name: '美颜医院·客户经理小美', phone: [] });
  const contacts = (opts.contacts ?? DEMO_CONTACTS).map(({ id, ...c }) => mocker.createContact({ phone: [], ...c, ...(id ? { id } : {}) }));
  const coworker = mocker.createContact({ ...stable('wecom-demo-coworker'), name: '周咨询师', coworker: true, phone: [] });
  const room = mocker.createRoom({ ...stable('wecom-demo-clients@chatroom'), topic: '美丽学院·客户交流群', memberIdList: [self.id, ...contacts.map((c) => c.id)] });
  const staffRoom = mocker.createRoom({
    ...stable('wecom-demo-staff@chatroom'), topic: opts.staffRoomTopic ?? DEFAULT_STAFF_ROOM_TOPIC, memberIdList: [self.id, coworker.id],
  });
  // The mocker logs the account in once the puppet has started.
  mocker.use(() => {
    mocker.login(self);
    return () => undefined;
  });
  return { mocker, self, contacts, room, staffRoom };
}

/** The puppet by configuration: the mock for local runs and tests, puppet-service for a real WeCom account. */
export async function createPuppet(cfg: Config['bot'], simulated?: SimulatedWeCom): Promise<{ puppet: PUPPET.impls.PuppetInterface; simulated?: SimulatedWeCom }> {
  if (cfg.puppet === 'mock') {
    const sim = simulated ?? simulatedWeCom({ staffRoomTopic: cfg.staffRoomTopic });
    sim.puppet = new WeComPuppetMock({ mocker: sim.mocker });
    return { puppet: sim.puppet as unknown as PUPPET.impls.PuppetInterface, simulated: sim };
  }
  type ServiceOptions = { token: string; endpoint?: string; tls?: { disable?: boolean } };
  let mod: { PuppetService: new (opts: ServiceOptions) => PUPPET.impls.PuppetInterface };
  try {
    // Loaded only when configured, so local runs do not pay for gRPC.
    mod = require('wechaty-puppet-service');
  } catch {
    throw new Error('BOT_PUPPET=service needs the package wechaty-puppet-service (npm install wechaty-puppet-service)');
  }
  return {
    puppet: new mod.PuppetService({
      token: cfg.puppetToken,
      ...(cfg.serviceEndpoint ? { endpoint: cfg.serviceEndpoint } : {}),
      ...(cfg.serviceNoTls ? { tls: { disable: true } } : {}),
    }),
  };
}
