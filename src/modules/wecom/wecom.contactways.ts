import type { DataSource } from 'typeorm';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import { AppError, notFound, validationError } from '../../shared/errors';
import { publicId, randomCode } from '../../shared/crypto';
import { WeComApi, WeComError } from '../../integrations/wecom/types';
import type { Actor } from '../audit';
import type { AddedHook } from './wecom.events';
import { WeComErrors } from './wecom.errors';

// WeCom: the welcome code of an add event is valid for 20 seconds, once.
const WELCOME_WINDOW_MS = 20_000;
// A one-tap code not used within this long is deleted, so per-client codes never pile up
// against the corp's quota of contact-me codes (500,000).
const CLIENT_CODE_LIFE_MS = 7 * 86400_000;
// WeCom's temporary codes (is_temp) end this long after the add; ours is deleted at the add anyway.
const CLIENT_CODE_TEMP_SECONDS = 86400;

export interface ContactWayView {
  id: string;
  kind: 'channel' | 'client';
  state: string;
  label: string | null;
  channel: string | null;
  campaign: string | null;
  userids: string[];
  qrCode: string;
  createdAt: Date;
  deletedAt: Date | null;
  counts?: { adds: number; bindings: number; questionnaires: number; plans: number; paidOrders: number };
}

interface WayRow {
  id: number; public_id: string; config_id: string; state: string; kind: 'channel' | 'client'; label: string | null; channel: string | null;
  campaign: string | null; userids: string[] | string; client_id: number | null; qr_code: string; created_at: Date; deleted_at: Date | null;
}

const view = (r: WayRow): ContactWayView => ({
  id: r.public_id, kind: r.kind, state: r.state, label: r.label, channel: r.channel, campaign: r.campaign,
  userids: typeof r.userids === 'string' ? JSON.parse(r.userids) : r.userids, qrCode: r.qr_code, createdAt: r.created_at, deletedAt: r.deleted_at,
});

/**
 * Contact-me codes 联系我: per channel or campaign (the state says which), and per client for the
 * mini-program's one-tap "add my consultant". When a client adds a consultant through a code,
 * the contact gets its channel, the welcome message with the questionnaire card (inside WeCom's
 * 20-second window) and its client: the one-tap code's client, else by unionid.
 */
export class ContactWays {
  constructor(private readonly deps: { db: DataSource; config: Config; clock: Clock; wecom: WeComApi; log: Logger }) {}

  private upstream(err: unknown, what: string): never {
    if (err instanceof WeComError) throw new AppError(WeComErrors.WECOM_UPSTREAM, `WeCom refused to ${what}`, { errcode: err.errcode, hint: err.hint });
    throw err;
  }

  /** A channel code for one or several staff members (by public id; each must have a WeCom userid). */
  async create(actor: Actor, input: { label: string; channel: string; campaign?: string | null; staffIds: string[] }): Promise<ContactWayView> {
    const rows: { public_id: string; userid: string | null }[] = await this.deps.db.query(
      `SELECT s.public_id, u.userid FROM staff s LEFT JOIN wecom_staff_users u ON u.staff_id = s.id
        WHERE s.active = 1 AND s.public_id IN (${input.staffIds.map(() => '?').join(',')})`,
      input.staffIds,
    );
    const problems = input.staffIds
      .map((id, i) => ({ id, i, row: rows.find((r) => r.public_id === id) }))
      .filter((x) => !x.row?.userid)
      .map((x) => ({ field: `body.staffIds.${x.i}`, message: x.row ? 'this staff member has no WeCom userid yet' : 'no such active staff member', type: 'wecom.staff' }));
    if (problems.length) throw validationError(problems);
    const userids = [...new Set(rows.map((r) => r.userid as string))];
    // ch_ + 12 characters: well inside WeCom's 30, and unguessable (a state names no one).
    const state = `ch_${randomCode(12)}`;
    const way = await this.deps.wecom.addContactWay({ users: userids, state, remark: input.label.slice(0, 30) }).catch((err) => this.upstream(err, 'create the code'));
    const pid = publicId();
    await this.deps.db.query(
      `INSERT INTO wecom_contact_ways (public_id, config_id, state, kind, label, channel, campaign, userids, qr_code, created_by, created_at)
       VALUES (?, ?, ?, 'channel', ?, ?, ?, ?, ?, ?, ?)`,
      [pid, way.configId, state, input.label, input.channel, input.campaign ?? null, JSON.stringify(userids), way.qrCode, actor.id, this.deps.clock.now()],
    );
    return this.get(pid);
  }

  async get(id: string): Promise<ContactWayView> {
    const [row]: WayRow[] = await this.deps.db.query('SELECT * FROM wecom_contact_ways WHERE public_id = ?', [id]);
    if (!row) throw notFound('Contact-me code');
    return view(row);
  }

  /** The code's QR image, fetched from WeCom (its URL is WeCom's), for the console to show and download. */
  async qrImage(id: string): Promise<{ contentType: string; body: Buffer; filename: string }> {
    const [row]: WayRow[] = await this.deps.db.query("SELECT * FROM wecom_contact_ways WHERE public_id = ? AND kind = 'channel' AND deleted_at IS NULL", [id]);
    if (!row) throw notFound('Contact-me code');
    const image = await this.deps.wecom.fetchQrImage(row.qr_code).catch((err) => this.upstream(err, 'hand out the QR image'));
    return { ...image, filename: `contact-way-${row.public_id}.${image.contentType === 'image/jpeg' ? 'jpg' : 'png'}` };
  }

  /** Channel codes with what they brought: adds, bound clients, questionnaires, plans, paid orders. */
  async list(): Promise<ContactWayView[]> {
    const rows: (WayRow & { adds: number; bindings: number; questionnaires: number; plans: number; paid_orders: number })[] = await this.deps.db.query(
      `SELECT w.*,
         (SELECT COUNT(*) FROM wecom_external_contacts e WHERE e.state = w.state) AS adds,
         (SELECT COUNT(DISTINCT e.client_id) FROM wecom_external_contacts e WHERE e.state = w.state AND e.client_id IS NOT NULL) AS bindings,
         (SELECT COUNT(DISTINCT q.client_id) FROM wecom_external_contacts e JOIN questionnaire_responses q ON q.client_id = e.client_id WHERE e.state = w.state) AS questionnaires,
         (SELECT COUNT(DISTINCT p.client_id) FROM wecom_external_contacts e JOIN plans p ON p.client_id = e.client_id WHERE e.state = w.state) AS plans,
         (SELECT COUNT(DISTINCT o.id) FROM wecom_external_contacts e JOIN orders o ON o.client_id = e.client_id AND o.status = 'paid' WHERE e.state = w.state) AS paid_orders
       FROM wecom_contact_ways w WHERE w.kind = 'channel' AND w.deleted_at IS NULL ORDER BY w.id DESC`,
    );
    return rows.map((r) => ({
      ...view(r),
      counts: { adds: Number(r.adds), bindings: Number(r.bindings), questionnaires: Number(r.questionnaires), plans: Number(r.plans), paidOrders: Number(r.paid_orders) },
    }));
  }

  async remove(id: string): Promise<void> {
    const [row]: WayRow[] = await this.deps.db.query('SELECT * FROM wecom_contact_ways WHERE public_id = ? AND deleted_at IS NULL', [id]);
    if (!row) throw notFound('Contact-me code');
    await this.deps.wecom.delContactWay(row.config_id).catch((err) => this.upstream(err, 'delete the code'));
    await this.deps.db.query('UPDATE wecom_contact_ways SET deleted_at = ? WHERE id = ?', [this.deps.clock.now(), row.id]);
  }

  /**
   * The mini-program's one-tap code: the client's consultant's contact-me code whose state names
   * this client, so adding the consultant links the contact with no binding code to type. The
   * same code until it is used or too old.
   */
  async forClient(clientId: number): Promise<{ qrCode: string; configId: string; state: string }> {
    const [existing]: WayRow[] = await this.deps.db.query(
      "SELECT * FROM wecom_contact_ways WHERE client_id = ? AND kind = 'client' AND deleted_at IS NULL AND created_at > ? ORDER BY id DESC LIMIT 1",
      [clientId, new Date(this.deps.clock.now().getTime() - CLIENT_CODE_LIFE_MS)],
    );
    if (existing) return { qrCode: existing.qr_code, configId: existing.config_id, state: existing.state };
    const [consultant]: { userid: string }[] = await this.deps.db.query(
      "SELECT u.userid FROM clients c JOIN wecom_staff_users u ON u.staff_id = c.consultant_id WHERE c.id = ? AND c.status = 'active'", [clientId],
    );
    if (!consultant) throw new AppError(WeComErrors.WECOM_NO_CONSULTANT, 'No consultant with WeCom is assigned yet; use the binding code');
    const state = `cl_${randomCode(16)}`;
    const way = await this.deps.wecom.addContactWay({ users: [consultant.userid], state, temporary: { expiresIn: CLIENT_CODE_TEMP_SECONDS } })
      .catch((err) => this.upstream(err, 'create the code'));
    await this.deps.db.query(
      `INSERT INTO wecom_contact_ways (public_id, config_id, state, kind, userids, client_id, qr_code, created_at) VALUES (?, ?, ?, 'client', ?, ?, ?, ?)`,
      [publicId(), way.configId, state, JSON.stringify([consultant.userid]), clientId, way.qrCode, this.deps.clock.now()],
    );
    return { qrCode: way.qrCode, configId: way.configId, state };
  }

  /** Deletes one-tap codes never used, at WeCom and here. */
  async purgeUnusedClientCodes(now: Date): Promise<number> {
    const rows: { id: number; config_id: string }[] = await this.deps.db.query(
      "SELECT id, config_id FROM wecom_contact_ways WHERE kind = 'client' AND deleted_at IS NULL AND created_at <= ? LIMIT 500",
      [new Date(now.getTime() - CLIENT_CODE_LIFE_MS)],
    );
    let purged = 0;
    for (const r of rows) {
      try {
        await this.deps.wecom.delContactWay(r.config_id);
      } catch (err) {
        // Already gone at WeCom (it answers 40058 for an unknown config_id) is fine; anything else is tried again next time.
        if (!(err instanceof WeComError) || err.errcode !== 40058) continue;
      }
      await this.deps.db.query('UPDATE wecom_contact_ways SET deleted_at = ? WHERE id = ?', [now, r.id]);
      purged++;
    }
    return purged;
  }

  /** What an add event does beyond the relation: channel, welcome, the client link, one-tap cleanup. */
  readonly onAdded: AddedHook = async (_m, added) => {
    const { db, wecom, config, clock, log } = this.deps;
    const [way]: WayRow[] = added.state ? await db.query('SELECT * FROM wecom_contact_ways WHERE state = ?', [added.state]) : [];
    let outcome: string = added.staffId === null ? 'unknown_staff' : 'added';
    if (added.state && !way) outcome = 'unknown_state';

    let welcome: string | null = null;
    if (added.welcomeCode) {
      if (clock.now().getTime() - added.at.getTime() > WELCOME_WINDOW_MS) {
        welcome = 'expired';
      } else {
        try {
          const w = config.wecom;
          await wecom.sendWelcomeMsg({
            welcomeCode: added.welcomeCode,
            text: w.welcomeText,
            ...(w.welcomePicMediaId ? { miniprogram: { title: w.welcomeCardTitle, picMediaId: w.welcomePicMediaId, appid: config.wechat.appId, page: w.welcomeCardPage } } : {}),
          });
          welcome = 'sent';
        } catch (err) {
          if (!(err instanceof WeComError)) throw err;
          welcome = err.errcode === 41096 ? 'expired' : err.errcode === 41051 ? 'not_needed' : 'failed';
          log.warn({ errcode: err.errcode }, 'WeCom welcome message not sent');
        }
      }
    }

    let clientId: number | null = null;
    let linkedBy: string | null = null;
    if (way?.kind === 'client' && way.client_id !== null) {
      clientId = Number(way.client_id);
      linkedBy = 'client_code';
    } else {
      // With the mini-program and WeCom under one open-platform account, the unionid names the client.
      try {
        const contact = await wecom.getExternalContact(added.externalUserId);
        if (contact.unionid) {
          const [c]: { id: number }[] = await db.query("SELECT id FROM clients WHERE unionid = ? AND status = 'active'", [contact.unionid]);
          if (c) {
            clientId = Number(c.id);
            linkedBy = 'unionid';
          }
        }
      } catch (err) {
        if (!(err instanceof WeComError)) throw err;
        log.warn({ errcode: err.errcode }, 'WeCom external contact not readable; not linked');
      }
    }
    await db.query(
      `UPDATE wecom_external_contacts SET channel = ?, welcome = COALESCE(?, welcome), client_id = COALESCE(?, client_id), linked_by = COALESCE(?, linked_by)
        WHERE external_userid = ? AND userid = ?`,
      [way?.kind === 'channel' ? way.channel : way ? 'mini_program' : null, welcome, clientId, linkedBy, added.externalUserId, added.userid],
    );
    if (way?.kind === 'client') {
      await db.query('UPDATE wecom_contact_ways SET used_at = COALESCE(used_at, ?), deleted_at = COALESCE(deleted_at, ?) WHERE id = ?', [clock.now(), clock.now(), way.id]);
      await wecom.delContactWay(way.config_id).catch((err) => log.warn({ errcode: (err as WeComError).errcode }, 'one-tap code not deleted at WeCom; the purge tries again'));
    }
    return clientId !== null && outcome === 'added' ? 'linked' : outcome;
  };
}
