import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '../../shared/clock';
import { AppError, notFound } from '../../shared/errors';
import { isDuplicateKey, runInTransaction } from '../../shared/db';
import { publicId } from '../../shared/crypto';
import { rowsAfter, type RowsAfter } from '../../shared/watermark';
import type { FieldCipher } from '../../shared/crypto';
import type { Actor, AuditService } from '../audit';
import type { StaffRole } from '../staff';
import { accessFilter, ClientAccess } from '../clients';
import type { StaffTaskStatus } from './worklist.entity';
import { WorklistErrors } from './worklist.errors';

export interface WorklistDeps {
  db: DataSource;
  clock: Clock;
  audit: AuditService;
  cipher: FieldCipher;
}

/**
 * Associated data of a task's encrypted columns: titles, details and notes quote follow-up texts
 * that greet the client and name the procedure (DESIGN.md, sensitive fields).
 */
export const taskAad = (taskPublicId: string, column: 'title' | 'details' | 'note'): string => `staff_tasks:${taskPublicId}:${column}`;
/** What a task about a deleted account shows: its texts are erased (PIPL). */
const ERASED_TITLE = '（客户已注销）';
const UNREADABLE_TITLE = '（无法读取）';

/** A task to create; `dedupeKey` makes a second create for the same purpose a no-op. */
export interface TaskInput {
  /** 'deliver_manually', 'delivery_failed', 'complaint', 'callback' … */
  kind: string;
  dedupeKey: string;
  clientId?: number | null;
  /** Every member of the role sees the task. */
  assigneeRole: StaffRole;
  /** The one staff member it is meant for (e.g. the client's dedicated consultant), when known. */
  assigneeId?: number | null;
  /** Cut to 200 characters. */
  title: string;
  details?: Record<string, unknown> | null;
  /** Default: now. */
  dueAt?: Date;
}

export interface TaskView {
  id: string;
  kind: string;
  /** The client's public id, when the task is about a client. */
  clientId: string | null;
  assigneeRole: string;
  /** The assigned staff member's public id. */
  assigneeId: string | null;
  title: string;
  details: Record<string, unknown> | null;
  dueAt: Date;
  status: StaffTaskStatus;
  createdAt: Date;
  doneAt: Date | null;
  doneBy: string | null;
  note: string | null;
}

/** A task staff create by hand about a client (the WeCom sidebar). */
export interface ClientTaskInput {
  /** Chosen by the caller per submit: the same request id creates one task (a double tap). */
  requestId: string;
  title: string;
  details?: string;
  /** Default: now. */
  dueAt?: Date;
  /** Default: the caller's own role, assigned to the caller; another role: every member of it. */
  assigneeRole?: StaffRole;
}

export interface TaskQuery {
  status: StaffTaskStatus;
  /** Only tasks of this role (within what the caller may see). */
  role?: StaffRole;
  page: number;
  pageSize: number;
}

export interface TaskRow {
  id: number;
  public_id: string;
  kind: string;
  client_id: number | null;
  assignee_role: string;
  assignee_id: number | null;
  title_enc: Buffer | null;
  details_enc: Buffer | null;
  due_at: Date;
  status: StaffTaskStatus;
  created_at: Date;
  done_at: Date | null;
  done_by: number | null;
  note_enc: Buffer | null;
  client_public_id: string | null;
  assignee_public_id: string | null;
  done_by_public_id: string | null;
}

export const TASK_SELECT = `SELECT t.*, c.public_id AS client_public_id, s.public_id AS assignee_public_id, d.public_id AS done_by_public_id
  FROM staff_tasks t LEFT JOIN clients c ON c.id = t.client_id LEFT JOIN staff s ON s.id = t.assignee_id LEFT JOIN staff d ON d.id = t.done_by`;

export function toView(cipher: FieldCipher, r: TaskRow): TaskView {
  // null: erased (or never set); false: no configured key opens it (shown as unreadable, never a 500).
  const open = (blob: Buffer | null, column: 'title' | 'details' | 'note'): string | null | false => {
    if (!blob) return null;
    try {
      return cipher.decrypt(blob, taskAad(r.public_id, column));
    } catch {
      return false;
    }
  };
  const title = open(r.title_enc, 'title');
  const details = open(r.details_enc, 'details');
  const note = open(r.note_enc, 'note');
  return {
    id: r.public_id,
    kind: r.kind,
    clientId: r.client_public_id,
    assigneeRole: r.assignee_role,
    assigneeId: r.assignee_public_id,
    title: title === false ? UNREADABLE_TITLE : title ?? ERASED_TITLE,
    details: details ? (JSON.parse(details) as Record<string, unknown>) : null,
    dueAt: r.due_at,
    status: r.status,
    createdAt: r.created_at,
    doneAt: r.done_at,
    doneBy: r.done_by_public_id,
    note: note || null,
  };
}

/**
 * What a staff member may see: the director everything; others the tasks assigned to them and their
 * role's tasks meant for nobody in particular — of those about a client, only when the client-access
 * rule lets them see that client (a case task for the consultant role reaches the client's own
 * consultant, not every consultant), or when nobody is the client's consultant yet (work for the
 * whole role to pick up). Needs `c` joined on the task's client.
 */
export function visibility(actor: Actor): { sql: string; params: unknown[] } {
  if (actor.role === 'director') return { sql: '1 = 1', params: [] };
  const reach = accessFilter(actor, 'archive', 'c.consultant_id');
  return {
    sql: `(t.assignee_id = ? OR (t.assignee_id IS NULL AND t.assignee_role = ? AND (t.client_id IS NULL OR c.consultant_id IS NULL OR ${reach.sql})))`,
    params: [actor.id, actor.role, ...reach.params],
  };
}

/**
 * The worklist: staff tasks any module creates — in the caller's transaction, once per
 * dedupe key — and staff list and complete.
 */
export class WorklistService {
  private readonly access: ClientAccess;

  constructor(private readonly deps: WorklistDeps) {
    this.access = new ClientAccess(deps);
  }

  /**
   * The account is deleted (PIPL): task titles and details can quote the client's messages and
   * procedures, so they are erased; open tasks about the client are cancelled.
   */
  readonly clientDataHooks = {
    onAccountDeleted: async (m: EntityManager, clientId: number): Promise<void> => {
      await m.query(
        `UPDATE staff_tasks SET title_enc = NULL, details_enc = NULL, note_enc = NULL,
                status = IF(status = 'open', 'cancelled', status) WHERE client_id = ?`,
        [clientId],
      );
    },
  };

  /** Tasks created after a watermark, for the staff notification stream (see rowsAfter). */
  createdAfter(afterId: number | null, limit?: number): Promise<RowsAfter<{ id: number; assigneeId: number | null; assigneeRole: StaffRole }>> {
    return rowsAfter(this.deps.db, 'staff_tasks t', 't.assignee_id AS assigneeId, t.assignee_role AS assigneeRole', afterId, limit);
  }

  /**
   * Creates a task unless one with the same dedupe key exists (then `created` is false and `id` is
   * the existing task's). Pass the transaction of the event that causes the task.
   */
  async create(m: EntityManager | null, input: TaskInput): Promise<{ created: boolean; id: string }> {
    const manager = m ?? this.deps.db.manager;
    const id = publicId();
    try {
      await manager.query(
        `INSERT INTO staff_tasks (public_id, kind, client_id, assignee_role, assignee_id, title_enc, details_enc, due_at, status, dedupe_key, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)`,
        this.values(id, input),
      );
      return { created: true, id };
    } catch (err) {
      // A duplicate key fails only this statement; the caller's transaction goes on.
      if (!isDuplicateKey(err)) throw err;
      const [row] = await manager.query('SELECT public_id FROM staff_tasks WHERE dedupe_key = ?', [input.dedupeKey]);
      return { created: false, id: row.public_id };
    }
  }

  /** Creates many tasks in one statement (set-based producers such as RFM); existing dedupe keys are skipped. */
  async createMany(m: EntityManager, inputs: TaskInput[]): Promise<void> {
    for (let i = 0; i < inputs.length; i += 500) {
      const chunk = inputs.slice(i, i + 500);
      await m.query(
        `INSERT INTO staff_tasks (public_id, kind, client_id, assignee_role, assignee_id, title_enc, details_enc, due_at, status, dedupe_key, created_at)
         VALUES ${chunk.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)").join(', ')} ON DUPLICATE KEY UPDATE staff_tasks.id = staff_tasks.id`,
        chunk.flatMap((input) => this.values(publicId(), input)),
      );
    }
  }

  private values(id: string, input: TaskInput): unknown[] {
    const { cipher, clock } = this.deps;
    return [
      id, input.kind, input.clientId ?? null, input.assigneeRole, input.assigneeId ?? null,
      cipher.encrypt([...input.title].slice(0, 200).join(''), taskAad(id, 'title')),
      input.details ? cipher.encryptJson(input.details, taskAad(id, 'details')) : null,
      input.dueAt ?? clock.now(), input.dedupeKey, clock.now(),
    ];
  }

  /**
   * A task about a client, created by a staff member who may see the client (archive scope; a
   * consultant only their own clients, else 404); once per request id; audited with the task.
   */
  async createForClient(actor: Actor, clientPublicId: string, input: ClientTaskInput): Promise<TaskView> {
    const client = await this.access.check(actor, { publicId: clientPublicId }, 'archive', { action: 'worklist.create' });
    const mine = !input.assigneeRole || input.assigneeRole === actor.role;
    const dedupeKey = `staff_task:${actor.id}:${client.publicId}:${input.requestId}`;
    return runInTransaction(this.deps.db, async (m) => {
      const { created, id } = await this.create(m, {
        kind: 'staff_followup', dedupeKey, clientId: client.id,
        assigneeRole: (input.assigneeRole ?? actor.role) as StaffRole, assigneeId: mine ? actor.id : null,
        title: input.title, details: input.details ? { text: input.details } : null, dueAt: input.dueAt,
      });
      if (created) await this.deps.audit.record(actor, 'worklist.create', { clientId: client.id, details: { task: id, assigneeRole: input.assigneeRole ?? actor.role } }, m);
      const [row]: TaskRow[] = await m.query(`${TASK_SELECT} WHERE t.public_id = ?`, [id]);
      return toView(this.deps.cipher, row);
    });
  }

  /** Cancels the open task of a dedupe key (the reason for it went away); true when one was cancelled. */
  async cancel(m: EntityManager | null, dedupeKey: string): Promise<boolean> {
    const res = await (m ?? this.deps.db.manager).query(
      "UPDATE staff_tasks SET status = 'cancelled', done_at = ? WHERE dedupe_key = ? AND status = 'open'",
      [this.deps.clock.now(), dedupeKey],
    );
    return Number(res.affectedRows) === 1;
  }

  /** The task of a dedupe key, if any (for the module that created it). */
  async byDedupeKey(dedupeKey: string, m?: EntityManager): Promise<TaskView | null> {
    const [row]: TaskRow[] = await (m ?? this.deps.db.manager).query(`${TASK_SELECT} WHERE t.dedupe_key = ?`, [dedupeKey]);
    return row ? toView(this.deps.cipher, row) : null;
  }

  /**
   * Tasks a staff member may see, open ones by due time, others newest first. The read shows
   * client data (ids, message texts), so it is audited.
   */
  async list(actor: Actor, q: TaskQuery): Promise<{ items: TaskView[]; page: number; hasMore: boolean }> {
    const vis = visibility(actor);
    const conds = ['t.status = ?', vis.sql];
    const params: unknown[] = [q.status, ...vis.params];
    if (q.role) (conds.push('t.assignee_role = ?'), params.push(q.role));
    const order = q.status === 'open' ? 't.due_at, t.id' : 't.done_at DESC, t.id DESC';
    const rows: TaskRow[] = await this.deps.db.query(
      `${TASK_SELECT} WHERE ${conds.join(' AND ')} ORDER BY ${order} LIMIT ? OFFSET ?`,
      [...params, q.pageSize + 1, (q.page - 1) * q.pageSize],
    );
    const items = rows.slice(0, q.pageSize).map((r) => toView(this.deps.cipher, r));
    await this.deps.audit.record(actor, 'worklist.list', { details: { status: q.status, role: q.role ?? null, count: items.length } });
    return { items, page: q.page, hasMore: rows.length > q.pageSize };
  }

  /** Marks an open task the staff member may see as done, with a note; audited in the same transaction. */
  async complete(actor: Actor, taskPublicId: string, note: string | null): Promise<TaskView> {
    const vis = visibility(actor);
    return runInTransaction(this.deps.db, async (m) => {
        // Visibility first (a plain read: the UPDATE then locks only the task row, never the client's).
        const [seen]: { id: number }[] = await m.query(
          `SELECT t.id FROM staff_tasks t LEFT JOIN clients c ON c.id = t.client_id WHERE t.public_id = ? AND ${vis.sql}`, [taskPublicId, ...vis.params],
        );
        const res = await m.query(
          `UPDATE staff_tasks SET status = 'done', done_at = ?, done_by = ?, note_enc = ? WHERE id = ? AND status = 'open'`,
          [this.deps.clock.now(), actor.id, note === null ? null : this.deps.cipher.encrypt(note, taskAad(taskPublicId, 'note')), seen?.id ?? 0],
        );
        const [row]: TaskRow[] = await m.query(`${TASK_SELECT} WHERE t.public_id = ? AND ${vis.sql}`, [taskPublicId, ...vis.params]);
        // Another role's task is simply not found.
        if (!row) throw notFound('Task');
        if (Number(res.affectedRows) !== 1) throw new AppError(WorklistErrors.TASK_NOT_OPEN, `This task is ${row.status} already`, { status: row.status });
        await this.deps.audit.record(actor, 'worklist.complete', { clientId: row.client_id, details: { task: row.public_id, kind: row.kind } }, m);
        return toView(this.deps.cipher, row);
    });
  }
}
