import type { DataSource } from 'typeorm';
import { rowsAfter, type RowsAfter } from '../../shared/watermark';
import type { LeadGrade } from './questionnaires.definition';

/**
 * Questionnaire submissions after a watermark with their lead grade and the client's consultant,
 * for the staff notification stream (an A-grade lead is news to its consultant).
 */
export function submissionsAfter(
  db: DataSource, afterId: number | null, limit?: number,
): Promise<RowsAfter<{ id: number; leadGrade: LeadGrade; consultantId: number | null }>> {
  return rowsAfter(
    db, 'questionnaire_responses t JOIN clients c ON c.id = t.client_id', 't.lead_grade AS leadGrade, c.consultant_id AS consultantId', afterId, limit,
  );
}
