import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import { AppError, CommonErrors, notFound, validationError } from '../../shared/errors';
import { runInTransaction } from '../../shared/db';
import { publicId } from '../../shared/crypto';
import type { Logger } from '../../shared/logger';
import type { Actor, AuditService } from '../audit';
import { ClientAccess } from '../clients';
import type { OutboxService } from '../outbox';
import { STAFF_ROLES } from '../staff';
import type { StaffRole } from '../staff';
import type { ComplianceResult, DeliveryTargetKind, PostAudience, PostCard, PostStatus, ScheduleKind } from './community.entity';
import { CommunityErrors } from './community.errors';
import { dueOccurrence, nextOccurrence, Occurrence } from './community.schedule';
import { BannedWording, findBannedWording, loadBannedWording } from './community.wording';

export interface CommunityDeps {
  db: DataSource;
  config: Config;
  clock: Clock;
  audit: AuditService;
  outbox: OutboxService;
  logger: Logger;
  /** The banned wording; default: from COMMUNITY_BANNED_WORDING_FILE or the built-in list. */
  wording?: BannedWording;
}

export type PostScheduleInput = { kind: 'once'; at: Date | string } | { kind: 'weekly'; weekday: number; time: string };

export interface PostInput {
  title: string;
  text: string;
  imageUrl?: string | null;
  card?: PostCard | null;
  audience: PostAudience;
  schedule: PostScheduleInput;
}
export type PostPatch = Partial<PostInput>;

export type PostScheduleView = { kind: 'once'; at: Date } | { kind: 'weekly'; weekday: number; time: string };

export interface StaffRef {
  id: string;
  name: string;
}

export interface PostView {
  id: string;
  title: string;
  text: string;
  imageUrl: string | null;
  card: PostCard | null;
  audience: PostAudience;
  schedule: PostScheduleView;
  status: PostStatus;
  compliance: ComplianceResult | null;
  reviewNote: string | null;
  createdBy: StaffRef | null;
  submittedAt: Date | null;
  approvedBy: StaffRef | null;
  approvedAt: Date | null;
  /** Shanghai date of the newest occurrence queued. */
  lastOccurrence: string | null;
  /** When it goes out next (null when nothing is planned). */
  nextAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface DeliveryView {
  occurrence: string;
  target: { kind: 'room_topic'; topic: string } | { kind: 'client'; clientId: string | null };
  /** The outbox row's state: pending, sending, sent, failed, cancelled. */
  status: string;
  channel: string | null;
  sentAt: Date | null;
  queuedAt: Date;
}

interface PostRow {
  id: number;
  public_id: string;
  title: string;
  text: string;
  image_url: string | null;
  card: PostCard | string | null;
  audience: PostAudience | string;
  schedule_kind: ScheduleKind;
  send_at: Date | null;
  weekday: number | null;
  time_of_day: string | null;
  status: PostStatus;
  compliance: ComplianceResult | string | null;
  review_note: string | null;
  created_by: number;
  creator_public_id: string | null;
  creator_name: string | null;
  submitted_at: Date | null;
  approved_by: number | null;
  approver_public_id: string | null;
  approver_name: string | null;
  approved_at: Date | null;
  last_occurrence: string | null;
  created_at: Date;
  updated_at: Date;
}

const POST_SELECT = `SELECT p.*, DATE_FORMAT(p.last_occurrence, '%Y-%m-%d') AS last_occurrence,
    cr.public_id AS creator_public_id, cr.display_name AS creator_name, ap.public_id AS approver_public_id, ap.display_name AS approver_name
  FROM community_posts p LEFT JOIN staff cr ON cr.id = p.created_by LEFT JOIN staff ap ON ap.id = p.approved_by`;

const EDITABLE: PostStatus[] = ['draft', 'rejected'];
const LIVE: PostStatus[] = ['approved', 'scheduled'];
const BATCH = 500;
const DEMO_POST_ID = 'demoBeautyAcademyLiveQ';

const json = <T>(v: T | string | null): T | null => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

/**
 * 社群 posts: staff write them, the advertising-compliance check refuses banned
 * wording by category, an approver of another person approves, and the 'community-posts' task
 * queues each due occurrence once — 'group_post' rows per group topic or 'client_message' rows for
 * the clients whose tags match — recording every target in post_deliveries.
 */
export class CommunityService {
  /** Staff roles that may approve or reject posts (COMMUNITY_APPROVER_ROLES). */
  readonly approverRoles: StaffRole[];
  private readonly wording: BannedWording;
  private readonly log: Logger;

  constructor(private readonly deps: CommunityDeps) {
    this.wording = deps.wording ?? loadBannedWording(deps.config.community.bannedWordingFile);
    this.approverRoles = deps.config.community.approverRoles.filter((r): r is StaffRole => (STAFF_ROLES as readonly string[]).includes(r));
    this.log = deps.logger;
  }

  /** The compliance check on its own (e.g. while writing): each category with the banned words found. */
  check(content: { title?: string; text: string; card?: PostCard | null }): ComplianceResult {
    const violations = findBannedWording(this.wording, [content.title ?? '', content.text, content.card?.title ?? '']);
    return { compliant: violations.length === 0, violations, checkedAt: this.deps.clock.now().toISOString() };
  }

  async list(q: { status?: PostStatus; page: number; pageSize: number }): Promise<{ items: PostView[]; page: number; hasMore: boolean }> {
    const rows: PostRow[] = await this.deps.db.query(
      `${POST_SELECT} ${q.status ? 'WHERE p.status = ?' : ''} ORDER BY p.id DESC LIMIT ? OFFSET ?`,
      [...(q.status ? [q.status] : []), q.pageSize + 1, (q.page - 1) * q.pageSize],
    );
    return { items: rows.slice(0, q.pageSize).map((r) => this.view(r)), page: q.page, hasMore: rows.length > q.pageSize };
  }

  /** Posts newest first below a row id (keyset), for the list's export; `key` is that id. */
  async pageBefore(status: PostStatus | undefined, before: number | null, limit: number): Promise<(PostView & { key: number })[]> {
    const conds = [...(status ? ['p.status = ?'] : []), ...(before === null ? [] : ['p.id < ?'])];
    const rows: PostRow[] = await this.deps.db.query(
      `${POST_SELECT} ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''} ORDER BY p.id DESC LIMIT ?`,
      [...(status ? [status] : []), ...(before === null ? [] : [before]), limit],
    );
    return rows.map((r) => ({ ...this.view(r), key: Number(r.id) }));
  }

  async get(postPublicId: string): Promise<PostView> {
    return this.view(await this.row(this.deps.db.manager, postPublicId));
  }

  /** A new draft. A one-time post's time must be in the future; its image must come from an allowed host. */
  async create(actor: Actor, input: PostInput): Promise<PostView> {
    const schedule = this.scheduleColumns(input.schedule);
    this.checkImage(input.imageUrl);
    const now = this.deps.clock.now();
    const id = publicId();
    await this.deps.db.query(
      `INSERT INTO community_posts (public_id, title, text, image_url, card, audience, schedule_kind, send_at, weekday, time_of_day, status, created_by, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?)`,
      [id, input.title, input.text, input.imageUrl ?? null, input.card ? JSON.stringify(input.card) : null, JSON.stringify(input.audience),
        schedule.kind, schedule.sendAt, schedule.weekday, schedule.timeOfDay, actor.id, now, now],
    );
    await this.deps.audit.record(actor, 'community.post.create', { details: { post: id } });
    return this.get(id);
  }

  /**
   * Changes a draft or a rejected post (which becomes a draft again; the last check no longer
   * counts). Only its author or the director; each edit is kept (who, which fields) and audited.
   */
  async update(actor: Actor, postPublicId: string, patch: PostPatch): Promise<PostView> {
    this.checkImage(patch.imageUrl);
    return this.tx(async (m) => {
      const row = await this.row(m, postPublicId, true);
      this.assertAuthorOrDirector(actor, row, 'change');
      if (!EDITABLE.includes(row.status)) {
        throw new AppError(CommunityErrors.POST_STATUS_CONFLICT, `A post that is ${row.status} cannot be changed; cancel it and write a new one`, { status: row.status });
      }
      const sets: string[] = ["status = 'draft'", 'compliance = NULL', 'review_note = NULL', 'updated_at = ?'];
      const params: unknown[] = [this.deps.clock.now()];
      const set = (column: string, value: unknown) => (sets.push(`${column} = ?`), params.push(value));
      if (patch.title !== undefined) set('title', patch.title);
      if (patch.text !== undefined) set('text', patch.text);
      if (patch.imageUrl !== undefined) set('image_url', patch.imageUrl);
      if (patch.card !== undefined) set('card', patch.card ? JSON.stringify(patch.card) : null);
      if (patch.audience !== undefined) set('audience', JSON.stringify(patch.audience));
      if (patch.schedule !== undefined) {
        const s = this.scheduleColumns(patch.schedule);
        set('schedule_kind', s.kind);
        set('send_at', s.sendAt);
        set('weekday', s.weekday);
        set('time_of_day', s.timeOfDay);
      }
      await m.query(`UPDATE community_posts SET ${sets.join(', ')} WHERE id = ?`, [...params, row.id]);
      const fields = Object.keys(patch).filter((k) => patch[k as keyof PostPatch] !== undefined).sort();
      await m.query('INSERT INTO community_post_edits (post_id, staff_id, fields, created_at) VALUES (?, ?, ?, ?)', [row.id, actor.id, JSON.stringify(fields), params[0]]);
      await this.deps.audit.record(actor, 'community.post.update', { details: { post: row.public_id, fields } }, m);
      this.log.info({ postId: row.public_id, staffId: actor.id }, 'post changed');
      return this.view(await this.row(m, postPublicId));
    });
  }

  /** Sends a draft for approval after the compliance check; 422 POST_NOT_COMPLIANT names each category and its words. */
  async submit(actor: Actor, postPublicId: string): Promise<PostView> {
    return this.tx(async (m) => {
      const row = await this.row(m, postPublicId, true);
      this.assertAuthorOrDirector(actor, row, 'submit');
      if (!EDITABLE.includes(row.status)) {
        throw new AppError(CommunityErrors.POST_STATUS_CONFLICT, `A post that is ${row.status} cannot be submitted`, { status: row.status });
      }
      const result = this.checkRow(row);
      const now = this.deps.clock.now();
      await m.query(
        `UPDATE community_posts SET status = 'pending_approval', compliance = ?, review_note = NULL, submitted_at = ?, updated_at = ? WHERE id = ?`,
        [JSON.stringify(result), now, now, row.id],
      );
      this.log.info({ postId: row.public_id, staffId: actor.id }, 'post submitted for approval');
      return this.view(await this.row(m, postPublicId));
    });
  }

  /** Posts waiting for approval, with when they were submitted (a resubmitted post waits anew) and their author. */
  async awaitingApproval(limit = 500): Promise<{ id: number; submittedAt: Date; authorId: number }[]> {
    const rows: { id: number; submitted_at: Date; created_by: number }[] = await this.deps.db.query(
      "SELECT id, submitted_at, created_by FROM community_posts WHERE status = 'pending_approval' ORDER BY id LIMIT ?", [limit],
    );
    return rows.map((r) => ({ id: Number(r.id), submittedAt: r.submitted_at, authorId: Number(r.created_by) }));
  }

  /**
   * Approves a post waiting for approval: an approver role, never the author; the check runs again
   * (the list may have changed since). A one-time post whose time has passed is refused.
   */
  async approve(actor: Actor, postPublicId: string): Promise<PostView> {
    this.assertApprover(actor);
    return this.tx(async (m) => {
      const row = await this.row(m, postPublicId, true);
      if (row.created_by === actor.id) throw new AppError(CommunityErrors.POST_SELF_APPROVAL, 'A post needs the approval of someone other than its author');
      const [edited] = await m.query('SELECT 1 AS yes FROM community_post_edits WHERE post_id = ? AND staff_id = ? LIMIT 1', [row.id, actor.id]);
      if (edited) throw new AppError(CommunityErrors.POST_SELF_APPROVAL, 'A post needs the approval of someone who did not edit it');
      if (row.status !== 'pending_approval') {
        throw new AppError(CommunityErrors.POST_STATUS_CONFLICT, `A post that is ${row.status} cannot be approved`, { status: row.status });
      }
      const result = this.checkRow(row);
      const now = this.deps.clock.now();
      if (row.schedule_kind === 'once' && row.send_at && now.getTime() - row.send_at.getTime() > this.graceMs) {
        throw new AppError(CommunityErrors.POST_TIME_PASSED, 'The time of this one-time post has passed; change it and submit again');
      }
      await m.query(
        `UPDATE community_posts SET status = 'approved', compliance = ?, approved_by = ?, approved_at = ?, updated_at = ? WHERE id = ?`,
        [JSON.stringify(result), actor.id, now, now, row.id],
      );
      await this.deps.audit.record(actor, 'community.post.approve', { details: { post: row.public_id } }, m);
      return this.view(await this.row(m, postPublicId));
    });
  }

  /** Sends a post back to its author with the reason. */
  async reject(actor: Actor, postPublicId: string, reason: string): Promise<PostView> {
    this.assertApprover(actor);
    return this.tx(async (m) => {
      const row = await this.row(m, postPublicId, true);
      if (row.status !== 'pending_approval') {
        throw new AppError(CommunityErrors.POST_STATUS_CONFLICT, `A post that is ${row.status} cannot be rejected`, { status: row.status });
      }
      await m.query(`UPDATE community_posts SET status = 'rejected', review_note = ?, updated_at = ? WHERE id = ?`, [reason, this.deps.clock.now(), row.id]);
      await this.deps.audit.record(actor, 'community.post.reject', { details: { post: row.public_id } }, m);
      return this.view(await this.row(m, postPublicId));
    });
  }

  /**
   * Stops a post for good (a weekly one sends no further occurrence); occurrences already queued
   * stay. A draft (or a post waiting for approval) only by its author or the director; an approved
   * post also by an approver role, who may stop what they let through.
   */
  async cancel(actor: Actor, postPublicId: string): Promise<PostView> {
    return this.tx(async (m) => {
      const row = await this.row(m, postPublicId, true);
      if (!LIVE.includes(row.status) || !this.approverRoles.includes(actor.role as StaffRole)) this.assertAuthorOrDirector(actor, row, 'cancel');
      if (row.status === 'sent' || row.status === 'cancelled') {
        throw new AppError(CommunityErrors.POST_STATUS_CONFLICT, `A post that is ${row.status} cannot be cancelled`, { status: row.status });
      }
      await m.query(`UPDATE community_posts SET status = 'cancelled', updated_at = ? WHERE id = ?`, [this.deps.clock.now(), row.id]);
      await this.deps.audit.record(actor, 'community.post.cancel', { details: { post: row.public_id, status: row.status } }, m);
      return this.view(await this.row(m, postPublicId));
    });
  }

  /** Where a post went, newest occurrence first, with each outbox row's state; client rows only as the access rule allows (audited when it names clients). */
  async deliveries(actor: Actor, postPublicId: string, page: number, pageSize: number): Promise<{ items: DeliveryView[]; page: number; hasMore: boolean }> {
    const post = await this.row(this.deps.db.manager, postPublicId);
    // Which clients a post reached is their contact section: each staff member sees the groups and only
    // the clients the client-access rule lets them reach (consultants: their own; doctors, customer service: none).
    const scope = new ClientAccess(this.deps).filter(actor, 'contact');
    const rows: {
      occurrence: string; target_kind: DeliveryTargetKind; target: string; client_public_id: string | null; created_at: Date;
      status: string | null; channel: string | null; sent_at: Date | null;
    }[] = await this.deps.db.query(
      `SELECT DATE_FORMAT(d.occurrence, '%Y-%m-%d') AS occurrence, d.target_kind, d.target, d.created_at, c.public_id AS client_public_id,
              o.status, o.channel, o.sent_at
         FROM post_deliveries d
         LEFT JOIN clients c ON c.id = d.client_id
         LEFT JOIN outbox_messages o ON o.dedupe_key = d.outbox_key
        WHERE d.post_id = ? AND (d.target_kind = 'room_topic' OR (c.id IS NOT NULL AND ${scope.sql}))
        ORDER BY d.occurrence DESC, d.id LIMIT ? OFFSET ?`,
      [post.id, ...scope.params, pageSize + 1, (page - 1) * pageSize],
    );
    const items: DeliveryView[] = rows.slice(0, pageSize).map((r) => ({
      occurrence: r.occurrence,
      target: r.target_kind === 'room_topic' ? { kind: 'room_topic', topic: r.target } : { kind: 'client', clientId: r.client_public_id },
      status: r.status ?? 'unknown',
      channel: r.channel,
      sentAt: r.sent_at,
      queuedAt: r.created_at,
    }));
    if (items.some((i) => i.target.kind === 'client')) {
      await this.deps.audit.record(actor, 'community.post.deliveries', { details: { post: post.public_id, count: items.length } });
    }
    return { items, page, hasMore: rows.length > pageSize };
  }

  /**
   * The 'community-posts' task: queues every due occurrence of approved posts, once. Each post's
   * occurrence is claimed by a conditional UPDATE of `last_occurrence` in the transaction that writes
   * its deliveries and outbox rows (unique keys besides), so two schedulers or a repeated run add
   * nothing. A post that fails is logged and retried on the next run. Returns the deliveries written.
   */
  async runDue(now: Date = this.deps.clock.now()): Promise<number> {
    const rows: PostRow[] = await this.deps.db.query(`${POST_SELECT} WHERE p.status IN ('approved', 'scheduled') ORDER BY p.id`);
    let written = 0;
    for (const row of rows) {
      const occ = dueOccurrence(this.scheduleOf(row), row.last_occurrence, now, this.graceMs);
      if (!occ) continue;
      try {
        written += await this.tx((m) => this.queueOccurrence(m, row, occ, now));
      } catch (err) {
        this.log.warn({ postId: row.public_id, occurrence: occ.date, err }, 'post occurrence could not be queued; retried on the next run');
      }
    }
    return written;
  }

  /**
   * Demo data (src/modules/demo): the weekly doctor's live Q&A announcement to the simulated client
   * group, written by `authorId` and approved by `approverId`. A fixed public id makes it once,
   * even with two instances seeding at the same moment; true when it was created now.
   */
  async ensureDemoPost(authorId: number, approverId: number): Promise<boolean> {
    const content = { title: '美丽学院 · 医生直播答疑', text: '本周三晚 20:00，李医生在线解答术后护理与日常护肤问题，欢迎提前留言提问。', card: { title: '直播提醒', pagePath: 'pages/index/index' } };
    const compliance = this.check(content);
    if (!compliance.compliant) throw new Error(`the demo post is not compliant with the banned wording: ${JSON.stringify(compliance.violations)}`);
    const now = this.deps.clock.now();
    const res = await this.deps.db.query(
      `INSERT INTO community_posts (public_id, title, text, card, audience, schedule_kind, weekday, time_of_day, status, compliance, created_by, submitted_at,
         approved_by, approved_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'weekly', 3, '19:30', 'approved', ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = id`,
      [DEMO_POST_ID, content.title, content.text, JSON.stringify(content.card), JSON.stringify({ roomTopics: ['美丽学院·客户交流群'] }), JSON.stringify(compliance),
        authorId, now, approverId, now, now, now],
    );
    return Number(res.affectedRows) === 1;
  }

  // ---- internals ----

  private get graceMs(): number {
    return this.deps.config.community.graceHours * 3600_000;
  }

  private tx<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return runInTransaction(this.deps.db, work);
  }

  private assertAuthorOrDirector(actor: Actor, row: PostRow, action: string): void {
    if (row.created_by !== actor.id && actor.role !== 'director') {
      throw new AppError(CommunityErrors.POST_NOT_AUTHOR, `Only the author of a post or the director may ${action} it`);
    }
  }

  /**
   * The bot fetches a post's image to send it: only from the hosts of COMMUNITY_IMAGE_HOSTS (the
   * hospital's own storage or CDN), never an arbitrary address a staff member typed.
   */
  private checkImage(imageUrl: string | null | undefined): void {
    if (!imageUrl) return;
    // Clients' photos (progress photos 术后对比照) are served by the API, to the client and clinical
    // staff only: never a post's image, whatever the allowed hosts (before/after images are banned in ads).
    if (new URL(imageUrl).pathname.startsWith('/api/')) {
      throw validationError([{ field: 'body.imageUrl', message: 'an address of the API (a client\'s photo) is never a post image', type: 'string.uriHost' }]);
    }
    if (!imageHostAllowed(imageUrl, this.deps.config.community.imageHosts)) {
      const hosts = this.deps.config.community.imageHosts;
      throw validationError([{
        field: 'body.imageUrl',
        message: hosts.length ? `the image must be an HTTPS address on ${hosts.join(', ')}` : 'images are not enabled (COMMUNITY_IMAGE_HOSTS is empty)',
        type: 'string.uriHost',
      }]);
    }
  }

  private assertApprover(actor: Actor): void {
    if (!this.approverRoles.includes(actor.role as StaffRole)) throw new AppError(CommonErrors.FORBIDDEN, 'Your role may not approve posts');
  }

  /** Runs the check on a stored post; throws 422 POST_NOT_COMPLIANT with [{ category, words }] when it fails. */
  private checkRow(row: PostRow): ComplianceResult {
    const result = this.check({ title: row.title, text: row.text, card: json<PostCard>(row.card) });
    if (!result.compliant) {
      const summary = result.violations.map((v) => `${v.category}: ${v.words.join('、')}`).join('; ');
      throw new AppError(CommunityErrors.POST_NOT_COMPLIANT, `The post uses wording advertising rules forbid (${summary})`, result.violations);
    }
    return result;
  }

  private async queueOccurrence(m: EntityManager, row: PostRow, occ: Occurrence, now: Date): Promise<number> {
    const status: PostStatus = row.schedule_kind === 'once' ? 'sent' : 'scheduled';
    const claimed = await m.query(
      `UPDATE community_posts SET last_occurrence = ?, status = ?, updated_at = ?
        WHERE id = ? AND status IN ('approved', 'scheduled') AND (last_occurrence IS NULL OR last_occurrence < ?)`,
      [occ.date, status, now, row.id, occ.date],
    );
    if (Number(claimed.affectedRows) !== 1) return 0;
    const audience = json<PostAudience>(row.audience)!;
    const card = json<PostCard>(row.card);
    const text = `【${row.title}】\n${row.text}`;
    const prefix = `post:${row.public_id}:${occ.date}`;
    let written = 0;
    if ('roomTopics' in audience) {
      for (const topic of audience.roomTopics) {
        const key = `${prefix}:room:${topic}`;
        await this.recordDeliveries(m, row.id, occ.date, 'room_topic', [{ target: topic, clientId: null, key }], now);
        await this.deps.outbox.enqueue(m, {
          kind: 'group_post', dedupeKey: key, clientId: null, dueAt: occ.at,
          payload: { roomTopic: topic, text, ...(row.image_url ? { imageUrl: row.image_url } : {}), ...(card ? { card } : {}), postId: row.public_id },
        });
        written++;
      }
    } else {
      const clientIds = await this.matchingClients(m, audience.tags);
      for (let i = 0; i < clientIds.length; i += BATCH) {
        const batch = clientIds.slice(i, i + BATCH).map((id) => ({ target: String(id), clientId: id, key: `${prefix}:client:${id}` }));
        await this.recordDeliveries(m, row.id, occ.date, 'client', batch, now);
        for (const b of batch) {
          await this.deps.outbox.enqueue(m, {
            kind: 'client_message', dedupeKey: b.key, clientId: b.clientId, dueAt: occ.at, payload: { text, ...(card ? { card } : {}), purpose: 'community' },
          });
        }
        written += batch.length;
      }
    }
    this.log.info({ postId: row.public_id, occurrence: occ.date, deliveries: written }, 'post occurrence queued');
    return written;
  }

  /**
   * Active clients bound to a WeCom contact whose tags match the audience: for every dimension
   * given, at least one of its values. One GROUP BY over client_tags. Unbound clients are left out
   * on purpose: a post is WeCom content, and delivery would turn each into a manual staff task.
   */
  private async matchingClients(m: EntityManager, tags: Record<string, string[]>): Promise<number[]> {
    const dims = Object.entries(tags).filter(([, values]) => values.length > 0);
    if (!dims.length) return [];
    const where = dims.map(([, values]) => `(t.dimension = ? AND t.value IN (${values.map(() => '?').join(',')}))`).join(' OR ');
    const rows: { client_id: number }[] = await m.query(
      `SELECT t.client_id FROM client_tags t
         JOIN clients c ON c.id = t.client_id AND c.status = 'active'
         JOIN wecom_contacts w ON w.client_id = t.client_id
        WHERE ${where} GROUP BY t.client_id HAVING COUNT(DISTINCT t.dimension) = ? ORDER BY t.client_id`,
      [...dims.flatMap(([dimension, values]) => [dimension, ...values]), dims.length],
    );
    return rows.map((r) => Number(r.client_id));
  }

  private async recordDeliveries(
    m: EntityManager, postId: number, occurrence: string, kind: DeliveryTargetKind, targets: { target: string; clientId: number | null; key: string }[], now: Date,
  ): Promise<void> {
    if (!targets.length) return;
    await m.query(
      `INSERT INTO post_deliveries (post_id, occurrence, target_kind, target, client_id, outbox_key, created_at)
       VALUES ${targets.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')} ON DUPLICATE KEY UPDATE id = id`,
      targets.flatMap((t) => [postId, occurrence, kind, t.target, t.clientId, t.key, now]),
    );
  }

  private scheduleColumns(s: PostScheduleInput): { kind: ScheduleKind; sendAt: Date | null; weekday: number | null; timeOfDay: string | null } {
    if (s.kind === 'weekly') return { kind: 'weekly', sendAt: null, weekday: s.weekday, timeOfDay: s.time };
    const at = new Date(s.at);
    if (Number.isNaN(at.getTime()) || at <= this.deps.clock.now()) {
      throw validationError([{ field: 'body.schedule.at', message: 'the time of a one-time post must be in the future', type: 'date.min' }]);
    }
    return { kind: 'once', sendAt: at, weekday: null, timeOfDay: null };
  }

  private scheduleOf(r: PostRow) {
    return { scheduleKind: r.schedule_kind, sendAt: r.send_at, weekday: r.weekday === null ? null : Number(r.weekday), timeOfDay: r.time_of_day };
  }

  private async row(m: EntityManager, postPublicId: string, lock = false): Promise<PostRow> {
    if (lock) {
      const [locked] = await m.query('SELECT id FROM community_posts WHERE public_id = ? FOR UPDATE', [postPublicId]);
      if (!locked) throw notFound('Post');
    }
    const [row]: PostRow[] = await m.query(`${POST_SELECT} WHERE p.public_id = ?`, [postPublicId]);
    if (!row) throw notFound('Post');
    return { ...row, created_by: Number(row.created_by) };
  }

  private view(r: PostRow): PostView {
    const schedule: PostScheduleView = r.schedule_kind === 'once'
      ? { kind: 'once', at: r.send_at as Date }
      : { kind: 'weekly', weekday: Number(r.weekday), time: r.time_of_day as string };
    const live = LIVE.includes(r.status) || r.status === 'pending_approval' || EDITABLE.includes(r.status);
    return {
      id: r.public_id,
      title: r.title,
      text: r.text,
      imageUrl: r.image_url,
      card: json<PostCard>(r.card),
      audience: json<PostAudience>(r.audience)!,
      schedule,
      status: r.status,
      compliance: json<ComplianceResult>(r.compliance),
      reviewNote: r.review_note,
      createdBy: r.creator_public_id ? { id: r.creator_public_id, name: r.creator_name ?? '' } : null,
      submittedAt: r.submitted_at,
      approvedBy: r.approver_public_id ? { id: r.approver_public_id, name: r.approver_name ?? '' } : null,
      approvedAt: r.approved_at,
      lastOccurrence: r.last_occurrence,
      nextAt: live ? nextOccurrence(this.scheduleOf(r), this.deps.clock.now())?.at ?? null : null,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }
}

/**
 * Whether a post image address may be fetched: HTTPS, no credentials or port, and a host on the
 * list (exactly; no subdomains). The bot checks again before it fetches.
 */
export function imageHostAllowed(imageUrl: string, hosts: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(imageUrl);
  } catch {
    return false;
  }
  return url.protocol === 'https:' && !url.username && !url.password && !url.port && hosts.includes(url.hostname.toLowerCase());
}
