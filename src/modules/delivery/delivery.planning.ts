import type { StaffRole } from '../staff';
import { SEND_TASK_CHANNEL } from './delivery.channels';
import type { WeComChannel } from './delivery.channels';
import { nextMinute } from './delivery.rules';
import type { Support } from './delivery.shared';
import type { Subscriptions } from './delivery.subscriptions';
import type { Claimed, ClientInfo, Outcome, Plan } from './delivery.types';

/** What a batch's rows need to be sent: their clients, and each row's channel. */
export interface BatchPlan {
  clients: Map<number, ClientInfo>;
  plans: Map<string, Plan>;
}

/**
 * Decides each claimed row's channel before any budget is taken: for a client message the bot
 * (a WeCom contact), a send task through WeCom's official API, a subscribe message, else a staff
 * task (DESIGN.md: the first channel that can carry it); tag syncs, group posts and staff alerts
 * their own way.
 */
export class ChannelPlanner {
  private warnedNoContacts = false;

  constructor(private readonly s: Support, private readonly subscriptions: Subscriptions) {}

  /** The batch's clients, contacts and official reach, looked up once, and the plan of every row. */
  async planBatch(channel: WeComChannel | null, rows: Claimed[], now: Date): Promise<BatchPlan> {
    const clients = await this.clientsOf(rows);
    const contacts = await this.contactsOf(rows.filter((r) => r.kind === 'client_message' || r.kind === 'tag_sync'), clients);
    const official = await this.officiallyReachable(rows, clients);
    return { clients, plans: await this.decide(channel, rows, clients, contacts, now, official) };
  }

  /** Active clients of client messages and tag syncs that WeCom's official API reaches. */
  private async officiallyReachable(rows: Claimed[], clients: Map<number, ClientInfo>): Promise<Set<number>> {
    const official = this.s.deps.official?.();
    const ids = [...new Set(rows.filter((r) => r.kind === 'client_message' || r.kind === 'tag_sync').map((r) => r.clientId)
      .filter((id): id is number => id !== null && clients.get(id)?.active === true))];
    return official && ids.length ? official.reachable(ids) : new Set();
  }

  /** The client rows behind a batch: openid for subscribe messages, the consultant for tasks, and whether still active. */
  async clientsOf(rows: Claimed[]): Promise<Map<number, ClientInfo>> {
    const ids = [...new Set(rows.map((r) => r.clientId).filter((id): id is number => id !== null))];
    if (!ids.length) return new Map();
    const found: { id: number; openid: string; status: string; consultant_id: number | null }[] = await this.s.deps.db.query(
      `SELECT id, openid, status, consultant_id FROM clients WHERE id IN (${ids.map(() => '?').join(',')})`, ids,
    );
    return new Map(found.map((c) => [Number(c.id), { openid: c.openid, active: c.status === 'active', consultantId: c.consultant_id }]));
  }

  async contactsOf(rows: Claimed[], clients: Map<number, ClientInfo>): Promise<Map<number, string>> {
    const directory = this.s.deps.contacts();
    const ids = [...new Set(rows.map((r) => r.clientId).filter((id): id is number => id !== null && clients.get(id)?.active === true))];
    if (!directory && ids.length && !this.warnedNoContacts) {
      this.warnedNoContacts = true;
      this.s.log.warn('no contacts module: every client counts as not bound to WeCom');
    }
    if (!directory || !ids.length) return new Map();
    if (directory.contactsOfClients) return directory.contactsOfClients(ids);
    const found = await Promise.all(ids.map(async (id) => [id, await directory.contactOfClient(id)] as const));
    return new Map(found.filter((f): f is readonly [number, string] => f[1] !== null));
  }

  /** Decides each row's channel before any budget is taken. */
  private async decide(
    channel: WeComChannel | null, rows: Claimed[], clients: Map<number, ClientInfo>, contacts: Map<number, string>, now: Date, official: Set<number>,
  ): Promise<Map<string, Plan>> {
    const plans = new Map<string, Plan>();
    const credits = await this.subscriptions.creditsOf(rows.filter((r) => r.kind === 'client_message' && r.clientId !== null && !contacts.has(r.clientId)));
    const superseded = await this.supersededTagSyncs(rows.filter((r) => r.kind === 'tag_sync'));
    const staffRoles = await this.rolesOf(rows.filter((r) => r.kind === 'staff_alert').map((r) => r.payload.staffId).filter((id) => Number.isInteger(id)));
    const done = (outcome: Outcome): Plan => ({ how: 'done', outcome });

    for (const row of rows) {
      const p = row.payload;
      const client = row.clientId === null ? undefined : clients.get(row.clientId);
      if (row.attempts > this.s.cfg.maxAttempts) {
        // Only a drain that died on it every time gets here (the lease ran out again and again).
        plans.set(row.id, done({ type: 'failed', error: `gave up after ${row.attempts - 1} attempts`, task: this.s.failureTask(row, client, 'gave up after repeated attempts') }));
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
              plans.set(row.id, done(this.s.channelFailure(row, client, err)));
              break;
            }
          }
          if (!rooms || !rooms.length) {
            plans.set(row.id, done({ type: 'failed', error: 'no room to post to', task: this.s.failureTask(row, client, 'no room to post to') }));
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
          plans.set(row.id, done({ type: 'failed', error: `unknown outbox kind '${row.kind}'`, task: this.s.failureTask(row, client, `unknown outbox kind '${row.kind}'`) }));
      }
    }
    return plans;
  }

  /** Tag syncs with a newer row for the same client: applying them would bring back an old set. */
  private async supersededTagSyncs(rows: Claimed[]): Promise<Set<string>> {
    const ids = [...new Set(rows.map((r) => r.clientId).filter((id): id is number => id !== null))];
    if (!ids.length) return new Set();
    const newest: { client_id: number; id: string | number }[] = await this.s.deps.db.query(
      `SELECT client_id, MAX(id) AS id FROM outbox_messages WHERE kind = 'tag_sync' AND status <> 'cancelled' AND client_id IN (${ids.map(() => '?').join(',')}) GROUP BY client_id`, ids,
    );
    const latest = new Map(newest.map((n) => [Number(n.client_id), BigInt(n.id)]));
    return new Set(rows.filter((r) => r.clientId !== null && (latest.get(r.clientId) ?? 0n) > BigInt(r.id)).map((r) => r.id));
  }

  private async rolesOf(staffIds: number[]): Promise<Map<number, StaffRole>> {
    const ids = [...new Set(staffIds)];
    if (!ids.length) return new Map();
    const rows: { id: number; role: StaffRole }[] = await this.s.deps.db.query(`SELECT id, role FROM staff WHERE id IN (${ids.map(() => '?').join(',')})`, ids);
    return new Map(rows.map((r) => [Number(r.id), r.role]));
  }
}
