import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../../config';
import { shanghaiDate, type Clock } from '../../shared/clock';
import type { Redis } from '../../shared/redis';
import { hitCounter } from '../../shared/redis';
import { FieldCipher, normalizePhone, publicId as newPublicId, randomCode } from '../../shared/crypto';
import { AppError, notFound } from '../../shared/errors';
import { isDeadlock, isDuplicateKey, runInTransaction } from '../../shared/db';
import { createLogger, Logger } from '../../shared/logger';
import { SYSTEM_ACTOR } from '../audit';
import type { Actor, AuditService } from '../audit';
import { ClientAccess, mayAccess, readClientField } from '../clients';
import type { OutboxService } from '../outbox';
import type { TagsService } from '../tags';
import { ContactErrors } from './contacts.errors';
import type { BoundBy, InboundKind } from './contacts.entity';

export interface ContactsDeps {
  db: DataSource;
  config: Config;
  clock: Clock;
  cipher: FieldCipher;
  audit: AuditService;
  outbox: OutboxService;
  tags: TagsService;
  redis: Redis;
  /** Module logger; one is made from config.logLevel when not given. */
  logger?: Logger;
}

/** What the puppet tells about a contact (the bot maps Wechaty's Contact onto this). */
export interface SeenContact {
  id: string;
  name: string;
  /** Phone numbers the puppet knows for the contact (e.g. from the WeCom remark). */
  phones: string[];
  /** The contact's unionid, when the puppet exposes one. */
  unionid?: string | null;
}

/** Result of a binding code sent in the chat. */
export type CodeBindOutcome =
  | { status: 'bound'; clientId: number; replaced: string | null }
  | { status: 'already'; clientId: number }
  /** Unknown or expired code. */
  | { status: 'invalid' }
  /** The contact is linked to another client; staff must unlink it first. */
  | { status: 'contact_taken' }
  /** Too many wrong codes from this contact within the hour. */
  | { status: 'throttled' };

/** What staff may send a client from the sidebar. */
export const STAFF_SENDS = ['questionnaire', 'binding_code'] as const;
export type StaffSend = (typeof STAFF_SENDS)[number];

/** The intent questionnaire, as a card opening its page in the mini-program. */
const QUESTIONNAIRE_MESSAGE = {
  title: '意向问卷',
  text: '您好，请花一两分钟填写这份意向问卷，方便顾问为您准备更合适的方案。',
  card: { title: '意向问卷', pagePath: 'packageSurvey/questionnaire/index?code=intent' },
};

/** The binding code as text: the client sends it in the WeCom chat to link it to their account. */
function bindingCodeMessage(code: string): { title: string; text: string; card?: undefined } {
  return { title: '企业微信绑定码', text: `您的绑定码是 ${code}，请在与顾问的企业微信聊天中发送此码，即可关联您的会员账号。` };
}

export interface BindingCodeView {
  code: string;
  expiresAt: Date;
  /** The client already has a linked WeCom contact (sending the code again moves the link). */
  bound: boolean;
}

export interface ContactView {
  contactId: string;
  accountId: string;
  name: string | null;
  client: { id: string; name: string | null } | null;
  boundBy: BoundBy | null;
  boundAt: Date | null;
  autoMatch: boolean;
  lastSeenAt: Date;
}

export interface InboundInput {
  /** The puppet's message id: a message delivered twice is stored once. */
  messageId: string;
  accountId: string;
  contactId: string;
  clientId: number | null;
  kind: InboundKind;
  msgType: string;
  text: string | null;
  score?: number | null;
  receivedAt: Date;
}

export interface InboundView {
  id: string;
  kind: InboundKind;
  type: string;
  text: string | null;
  score: number | null;
  receivedAt: Date;
}

/** The bot acting on its own (a code or a match from the puppet), as recorded in the audit log. */
export const BOT_ACTOR: Actor = { ...SYSTEM_ACTOR, role: 'bot' };

const BINDING_CODE_LENGTH = 6;
const FAIL_WINDOW_SECONDS = 3600;

export const inboundAad = (messagePublicId: string) => `inbound_messages:${messagePublicId}:text`;
export const contactNameAad = (contactId: string) => `wecom_contacts:${contactId}:name`;

interface ContactRow {
  contact_id: string;
  account_id: string;
  client_id: number | null;
  name_enc: Buffer | null;
  auto_match: number;
  bound_by: BoundBy | null;
  bound_at: Date | null;
  last_seen_at: Date;
  client_public_id: string | null;
  client_name_enc: Buffer | null;
}

const CONTACT_COLUMNS = `w.contact_id, w.account_id, c.id AS client_id, w.name_enc, w.auto_match, w.bound_by, w.bound_at, w.last_seen_at,
  c.public_id AS client_public_id, c.name_enc AS client_name_enc`;
// A contact linked to a client who has since deleted their account counts as unlinked.
const CONTACT_FROM = "wecom_contacts w LEFT JOIN clients c ON c.id = w.client_id AND c.status = 'active'";

/** A binding code: unambiguous characters, with at least one digit and one letter so a plain word is never one. */
function newBindingCode(): string {
  for (;;) {
    const code = randomCode(BINDING_CODE_LENGTH);
    if (/\d/.test(code) && /[A-Z]/.test(code)) return code;
  }
}

/**
 * WeCom contacts 外部联系人 and their link to clients. A contact is linked
 * by a short code the client sends in the chat, by an unambiguous match on what the puppet knows
 * (phone, unionid), or by staff. One client per contact and one contact per client, kept by a
 * unique index and by locking the client row first in every link. A new link asks the bot to
 * mirror the client's tags onto the contact (outbox `tag_sync`), in the same transaction.
 */
export class ContactsService {
  private readonly log: Logger;
  /** The client-access rule: the WeCom link and chat messages are the `contact` section. */
  private readonly access: ClientAccess;

  constructor(private readonly deps: ContactsDeps) {
    this.log = deps.logger ?? createLogger(deps.config.logLevel, { module: 'contacts' });
    this.access = new ClientAccess(deps);
  }

  private get db(): DataSource {
    return this.deps.db;
  }

  // ---------------------------------------------------------------- what delivery and the bot ask

  /** The WeCom contact linked to an active client, or null (delivery falls back to other channels). */
  async contactOfClient(clientId: number, m?: EntityManager): Promise<string | null> {
    const rows: { contact_id: string }[] = await (m ?? this.db.manager).query(
      `SELECT w.contact_id FROM wecom_contacts w JOIN clients c ON c.id = w.client_id AND c.status = 'active' WHERE w.client_id = ?`,
      [clientId],
    );
    return rows[0]?.contact_id ?? null;
  }

  /** contactOfClient for a batch (one query per delivery batch): client id → contact id, linked active clients only. */
  async contactsOfClients(clientIds: number[]): Promise<Map<number, string>> {
    if (!clientIds.length) return new Map();
    const rows: { client_id: number; contact_id: string }[] = await this.db.query(
      `SELECT w.client_id, w.contact_id FROM wecom_contacts w JOIN clients c ON c.id = w.client_id AND c.status = 'active'
        WHERE w.client_id IN (${clientIds.map(() => '?').join(',')})`,
      clientIds,
    );
    return new Map(rows.map((r) => [Number(r.client_id), r.contact_id]));
  }

  /** The active client linked to a contact, with what the bot's answers need. */
  async clientOfContact(contactId: string): Promise<{ clientId: number; publicId: string; referralCode: string } | null> {
    const rows: { id: number; public_id: string; referral_code: string }[] = await this.db.query(
      `SELECT c.id, c.public_id, c.referral_code FROM wecom_contacts w JOIN clients c ON c.id = w.client_id AND c.status = 'active' WHERE w.contact_id = ?`,
      [contactId],
    );
    const r = rows[0];
    return r ? { clientId: Number(r.id), publicId: r.public_id, referralCode: r.referral_code } : null;
  }

  /**
   * Records that the bot sees a contact (at login, on a message, on a new friendship) and, while it
   * is unlinked and staff have not unlinked it by hand, tries an unambiguous match. Returns the
   * linked client, if any.
   */
  async seen(accountId: string, contact: SeenContact): Promise<{ clientId: number | null }> {
    await this.touch(accountId, contact);
    const [row]: { client_id: number | null; auto_match: number }[] = await this.db.query(
      `SELECT c.id AS client_id, w.auto_match FROM ${CONTACT_FROM} WHERE w.contact_id = ?`,
      [contact.id],
    );
    if (row?.client_id) return { clientId: Number(row.client_id) };
    if (!row || !Number(row.auto_match)) return { clientId: null };
    return { clientId: await this.tryMatch(contact) };
  }

  /** Creates or refreshes the contact's row (name, account, last seen). */
  private async touch(accountId: string, contact: SeenContact): Promise<void> {
    const nameEnc = contact.name ? this.deps.cipher.encrypt(contact.name, contactNameAad(contact.id)) : null;
    await this.db.query(
      `INSERT INTO wecom_contacts (contact_id, account_id, name_enc, auto_match, last_seen_at) VALUES (?, ?, ?, 1, ?)
       ON DUPLICATE KEY UPDATE account_id = VALUES(account_id), name_enc = VALUES(name_enc), last_seen_at = VALUES(last_seen_at)`,
      [contact.id, accountId, nameEnc, this.deps.clock.now()],
    );
  }

  /**
   * Links the contact to the one active client its phones or unionid point at; nothing when none
   * or several match, or when that client already has a contact.
   */
  private async tryMatch(contact: SeenContact): Promise<number | null> {
    const phones = [...new Set(contact.phones.map(normalizePhone).filter((p) => p.length >= 5))];
    const ids = new Set<number>();
    if (phones.length) {
      const bidx = phones.flatMap((p) => this.deps.cipher.blindIndexes('phone', p));
      const rows: { id: number }[] = await this.db.query(
        `SELECT id FROM clients WHERE status = 'active' AND phone_bidx IN (${bidx.map(() => '?').join(',')})`, bidx,
      );
      for (const r of rows) ids.add(Number(r.id));
    }
    if (contact.unionid) {
      const rows: { id: number }[] = await this.db.query("SELECT id FROM clients WHERE status = 'active' AND unionid = ?", [contact.unionid]);
      for (const r of rows) ids.add(Number(r.id));
    }
    if (ids.size !== 1) {
      if (ids.size > 1) this.log.info({ contactId: contact.id, candidates: ids.size }, 'contact matches several clients; left for staff');
      return null;
    }
    const [clientId] = ids;
    return this.run(async (m) => {
      if (!(await this.lockActiveClient(m, clientId))) return null;
      const current = await this.lockContact(m, contact.id);
      if (!current || current.clientId !== null || !current.autoMatch) return current?.clientId ?? null;
      if (await this.otherContactOf(m, clientId, contact.id)) return null;
      await this.link(m, contact.id, clientId, 'match', BOT_ACTOR);
      return clientId;
    });
  }

  // ---------------------------------------------------------------- staff sends (the WeCom sidebar)

  /**
   * Staff send the client the intent questionnaire (a card opening it) or their WeCom binding code:
   * a client message like every other (WeCom, else a subscribe message, else a staff task). Once per
   * client, purpose and Shanghai day, so a double tap sends once; audited.
   */
  async sendToClient(actor: Actor, clientPublicId: string, what: StaffSend): Promise<{ queued: boolean }> {
    const client = await this.openClientForStaff(this.db.manager, actor, clientPublicId, 'client.send', false);
    const message = what === 'questionnaire' ? QUESTIONNAIRE_MESSAGE : bindingCodeMessage((await this.bindingCode(client.id)).code);
    const dedupeKey = `staff_send:${clientPublicId}:${what}:${shanghaiDate(this.deps.clock.now())}`;
    return runInTransaction(this.db, async (m) => {
      const { created } = await this.deps.outbox.enqueue(m, {
        kind: 'client_message', dedupeKey, clientId: client.id,
        payload: {
          purpose: 'notice', event: `staff_send_${what}`, text: message.text, ...(message.card ? { card: message.card } : {}),
          templateId: this.deps.config.care.subscribeTemplateId, data: { thing1: message.title, thing2: message.text.slice(0, 20) },
        },
      });
      await this.deps.audit.record(actor, 'client.send', { clientId: client.id, details: { what, queued: created } }, m);
      return { queued: created };
    });
  }

  // ---------------------------------------------------------------- binding codes

  /** The client's binding code: the current one while valid, else a new one (valid for the configured hours). */
  async bindingCode(clientId: number): Promise<BindingCodeView> {
    const ttlMs = this.deps.config.bot.bindingCodeTtlHours * 3600_000;
    return runInTransaction(this.db, async (m) => {
      const now = this.deps.clock.now();
      const [row]: { code: string; expires_at: Date }[] = await m.query(
        'SELECT code, expires_at FROM wecom_binding_codes WHERE client_id = ? FOR UPDATE', [clientId],
      );
      const bound = (await this.contactOfClient(clientId, m)) !== null;
      if (row && row.expires_at > now) return { code: row.code, expiresAt: row.expires_at, bound };
      const expiresAt = new Date(now.getTime() + ttlMs);
      for (let attempt = 0; ; attempt++) {
        const code = newBindingCode();
        try {
          if (row) {
            await m.query('UPDATE wecom_binding_codes SET code = ?, expires_at = ?, created_at = ? WHERE client_id = ?', [code, expiresAt, now, clientId]);
          } else {
            await m.query('INSERT INTO wecom_binding_codes (client_id, code, expires_at, created_at) VALUES (?, ?, ?, ?)', [clientId, code, expiresAt, now]);
          }
          return { code, expiresAt, bound };
        } catch (err) {
          // Another client holds this code (rare): draw again. A duplicate client_id is a concurrent first call: retried whole.
          if (!isDuplicateKey(err) || attempt >= 4 || !String((err as Error).message).includes('uq_wecom_binding_codes_code')) throw err;
        }
      }
    }, { retryIf: (err) => isDeadlock(err) || isDuplicateKey(err) });
  }

  /**
   * A contact sent a binding code in the chat. The code proves the sender holds the client's
   * mini-program account, so it also moves the client's link from an older contact (a new WeChat
   * account); a contact already linked to another client is left for staff. A used code is gone.
   */
  async bindByCode(accountId: string, contact: SeenContact, rawCode: string): Promise<CodeBindOutcome> {
    const code = rawCode.trim().toUpperCase();
    const failKey = `wecom:bindfail:${contact.id}`;
    if (Number(await this.deps.redis.get(failKey)) >= this.deps.config.bot.bindingMaxFailures) return { status: 'throttled' };
    await this.touch(accountId, contact);
    const outcome = await this.run(async (m): Promise<CodeBindOutcome> => {
      const now = this.deps.clock.now();
      const [row]: { client_id: number; expires_at: Date }[] = await m.query(
        'SELECT client_id, expires_at FROM wecom_binding_codes WHERE code = ? FOR UPDATE', [code],
      );
      if (!row || row.expires_at <= now) return { status: 'invalid' };
      const clientId = Number(row.client_id);
      if (!(await this.lockActiveClient(m, clientId))) return { status: 'invalid' };
      const current = await this.lockContact(m, contact.id);
      if (!current) return { status: 'invalid' };
      if (current.clientId === clientId) {
        await m.query('DELETE FROM wecom_binding_codes WHERE client_id = ?', [clientId]);
        return { status: 'already', clientId };
      }
      if (current.clientId !== null) return { status: 'contact_taken' };
      const replaced = await this.otherContactOf(m, clientId, contact.id);
      if (replaced) await this.unlink(m, replaced, { autoMatch: false });
      await this.link(m, contact.id, clientId, 'code', BOT_ACTOR, { replaced });
      await m.query('DELETE FROM wecom_binding_codes WHERE client_id = ?', [clientId]);
      return { status: 'bound', clientId, replaced };
    });
    if (outcome.status === 'invalid') await hitCounter(this.deps.redis, failKey, FAIL_WINDOW_SECONDS);
    if (outcome.status === 'bound') this.log.info({ contactId: contact.id, clientId: outcome.clientId }, 'contact linked by binding code');
    return outcome;
  }

  // ---------------------------------------------------------------- staff

  /** Contacts for staff: unlinked ones (to link by hand) and linked ones (consultants: their own clients only). Audited. */
  async listForStaff(actor: Actor, q: { bound?: boolean; page: number; pageSize: number }): Promise<{ items: ContactView[]; page: number; hasMore: boolean }> {
    const where: string[] = [];
    const params: unknown[] = [];
    this.access.requireScope(actor, 'contact');
    if (q.bound === false) where.push('c.id IS NULL');
    else if (q.bound === true) where.push('c.id IS NOT NULL');
    // Unlinked contacts are nobody's client yet; linked ones follow the client-access rule.
    const scope = this.access.filter(actor, 'contact');
    where.push(`(c.id IS NULL OR ${scope.sql})`);
    params.push(...scope.params);
    const rows: ContactRow[] = await this.db.query(
      `SELECT ${CONTACT_COLUMNS} FROM ${CONTACT_FROM} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY w.last_seen_at DESC, w.contact_id LIMIT ? OFFSET ?`,
      [...params, q.pageSize + 1, (q.page - 1) * q.pageSize],
    );
    const shown = rows.slice(0, q.pageSize);
    await this.deps.audit.record(actor, 'wecom.contacts.list', {
      details: { bound: q.bound ?? null, page: q.page, results: shown.length, clientIds: shown.filter((r) => r.client_id).map((r) => Number(r.client_id)) },
    });
    return { items: shown.map((r) => this.view(r)), page: q.page, hasMore: rows.length > q.pageSize };
  }

  /** Staff link a contact to a client by hand (consultants: their own clients). Audited 'wecom.contact.bind'. */
  async bindByStaff(actor: Actor, contactId: string, clientPublicId: string): Promise<ContactView> {
    await this.run(async (m) => {
      const client = await this.openClientForStaff(m, actor, clientPublicId, 'wecom.contact.bind', true);
      const current = await this.lockContact(m, contactId);
      if (!current) throw notFound('Contact');
      if (current.clientId === client.id) return;
      if (current.clientId !== null) {
        throw new AppError(ContactErrors.CONTACT_ALREADY_BOUND, 'This contact is linked to another client; unlink it first', { field: 'params.contactId' });
      }
      if (await this.otherContactOf(m, client.id, contactId)) {
        throw new AppError(ContactErrors.CLIENT_ALREADY_BOUND, 'This client is linked to another contact; unlink that one first', { field: 'body.clientId' });
      }
      await this.link(m, contactId, client.id, 'staff', actor);
    });
    return this.viewOf(contactId);
  }

  /**
   * Staff unlink a contact (consultants: their own clients' contacts). It will not be matched
   * automatically again; a binding code or staff can link it anew. Audited 'wecom.contact.unbind'.
   */
  async unbindByStaff(actor: Actor, contactId: string): Promise<ContactView> {
    await this.run(async (m) => {
      const [row]: { client_id: number | null; consultant_id: number | null; status: string | null }[] = await m.query(
        `SELECT w.client_id, c.consultant_id, c.status FROM wecom_contacts w LEFT JOIN clients c ON c.id = w.client_id
          WHERE w.contact_id = ? FOR UPDATE`,
        [contactId],
      );
      if (!row) throw notFound('Contact');
      const clientId = row.client_id === null ? null : Number(row.client_id);
      this.access.requireScope(actor, 'contact');
      const owner = { consultantId: row.consultant_id === null ? null : Number(row.consultant_id) };
      if (clientId !== null && row.status === 'active' && !mayAccess(actor, owner, 'contact')) {
        await this.deps.audit.record(actor, 'wecom.contact.unbind', { clientId, allowed: false, details: { contactId, reason: 'not_assigned' } });
        throw notFound('Contact');
      }
      await this.unlink(m, contactId, { autoMatch: false });
      await this.deps.audit.record(actor, 'wecom.contact.unbind', { clientId, details: { contactId } }, m);
    });
    return this.viewOf(contactId);
  }

  // ---------------------------------------------------------------- inbound messages

  /** Stores a message a contact wrote (text encrypted); false when this message id was stored before. */
  async recordInbound(input: InboundInput): Promise<{ stored: boolean; id: string | null }> {
    const pid = newPublicId();
    const textEnc = input.text === null ? null : this.deps.cipher.encrypt(input.text, inboundAad(pid));
    try {
      await this.db.query(
        `INSERT INTO inbound_messages (public_id, message_id, account_id, contact_id, client_id, kind, msg_type, text_enc, score, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [pid, input.messageId, input.accountId, input.contactId, input.clientId, input.kind, input.msgType, textEnc, input.score ?? null, input.receivedAt],
      );
      return { stored: true, id: pid };
    } catch (err) {
      if (isDuplicateKey(err)) return { stored: false, id: null };
      throw err;
    }
  }

  /** Removes a stored message whose handling failed, so its redelivery is handled afresh. */
  async forgetInbound(messageId: string): Promise<void> {
    await this.db.query('DELETE FROM inbound_messages WHERE message_id = ?', [messageId]);
  }

  /**
   * Survey scores (0–10) a client sent in the chat since a moment, oldest first: what the
   * satisfaction survey reads (feedback module).
   */
  async surveyReplies(clientId: number, since: Date): Promise<{ score: number; receivedAt: Date }[]> {
    const rows: { score: number; received_at: Date }[] = await this.db.query(
      "SELECT score, received_at FROM inbound_messages WHERE client_id = ? AND kind = 'survey_reply' AND received_at >= ? ORDER BY received_at, id",
      [clientId, since],
    );
    return rows.map((r) => ({ score: Number(r.score), receivedAt: r.received_at }));
  }

  /** A client's chat messages for their consultant or the director, newest first. Audited 'client.messages.read'. */
  async messagesForStaff(actor: Actor, clientPublicId: string, page: number, pageSize: number): Promise<{ items: InboundView[]; page: number; hasMore: boolean }> {
    const client = await this.openClientForStaff(this.db.manager, actor, clientPublicId, 'client.messages.read', false);
    const rows: { public_id: string; kind: InboundKind; msg_type: string; text_enc: Buffer | null; score: number | null; received_at: Date }[] = await this.db.query(
      'SELECT public_id, kind, msg_type, text_enc, score, received_at FROM inbound_messages WHERE client_id = ? ORDER BY id DESC LIMIT ? OFFSET ?',
      [client.id, pageSize + 1, (page - 1) * pageSize],
    );
    await this.deps.audit.record(actor, 'client.messages.read', { clientId: client.id, details: { page, role: actor.role } });
    return {
      items: rows.slice(0, pageSize).map((r) => ({
        id: r.public_id,
        kind: r.kind,
        type: r.msg_type,
        text: this.open(r.text_enc, inboundAad(r.public_id), { messageId: r.public_id }),
        score: r.score === null ? null : Number(r.score),
        receivedAt: r.received_at,
      })),
      page,
      hasMore: rows.length > pageSize,
    };
  }

  /**
   * Erases what this module holds about a client who deleted their account (PIPL): the link
   * (the contact stays, unlinked and not matched again), the binding code and their chat messages.
   * For ClientsService.deleteOwnAccount, inside its transaction.
   */
  async forgetClient(m: EntityManager, clientId: number): Promise<void> {
    await m.query(
      'UPDATE wecom_contacts SET client_id = NULL, bound_by = NULL, bound_by_staff_id = NULL, bound_at = NULL, auto_match = 0 WHERE client_id = ?',
      [clientId],
    );
    await m.query('DELETE FROM wecom_binding_codes WHERE client_id = ?', [clientId]);
    await m.query('DELETE FROM inbound_messages WHERE client_id = ?', [clientId]);
  }

  /**
   * For ClientsService.addDataHooks (PIPL), inside the client's transaction: deleting the account
   * erases the link, the code and the chat messages (forgetClient); the export carries the link
   * and the messages the client wrote.
   */
  readonly clientDataHooks = {
    onAccountDeleted: (m: EntityManager, clientId: number): Promise<void> => this.forgetClient(m, clientId),
    exportSections: async (m: EntityManager, clientId: number): Promise<Record<string, unknown>> => {
      const [link]: { bound_by: BoundBy; bound_at: Date }[] = await m.query('SELECT bound_by, bound_at FROM wecom_contacts WHERE client_id = ?', [clientId]);
      const rows: { public_id: string; kind: InboundKind; msg_type: string; text_enc: Buffer | null; score: number | null; received_at: Date }[] = await m.query(
        'SELECT public_id, kind, msg_type, text_enc, score, received_at FROM inbound_messages WHERE client_id = ? ORDER BY id', [clientId],
      );
      return {
        wecom: {
          linked: link ? { by: link.bound_by, at: link.bound_at } : null,
          messages: rows.map((r) => ({
            kind: r.kind, type: r.msg_type, text: this.open(r.text_enc, inboundAad(r.public_id), { messageId: r.public_id }),
            score: r.score === null ? null : Number(r.score), at: r.received_at,
          })),
        },
      };
    },
  };

  // ---------------------------------------------------------------- internals

  private run<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    // A lost race on the unique client link is a retry: the second pass sees the first one's link.
    return runInTransaction(this.db, work, { retryIf: (err) => isDeadlock(err) || isDuplicateKey(err), attempts: 4 });
  }

  /** Locks the client row; every link takes it first, so links of one client never interleave. */
  private async lockActiveClient(m: EntityManager, clientId: number): Promise<boolean> {
    const rows = await m.query("SELECT id FROM clients WHERE id = ? AND status = 'active' FOR UPDATE", [clientId]);
    return rows.length === 1;
  }

  /** The contact row, locked; its client counts only while active. */
  private async lockContact(m: EntityManager, contactId: string): Promise<{ clientId: number | null; autoMatch: boolean } | null> {
    const [row]: { client_id: number | null; auto_match: number }[] = await m.query(
      'SELECT client_id, auto_match FROM wecom_contacts WHERE contact_id = ? FOR UPDATE', [contactId],
    );
    if (!row) return null;
    let clientId = row.client_id === null ? null : Number(row.client_id);
    if (clientId !== null) {
      const active = await m.query("SELECT 1 FROM clients WHERE id = ? AND status = 'active'", [clientId]);
      if (!active.length) clientId = null;
    }
    return { clientId, autoMatch: Boolean(Number(row.auto_match)) };
  }

  private async otherContactOf(m: EntityManager, clientId: number, contactId: string): Promise<string | null> {
    const rows: { contact_id: string }[] = await m.query(
      'SELECT contact_id FROM wecom_contacts WHERE client_id = ? AND contact_id <> ? FOR UPDATE', [clientId, contactId],
    );
    return rows[0]?.contact_id ?? null;
  }

  private async unlink(m: EntityManager, contactId: string, opts: { autoMatch: boolean }): Promise<void> {
    await m.query(
      'UPDATE wecom_contacts SET client_id = NULL, bound_by = NULL, bound_by_staff_id = NULL, bound_at = NULL, auto_match = ? WHERE contact_id = ?',
      [opts.autoMatch ? 1 : 0, contactId],
    );
  }

  /**
   * Links a locked, unlinked contact to a locked client with no other contact: messages the contact
   * wrote before are attributed to the client, the link is audited, and the bot is asked to mirror
   * the client's whole tag set onto this contact.
   */
  private async link(m: EntityManager, contactId: string, clientId: number, by: BoundBy, actor: Actor, extra: { replaced?: string | null } = {}): Promise<void> {
    const now = this.deps.clock.now();
    await m.query(
      'UPDATE wecom_contacts SET client_id = ?, bound_by = ?, bound_by_staff_id = ?, bound_at = ?, auto_match = 1 WHERE contact_id = ?',
      [clientId, by, by === 'staff' ? actor.id : null, now, contactId],
    );
    await m.query('UPDATE inbound_messages SET client_id = ? WHERE contact_id = ? AND client_id IS NULL', [clientId, contactId]);
    await this.deps.audit.record(actor, 'wecom.contact.bind', { clientId, details: { contactId, by, ...(extra.replaced ? { replaced: extra.replaced } : {}) } }, m);
    await this.deps.tags.requestSync(m, clientId, 'contact_linked');
  }

  /** An active client whose contact section the staff member may act on (client-access rule); refusals are audited and answer 404. */
  private async openClientForStaff(m: EntityManager, actor: Actor, clientPublicId: string, action: string, lock: boolean): Promise<{ id: number }> {
    const { id } = await this.access.check(actor, { publicId: clientPublicId }, 'contact', { m, lock, action });
    return { id };
  }

  private async viewOf(contactId: string): Promise<ContactView> {
    const [row]: ContactRow[] = await this.db.query(`SELECT ${CONTACT_COLUMNS} FROM ${CONTACT_FROM} WHERE w.contact_id = ?`, [contactId]);
    if (!row) throw notFound('Contact');
    return this.view(row);
  }

  private clientName(r: ContactRow): string | null {
    return readClientField(this.deps.cipher, r.client_public_id!, 'name', r.client_name_enc, () => {
      this.log.error({ contactId: r.contact_id, column: 'name' }, 'stored value cannot be decrypted; answered as null');
    });
  }

  private view(r: ContactRow): ContactView {
    const linked = r.client_id !== null && r.client_public_id !== null;
    return {
      contactId: r.contact_id,
      accountId: r.account_id,
      name: this.open(r.name_enc, contactNameAad(r.contact_id), { contactId: r.contact_id }),
      client: linked ? { id: r.client_public_id!, name: this.clientName(r) } : null,
      boundBy: linked ? r.bound_by : null,
      boundAt: linked ? r.bound_at : null,
      autoMatch: Boolean(Number(r.auto_match)),
      lastSeenAt: r.last_seen_at,
    };
  }

  /** A value that cannot be decrypted reads as null and is logged, never crashing a read. */
  private open(blob: Buffer | null, aadText: string, where: Record<string, unknown>): string | null {
    if (!blob) return null;
    try {
      return this.deps.cipher.decrypt(blob, aadText);
    } catch {
      this.log.error({ ...where, column: aadText.split(':').pop() }, 'stored value cannot be decrypted; answered as null');
      return null;
    }
  }
}
