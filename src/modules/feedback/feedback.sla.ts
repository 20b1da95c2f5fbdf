import type { EntityManager } from 'typeorm';
import { shanghaiMinute } from '../../shared/clock';
import { rowsAfter, type RowsAfter } from '../../shared/watermark';
import type { StaffRole } from '../staff';
import type { CaseGrade, CaseSource } from './feedback.entity';
import { FeedbackSupport, GRADE_LABEL, SOURCE_LABEL } from './feedback.shared';

const ESCALATION_BATCH = 200;

/**
 * Case deadlines (投诉 24 小时内处理): an overdue open case alerts the director once, and the staff
 * notification stream learns of new and newly overdue cases.
 */
export class CaseDeadlines {
  constructor(private readonly s: FeedbackSupport) {}

  /** Cases opened after a watermark, for the staff notification stream (see rowsAfter). */
  openedAfter(afterId: number | null, limit?: number): Promise<RowsAfter<{ id: number; assigneeRole: StaffRole }>> {
    return rowsAfter(this.s.db, 'feedback_cases t', 't.assignee_role AS assigneeRole', afterId, limit);
  }

  /** Open cases whose deadline passed since `since` (staff notices: each once), oldest deadline first. */
  async overdueSince(since: Date, now: Date, limit = 500): Promise<{ id: number; assigneeRole: StaffRole }[]> {
    const rows: { id: number; assigneeRole: StaffRole }[] = await this.s.db.query(
      `SELECT id, assignee_role AS assigneeRole FROM feedback_cases WHERE status = 'open' AND deadline_at > ? AND deadline_at <= ? ORDER BY deadline_at, id LIMIT ?`,
      [since, now, limit],
    );
    return rows.map((r) => ({ id: Number(r.id), assigneeRole: r.assigneeRole }));
  }

  /**
   * The 'case-sla' task: every open case past its deadline alerts the director once — a
   * conditional UPDATE of `escalated_at` claims the case, the outbox key `case_overdue:<case>`
   * makes a second row impossible. One short transaction per case; returns how many were alerted.
   */
  async escalateOverdue(now: Date = this.s.now()): Promise<number> {
    let alerted = 0;
    let afterId = 0;
    for (;;) {
      const due: { id: number }[] = await this.s.db.query(
        `SELECT id FROM feedback_cases WHERE status = 'open' AND escalated_at IS NULL AND deadline_at <= ? AND id > ? ORDER BY id LIMIT ${ESCALATION_BATCH}`,
        [now, afterId],
      );
      for (const { id } of due) {
        try {
          if (await this.s.tx((m) => this.escalate(m, Number(id), now))) alerted++;
        } catch (err) {
          this.s.log.warn({ caseId: Number(id), err }, 'overdue case could not be escalated; retried on the next run');
        }
      }
      if (due.length < ESCALATION_BATCH) break;
      afterId = Number(due[due.length - 1].id);
    }
    return alerted;
  }

  private async escalate(m: EntityManager, id: number, now: Date): Promise<boolean> {
    const claimed = await m.query(
      `UPDATE feedback_cases SET escalated_at = ? WHERE id = ? AND status = 'open' AND escalated_at IS NULL AND deadline_at <= ?`,
      [now, id, now],
    );
    if (Number(claimed.affectedRows) !== 1) return false;
    const [row] = await m.query('SELECT public_id, client_id, grade, source, deadline_at FROM feedback_cases WHERE id = ?', [id]);
    // No client detail in the text: it travels through WeCom.
    const text = `【超时工单】${GRADE_LABEL[row.grade as CaseGrade]}级${SOURCE_LABEL[row.source as CaseSource]} ${row.public_id} 已超过处理时限（${shanghaiMinute(row.deadline_at)}）仍未解决，请跟进。`;
    const { created } = await this.s.deps.outbox.enqueue(m, {
      kind: 'staff_alert', dedupeKey: `case_overdue:${row.public_id}`, clientId: Number(row.client_id), payload: { text, staffRole: 'director' }, dueAt: now,
    });
    if (created) this.s.log.warn({ caseId: row.public_id, deadline: row.deadline_at }, 'feedback case overdue; director alerted');
    return created;
  }
}
