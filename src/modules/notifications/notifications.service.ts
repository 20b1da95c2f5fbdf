import type { Logger } from '../../shared/logger';
import type { StaffRole } from '../../shared/roles';
import type { RowsAfter } from '../../shared/watermark';

/** What a staff member's workbench is told: something new of this kind may be for you; it reloads through the API. */
export type WorkKind = 'task' | 'case' | 'lead';
export interface WorkListener {
  staffId: number;
  role: StaffRole;
  send(kind: WorkKind): void;
  /** The stream must end (the process stops). */
  end(): void;
}

/** The work tables, read past a watermark through their modules' public methods. */
export interface WorkSources {
  tasks(afterId: number | null): Promise<RowsAfter<{ id: number; assigneeId: number | null; assigneeRole: StaffRole }>>;
  cases(afterId: number | null): Promise<RowsAfter<{ id: number; assigneeRole: StaffRole }>>;
  submissions(afterId: number | null): Promise<RowsAfter<{ id: number; leadGrade: string; consultantId: number | null }>>;
}

type Watermarks = Record<WorkKind, number | null>;

/**
 * The staff notification stream's source, one per API process. While anyone listens it reads the
 * work tables past their last ids every `pollMs` (three primary-key range reads, however many
 * listen) and tells each listener which kinds have something new that may be theirs. Reading the
 * tables, not an in-process event, is what lets several API processes (and the scheduler and the
 * bot, which create tasks in processes of their own) serve every listener: each process sees every
 * row. The message carries no data: the workbench reloads through the API, so what a role may see
 * stays the access rule's answer.
 */
export class WorkStream {
  private readonly listeners = new Set<WorkListener>();
  private marks: Watermarks = { task: null, case: null, lead: null };
  private timer: ReturnType<typeof setTimeout> | null = null;
  private starting: Promise<void> | null = null;

  constructor(private readonly deps: { sources: WorkSources; pollMs: number; logger: Logger }) {}

  /**
   * Starts telling a listener, once the watermarks are read: whatever is created after this
   * resolves reaches it. The returned function stops.
   */
  async subscribe(listener: WorkListener): Promise<() => void> {
    if (this.marks.task === null) await (this.starting ??= this.readMarks().finally(() => { this.starting = null; }));
    this.listeners.add(listener);
    this.schedule();
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Where each table ends now: what existed before anyone listened is not news. */
  private async readMarks(): Promise<void> {
    const [tasks, cases, submissions] = await Promise.all([this.deps.sources.tasks(null), this.deps.sources.cases(null), this.deps.sources.submissions(null)]);
    this.marks = { task: tasks.lastId, case: cases.lastId, lead: submissions.lastId };
  }

  /** Ends every stream (graceful stop): listeners hear nothing more. */
  close(): void {
    for (const l of this.listeners) l.end();
    this.listeners.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  get size(): number {
    return this.listeners.size;
  }

  private schedule(): void {
    if (this.timer || !this.listeners.size) return;
    this.timer = setTimeout(() => void this.tick(), this.deps.pollMs);
    this.timer.unref?.();
  }

  /** One read of the three tables; with no listener left the watermarks are dropped, so a later listener starts from then. */
  async tick(): Promise<void> {
    try {
      if (!this.listeners.size) {
        this.marks = { task: null, case: null, lead: null };
        return;
      }
      if (this.marks.task === null) return await this.readMarks();
      const [tasks, cases, submissions] = await Promise.all([
        this.deps.sources.tasks(this.marks.task), this.deps.sources.cases(this.marks.case), this.deps.sources.submissions(this.marks.lead),
      ]);
      this.marks = { task: tasks.lastId, case: cases.lastId, lead: submissions.lastId };
      for (const l of this.listeners) {
        if (tasks.items.some((t) => t.assigneeId === l.staffId || (t.assigneeId === null && t.assigneeRole === l.role) || l.role === 'director')) l.send('task');
        if (cases.items.some((c) => c.assigneeRole === l.role || l.role === 'director')) l.send('case');
        if (submissions.items.some((s) => s.leadGrade === 'A' && (s.consultantId === l.staffId || (s.consultantId === null && l.role === 'consultant') || l.role === 'director'))) l.send('lead');
      }
    } catch (err) {
      this.deps.logger.warn({ err }, 'work stream read failed; trying again');
    } finally {
      this.timer = null;
      this.schedule();
    }
  }
}
