import { randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import { runInTransaction } from '../../shared/db';
import type { Logger } from '../../shared/logger';
import { AppError, notFound } from '../../shared/errors';
import { jsapiSignature } from '../../integrations/wecom/crypto';
import { WeComApi, WeComError } from '../../integrations/wecom/types';
import type { Actor } from '../audit';
import { CallbackQuery, CallbackReceiver } from './wecom.callbacks';
import { EventProcessor } from './wecom.events';
import { ContactWays } from './wecom.contactways';
import { StaffNotices } from './wecom.notices';
import { WorkNotices, WorkNoticeSources } from './wecom.worknotices';
import { ClientTagStore, CorpTagSync } from './wecom.tags';
import { SendTaskFallback, SendTasks } from './wecom.sendtasks';
import type { OfficialWeComChannel } from '../delivery';
import type { Redis } from '../../shared/redis';
import { WeComErrors } from './wecom.errors';

export interface WeComDeps {
  db: DataSource;
  config: Config;
  clock: Clock;
  redis: Redis;
  wecom: WeComApi;
  logger: Logger;
  /** The clients module's access rule (audited 404 when the staff member may not see the client). */
  clientAccess: { assertStaffMaySee(actor: Actor, clientPublicId: string, action: string): Promise<void> };
  /** The bot's contacts (a puppet-service contact id may be the external userid). */
  botContacts: { clientOfContact(contactId: string): Promise<{ clientId: number; publicId: string } | null> };
  /** The tags module (tags staff change in WeCom come back through it); looked up when needed. */
  tags?: () => ClientTagStore | undefined;
  /** Delivery, for send-task messages not sent in time; looked up when needed (it is built after this service). */
  delivery?: () => SendTaskFallback | undefined;
  /** New work, deadlines and posts to approve, for the staff work notices; looked up when needed. */
  workSources?: () => WorkNoticeSources | undefined;
}

export interface JssdkSignature {
  timestamp: number;
  nonceStr: string;
  signature: string;
}

export interface JssdkConfig {
  corpId: string;
  agentId: string;
  config: JssdkSignature;
  agentConfig: JssdkSignature;
}

const NONCE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';
const nonce = (n = 16) => [...randomBytes(n)].map((b) => NONCE_ALPHABET[b % NONCE_ALPHABET.length]).join('');

/**
 * WeCom's official API beside the bot: the callback URL (recorded once, processed from the
 * table), the sidebar's JS-SDK signatures and its contact → client lookup.
 */
export class WeComService {
  readonly callbacks: CallbackReceiver;
  readonly events: EventProcessor;
  readonly contactWays: ContactWays;
  /** Notices to staff through the hospital's app; other modules hand theirs here. */
  readonly notices: StaffNotices;
  /** Corporate tags (mark_tag) and what staff change in WeCom. */
  readonly corpTags: CorpTagSync;
  /** Client messages as send tasks the consultant confirms. */
  readonly sendTasks: SendTasks;
  /** New work for staff, batched per staff member into one app notice per run. */
  readonly workNotices: WorkNotices;
  private readonly log: Logger;

  constructor(private readonly deps: WeComDeps) {
    this.log = deps.logger;
    this.callbacks = new CallbackReceiver(deps);
    this.events = new EventProcessor({ db: deps.db, clock: deps.clock, log: this.log });
    this.contactWays = new ContactWays({ db: deps.db, config: deps.config, clock: deps.clock, wecom: deps.wecom, log: this.log });
    this.events.addedHooks.push(this.contactWays.onAdded);
    this.notices = new StaffNotices({ db: deps.db, config: deps.config, clock: deps.clock, redis: deps.redis, wecom: deps.wecom, log: this.log });
    this.corpTags = new CorpTagSync({ db: deps.db, corpId: deps.config.wecom.corpId, wecom: deps.wecom, log: this.log, tags: deps.tags ?? (() => undefined) });
    this.sendTasks = new SendTasks({
      db: deps.db, config: deps.config, clock: deps.clock, wecom: deps.wecom, log: this.log, notices: this.notices, delivery: deps.delivery ?? (() => undefined),
    });
    this.workNotices = new WorkNotices({ db: deps.db, sources: deps.workSources ?? (() => undefined), notices: this.notices, log: this.log });
    this.events.editedHooks.push((ext, userid) => this.corpTags.onContactEdited(ext, userid));
    this.events.libraryHooks.push(() => this.corpTags.forgetLibrary());
  }

  /** The official API as a delivery channel (tags, send tasks); undefined when it is not configured. */
  deliveryChannel(): OfficialWeComChannel | undefined {
    if (!this.official) return undefined;
    return {
      reachable: (ids) => this.sendTasks.reachable(ids),
      syncTags: async (clientId, tags) => { await this.corpTags.sync(clientId, tags); },
      createSendTasks: (items) => this.sendTasks.create(items),
    };
  }

  get official(): boolean {
    return this.deps.config.wecom.official;
  }

  /** The contact-me codes, when the official API is configured. */
  contactWaysOrOff(): ContactWays {
    if (!this.official) throw new AppError(WeComErrors.WECOM_OFFICIAL_OFF, 'The official WeCom API is not configured');
    return this.contactWays;
  }

  verifyCallbackUrl(q: CallbackQuery): string {
    return this.callbacks.verifyUrl(q);
  }

  /** Records an event and starts processing it in the background; the HTTP answer does not wait. */
  async receiveCallback(q: CallbackQuery, body: string): Promise<{ recorded: boolean }> {
    const r = await this.callbacks.receive(q, body);
    if (r.recorded) this.events.kick();
    return { recorded: r.recorded };
  }

  /** Processes due events (the scheduler's task; tests call it to wait for background processing). */
  processEvents(): Promise<number> {
    return this.events.drain();
  }

  /**
   * For ClientsService.addDataHooks (PIPL), inside the client's transaction: deleting the account
   * unlinks the WeCom contacts (the relations stay, as WeCom keeps them) and the client's one-tap
   * code (an unused one is deleted at WeCom by the weekly purge); the export says which WeCom chats
   * were linked.
   */
  readonly clientDataHooks = {
    onAccountDeleted: async (m: EntityManager, clientId: number): Promise<void> => {
      await m.query('UPDATE wecom_external_contacts SET client_id = NULL, linked_by = NULL WHERE client_id = ?', [clientId]);
      await m.query('UPDATE wecom_contact_ways SET client_id = NULL WHERE client_id = ?', [clientId]);
    },
    exportSections: async (m: EntityManager, clientId: number): Promise<Record<string, unknown>> => {
      const rows: { channel: string | null; added_at: Date | null; status: string }[] = await m.query(
        'SELECT channel, added_at, status FROM wecom_external_contacts WHERE client_id = ? ORDER BY added_at', [clientId],
      );
      return { wecomOfficial: { contacts: rows.map((r) => ({ channel: r.channel, addedAt: r.added_at, status: r.status })) } };
    },
  };

  /** Maps a WeCom userid to a staff member given by public id (director's settings). */
  async linkStaffUserByPublicId(userid: string, staffPublicId: string): Promise<{ userid: string; staffId: string }> {
    const [row]: { id: number }[] = await this.deps.db.query('SELECT id FROM staff WHERE public_id = ? AND active = 1', [staffPublicId]);
    if (!row) throw notFound('Staff member');
    await this.linkStaffUser(userid, Number(row.id));
    return { userid, staffId: staffPublicId };
  }

  /** Maps a WeCom userid to a staff member (one userid per staff member). */
  async linkStaffUser(userid: string, staffId: number): Promise<void> {
    await runInTransaction(this.deps.db, async (m) => {
      await m.query('DELETE FROM wecom_staff_users WHERE staff_id = ? OR userid = ?', [staffId, userid]);
      await m.query('INSERT INTO wecom_staff_users (userid, staff_id) VALUES (?, ?)', [userid, staffId]);
      await m.query('UPDATE wecom_external_contacts SET staff_id = ? WHERE userid = ?', [staffId, userid]);
    });
  }

  /**
   * What `ww.register` needs for a page: the corp's signature (ww.config) and the app's
   * (ww.agentConfig), each over its own jsapi ticket, the page URL without its #fragment.
   */
  async jssdkConfig(pageUrl: string): Promise<JssdkConfig> {
    if (!this.official) throw new AppError(WeComErrors.WECOM_OFFICIAL_OFF, 'The official WeCom API is not configured');
    const url = pageUrl.split('#')[0];
    let corpTicket: string;
    let agentTicket: string;
    try {
      [corpTicket, agentTicket] = await Promise.all([this.deps.wecom.getJsapiTicket('corp'), this.deps.wecom.getJsapiTicket('agent')]);
    } catch (err) {
      if (err instanceof WeComError) throw new AppError(WeComErrors.WECOM_UPSTREAM, 'WeCom did not give a jsapi ticket', { errcode: err.errcode, hint: err.hint });
      throw err;
    }
    const timestamp = Math.floor(this.deps.clock.now().getTime() / 1000);
    const sign = (ticket: string): JssdkSignature => {
      const nonceStr = nonce();
      return { timestamp, nonceStr, signature: jsapiSignature(ticket, nonceStr, timestamp, url) };
    };
    return { corpId: this.deps.config.wecom.corpId, agentId: this.deps.config.wecom.agentId, config: sign(corpTicket), agentConfig: sign(agentTicket) };
  }

  /**
   * The client behind the external contact open in the sidebar, when the signed-in staff member
   * may see them (the clients module's rule; a refusal is audited and looks like "not found").
   */
  async clientOfExternalContact(actor: Actor, externalUserId: string): Promise<{ clientId: string }> {
    const rows: { public_id: string }[] = await this.deps.db.query(
      `SELECT c.public_id FROM wecom_external_contacts w JOIN clients c ON c.id = w.client_id AND c.status = 'active'
        WHERE w.external_userid = ? ORDER BY w.status = 'active' DESC, w.last_event_at DESC LIMIT 1`,
      [externalUserId],
    );
    const publicId = rows[0]?.public_id ?? (await this.deps.botContacts.clientOfContact(externalUserId))?.publicId;
    if (!publicId) throw notFound('Client');
    await this.deps.clientAccess.assertStaffMaySee(actor, publicId, 'client.wecom_sidebar');
    return { clientId: publicId };
  }
}
