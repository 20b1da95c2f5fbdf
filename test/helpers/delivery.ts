import { randomBytes } from 'node:crypto';
import { ChannelError } from '../../src/modules/delivery';
import type { OutgoingMessage, WeComChannel } from '../../src/modules/delivery';
import type { TestContext } from './context';

export type ChannelOp = 'contact' | 'room' | 'tags' | 'staff' | 'findRooms';

export interface ChannelSend {
  op: ChannelOp;
  to: string;
  message?: OutgoingMessage;
  tags?: Record<string, string[]>;
}

/**
 * A stand-in for the bot's WeCom channel (an outside system: WeCom through Wechaty): it records
 * every send, can be told to fail the next sends, and can hold sends until released (a drain
 * "killed" while sending). The bot's real Wechaty channel is tested by the bot's own tests.
 */
export class RecordingChannel implements WeComChannel {
  readonly sends: ChannelSend[] = [];
  private failures: { op: ChannelOp; error: Error; times: number }[] = [];
  private gate: Promise<void> | null = null;
  private openGate: (() => void) | null = null;
  /** Called before each send is recorded (e.g. to break the database under a drain). */
  beforeSend: ((send: ChannelSend) => Promise<void>) | null = null;
  private waiters: { count: number; resolve: () => void }[] = [];

  constructor(
    readonly accountId: string = `acct-${randomBytes(4).toString('hex')}`,
    private readonly rooms: Record<string, string[]> = {},
  ) {}

  /** The next `times` sends of `op` throw a ChannelError (transient or not). */
  failNext(op: ChannelOp, transient: boolean, times = 1, message = transient ? 'WeCom busy' : 'contact deleted us'): void {
    this.failures.push({ op, error: new ChannelError(message, transient), times });
  }

  /** From now on every send is recorded and then waits until `release()`. */
  hold(): void {
    this.gate = new Promise((resolve) => { this.openGate = resolve; });
  }

  release(): void {
    this.openGate?.();
    this.gate = null;
  }

  /** Resolves once `count` sends have been recorded. */
  sent(count: number): Promise<void> {
    if (this.sends.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  to(op: ChannelOp, to?: string): ChannelSend[] {
    return this.sends.filter((s) => s.op === op && (to === undefined || s.to === to));
  }

  async sendToContact(contactId: string, message: OutgoingMessage): Promise<void> {
    await this.act({ op: 'contact', to: contactId, message });
  }

  async sendToRoom(roomId: string, message: OutgoingMessage): Promise<void> {
    await this.act({ op: 'room', to: roomId, message });
  }

  async findRooms(topic: string): Promise<string[]> {
    this.fail('findRooms');
    return this.rooms[topic] ?? [];
  }

  async syncTags(contactId: string, tags: Record<string, string[]>): Promise<void> {
    await this.act({ op: 'tags', to: contactId, tags });
  }

  async sendToStaff(staffRole: string, message: OutgoingMessage): Promise<void> {
    await this.act({ op: 'staff', to: staffRole, message });
  }

  private fail(op: ChannelOp): void {
    const f = this.failures.find((x) => x.op === op);
    if (!f) return;
    if (--f.times <= 0) this.failures.splice(this.failures.indexOf(f), 1);
    throw f.error;
  }

  private async act(send: ChannelSend): Promise<void> {
    this.fail(send.op);
    if (this.beforeSend) await this.beforeSend(send);
    this.sends.push(send);
    for (const w of this.waiters.filter((x) => this.sends.length >= x.count)) w.resolve();
    this.waiters = this.waiters.filter((x) => this.sends.length < x.count);
    if (this.gate) await this.gate;
  }
}

/** Writes an outbox row as a producing module would (in its own transaction); returns its id. */
export async function enqueue(
  t: TestContext, input: { kind: string; dedupeKey?: string; clientId?: number | null; payload: Record<string, unknown>; dueAt?: Date },
): Promise<string> {
  const dedupeKey = input.dedupeKey ?? `test:${randomBytes(8).toString('hex')}`;
  await t.deps.db.transaction((m) => t.services.outbox.enqueue(m, { ...input, dedupeKey }));
  const [row] = await t.deps.db.query('SELECT id FROM outbox_messages WHERE dedupe_key = ?', [dedupeKey]);
  return String(row.id);
}

export interface OutboxRow {
  id: string;
  kind: string;
  status: string;
  attempts: number;
  channel: string | null;
  account_id: string | null;
  due_at: Date;
  sent_at: Date | null;
  last_error: string | null;
  sent_to: string[] | null;
  claim_token: string | null;
}

export async function outboxRow(t: TestContext, id: string): Promise<OutboxRow> {
  const [row] = await t.deps.db.query('SELECT * FROM outbox_messages WHERE id = ?', [id]);
  return { ...row, id: String(row.id), sent_to: typeof row.sent_to === 'string' ? JSON.parse(row.sent_to) : row.sent_to };
}

/** Links a WeCom contact to a client the way staff do (the contacts module), and returns the contact id. */
export async function bindContact(t: TestContext, client: { id: number; publicId: string }, accountId: string, staffActor: { id: number }): Promise<string> {
  const contactId = `wm${randomBytes(10).toString('hex')}`;
  await t.services.contacts.seen(accountId, { id: contactId, name: '测试联系人', phones: [] });
  await t.services.contacts.bindByStaff({ type: 'staff', id: staffActor.id, role: 'director', ip: null, requestId: null }, contactId, client.publicId);
  return contactId;
}

/** A test context's drain clock set to a Shanghai wall-clock time ("2026-03-02 10:00"). */
export function shanghai(local: string): Date {
  return new Date(`${local.replace(' ', 'T')}:00+08:00`);
}
