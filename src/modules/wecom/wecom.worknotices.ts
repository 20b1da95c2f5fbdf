import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Logger } from '../../shared/logger';
import type { StaffRole } from '../../shared/roles';
import type { RowsAfter } from '../../shared/watermark';
import type { StaffNotice, StaffNotices } from './wecom.notices';

/** The work staff hear about, read through the owning modules' public methods (wired in services.ts). */
export interface WorkNoticeSources {
  tasks(afterId: number | null): Promise<RowsAfter<{ id: number; assigneeId: number | null; assigneeRole: StaffRole }>>;
  cases(afterId: number | null): Promise<RowsAfter<{ id: number; assigneeRole: StaffRole }>>;
  submissions(afterId: number | null): Promise<RowsAfter<{ id: number; leadGrade: string; consultantId: number | null }>>;
  /** Open cases whose deadline passed in (since, now]. */
  overdueCases(since: Date, now: Date): Promise<{ id: number; assigneeRole: StaffRole }[]>;
  postsAwaitingApproval(): Promise<{ id: number; submittedAt: Date; authorId: number }[]>;
  approverRoles: StaffRole[];
}

type Kind = 'task' | 'case' | 'lead' | 'overdue' | 'post';
interface Due { key: string; kind: Kind; staffIds: number[] }
interface Linked { id: number; role: StaffRole }
type Move = () => Promise<unknown>;

const LABEL: Record<Kind, string> = { task: '新任务', case: '新工单', lead: 'A级线索', overdue: '超时工单', post: '待审核帖子' };
const PATH: Record<Kind, string> = { task: '/', case: '/', lead: '/leads', overdue: '/', post: '/community' };
const ORDER: Kind[] = ['overdue', 'lead', 'case', 'task', 'post'];
// A claim older than this belongs to a scheduler that died mid-run: the row is offered again.
const CLAIM_MS = 5 * 60_000;
// How far back a deadline may have passed to still be news (the first run does not replay history).
const OVERDUE_LOOKBACK_MS = 24 * 3600_000;
// Settled rows are kept this long, then deleted: longer than any lookback, so nothing is notified twice
// (a post still waiting for approval after 30 days is worth a reminder anyway).
const KEEP_MS = 30 * 24 * 3600_000;

/**
 * Staff work notices through the WeCom app: every run reads new tasks, cases and A-grade leads past
 * stored watermarks, cases whose deadline passed and posts waiting for approval, records one row per
 * (item, staff member with a WeCom userid) — the unique key makes two schedulers notify once — and
 * sends each staff member one text card for everything due (counts only: no client data travels
 * through WeCom). What the app's rate budget defers waits for the next run.
 */
export class WorkNotices {
  constructor(private readonly deps: { db: DataSource; sources: () => WorkNoticeSources | undefined; notices: StaffNotices; log: Logger }) {}

  /** One run; answers the notices sent. */
  async run(now: Date): Promise<number> {
    const sources = this.deps.sources();
    if (!sources) return 0;
    const staff: Linked[] = (await this.deps.db.query(
      'SELECT s.id, s.role FROM wecom_staff_users w JOIN staff s ON s.id = w.staff_id AND s.active = 1',
    )).map((r: { id: number; role: StaffRole }) => ({ id: Number(r.id), role: r.role }));
    if (staff.length) {
      // Watermarks move only once the rows they cover are recorded.
      const moves: Move[] = [];
      await this.record(await this.collect(sources, staff, now, moves), now);
      for (const move of moves) await move();
    }
    const sent = await this.sendDue(now);
    await this.deps.db.query('DELETE FROM wecom_work_notices WHERE sent_at < ? LIMIT 10000', [new Date(now.getTime() - KEEP_MS)]);
    return sent;
  }

  private async collect(src: WorkNoticeSources, staff: Linked[], now: Date, moves: Move[]): Promise<Due[]> {
    const ofRole = (role: StaffRole) => staff.filter((s) => s.role === role).map((s) => s.id);
    const linked = new Set(staff.map((s) => s.id));
    const only = (id: number | null) => (id !== null && linked.has(id) ? [id] : []);
    const due: Due[] = [];
    for (const t of await this.after('task', src.tasks, moves)) {
      due.push({ key: `task:${t.id}`, kind: 'task', staffIds: t.assigneeId !== null ? only(t.assigneeId) : ofRole(t.assigneeRole) });
    }
    for (const c of await this.after('case', src.cases, moves)) due.push({ key: `case:${c.id}`, kind: 'case', staffIds: ofRole(c.assigneeRole) });
    for (const s of await this.after('lead', src.submissions, moves)) {
      if (s.leadGrade !== 'A') continue;
      due.push({ key: `lead:${s.id}`, kind: 'lead', staffIds: s.consultantId !== null ? only(s.consultantId) : ofRole('consultant') });
    }
    for (const c of await src.overdueCases(new Date(now.getTime() - OVERDUE_LOOKBACK_MS), now)) {
      due.push({ key: `overdue:${c.id}`, kind: 'overdue', staffIds: ofRole(c.assigneeRole) });
    }
    const approvers = staff.filter((s) => src.approverRoles.includes(s.role));
    for (const p of await src.postsAwaitingApproval()) {
      // A post sent back and submitted again waits anew; its author does not approve it.
      const key = `post:${p.id}:${p.submittedAt.getTime()}`;
      due.push({ key, kind: 'post', staffIds: approvers.filter((s) => s.id !== p.authorId).map((s) => s.id) });
    }
    return due;
  }

  /**
   * Rows past the kind's watermark; the first run only notes where the table ends (what existed
   * before is not news). The watermark moves by a conditional UPDATE: a second scheduler reading
   * the same rows records nothing twice (INSERT IGNORE on the unique key).
   */
  private async after<T extends { id: number }>(kind: Kind, read: (afterId: number | null) => Promise<RowsAfter<T>>, moves: Move[]): Promise<T[]> {
    const [mark]: { last_id: number }[] = await this.deps.db.query('SELECT last_id FROM wecom_notice_marks WHERE kind = ?', [kind]);
    if (!mark) {
      const { lastId } = await read(null);
      await this.deps.db.query('INSERT IGNORE INTO wecom_notice_marks (kind, last_id) VALUES (?, ?)', [kind, lastId]);
      return [];
    }
    const rows = await read(Number(mark.last_id));
    moves.push(() => this.deps.db.query('UPDATE wecom_notice_marks SET last_id = ? WHERE kind = ? AND last_id < ?', [rows.lastId, kind, rows.lastId]));
    return rows.items;
  }

  private async record(due: Due[], now: Date): Promise<void> {
    const rows = due.flatMap((d) => d.staffIds.map((staffId) => [d.key, d.kind, staffId, now]));
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      await this.deps.db.query(
        `INSERT IGNORE INTO wecom_work_notices (item_key, kind, staff_id, created_at) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')}`, chunk.flat(),
      );
    }
  }

  /** Claims the rows due, sends one card per staff member, and settles them (deferred rows wait for the next run). */
  private async sendDue(now: Date): Promise<number> {
    const claim = randomUUID();
    await this.deps.db.query(
      `UPDATE wecom_work_notices SET claim = ?, claimed_at = ? WHERE sent_at IS NULL AND (claimed_at IS NULL OR claimed_at < ?) ORDER BY id LIMIT 5000`,
      [claim, now, new Date(now.getTime() - CLAIM_MS)],
    );
    const rows: { kind: Kind; staff_id: number }[] = await this.deps.db.query('SELECT kind, staff_id FROM wecom_work_notices WHERE claim = ?', [claim]);
    if (!rows.length) return 0;
    const counts = new Map<number, Map<Kind, number>>();
    for (const r of rows) {
      const perKind = counts.get(Number(r.staff_id)) ?? new Map<Kind, number>();
      perKind.set(r.kind, (perKind.get(r.kind) ?? 0) + 1);
      counts.set(Number(r.staff_id), perKind);
    }
    const report = await this.deps.notices.send([...counts].map(([staffId, perKind]) => card(staffId, perKind)));
    const deferred = report.deferred.map((n) => n.staffId);
    if (deferred.length) {
      await this.deps.db.query(
        `UPDATE wecom_work_notices SET claim = NULL, claimed_at = NULL WHERE claim = ? AND staff_id IN (${deferred.map(() => '?').join(',')})`, [claim, ...deferred],
      );
    }
    if (report.unreachable.length) {
      await this.deps.db.query(
        `UPDATE wecom_work_notices SET sent_at = ?, outcome = 'unreachable' WHERE claim = ? AND staff_id IN (${report.unreachable.map(() => '?').join(',')})`,
        [now, claim, ...report.unreachable],
      );
    }
    await this.deps.db.query("UPDATE wecom_work_notices SET sent_at = ?, outcome = 'sent' WHERE claim = ? AND sent_at IS NULL", [now, claim]);
    if (deferred.length) this.deps.log.info({ deferred: deferred.length }, 'work notices over the rate budget wait for the next run');
    return report.sent;
  }
}

/** One card for everything due to a staff member: counts per kind, opening the page of the most urgent. */
function card(staffId: number, perKind: Map<Kind, number>): StaffNotice {
  const kinds = ORDER.filter((k) => perKind.has(k));
  const total = kinds.reduce((n, k) => n + perKind.get(k)!, 0);
  return {
    staffId,
    title: `您有 ${total} 项待处理工作`,
    description: kinds.map((k) => `${LABEL[k]} ${perKind.get(k)} 项`).join('\n'),
    path: PATH[kinds[0]],
  };
}
