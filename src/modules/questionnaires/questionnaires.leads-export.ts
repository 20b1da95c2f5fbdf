import { ageOn } from '../../shared/clock';
import { keysetBatches, type TableExport } from '../../shared/http/export';
import type { Actor } from '../audit';
import { readClientField } from '../clients';
import { leadsWhere, projectLabels, type LeadFilters } from './questionnaires.leads';
import { QuestionnairesSupport, type QuestionnairesDeps } from './questionnaires.shared';

const GENDER_ZH: Record<string, string> = { female: '女', male: '男', unknown: '未知' };
const COLUMNS = [
  { key: 'id', header: '客户ID' }, { key: 'name', header: '姓名' }, { key: 'gender', header: '性别' }, { key: 'age', header: '年龄' },
  { key: 'stage', header: '阶段' }, { key: 'consultant', header: '专属咨询师' }, { key: 'grade', header: '线索等级' }, { key: 'score', header: '意向分' },
  { key: 'projects', header: '意向项目' }, { key: 'budgetBand', header: '预算档' }, { key: 'completeness', header: '完整度(%)' }, { key: 'submittedAt', header: '提交时间' },
];

interface Row {
  clientId: number; publicId: string; nameEnc: Buffer | null; gender: string; birthDate: string | null; stage: string; consultant: string | null;
  grade: string; score: number; projects: unknown; budgetBand: string | null; completeness: number; submittedAt: Date; versionId: number;
}

/**
 * The lead list as a file (GET /api/staff/leads/export): the list's filters and reach (a consultant
 * their own clients), A leads first, read in keyset batches (grade, client) as the file streams.
 * Like the list it carries no health answer and no phone. Each batch is audited ('lead.export')
 * with the clients it names.
 */
export class LeadExports {
  private readonly s: QuestionnairesSupport;

  constructor(deps: QuestionnairesDeps) {
    this.s = new QuestionnairesSupport(deps);
  }

  exportForStaff(actor: Actor, q: LeadFilters, format: string): TableExport {
    const { where, params } = leadsWhere(this.s, actor, q);
    const db = this.s.deps.db;
    const fetch = (after: { grade: string; clientId: number } | null, limit: number): Promise<Row[]> => db.query(
      `SELECT i.client_id AS clientId, c.public_id AS publicId, c.name_enc AS nameEnc, c.gender, DATE_FORMAT(c.birth_date, '%Y-%m-%d') AS birthDate, c.stage,
              s.display_name AS consultant, i.lead_grade AS grade, i.intent_score AS score, i.projects, i.budget_band AS budgetBand,
              i.completeness_pct AS completeness, i.submitted_at AS submittedAt, r.version_id AS versionId
         FROM client_intents i JOIN clients c ON c.id = i.client_id
         JOIN questionnaire_responses r ON r.id = i.latest_response_id
         LEFT JOIN staff s ON s.id = c.consultant_id
        WHERE ${where.join(' AND ')}${after === null ? '' : ' AND (i.lead_grade > ? OR (i.lead_grade = ? AND i.client_id < ?))'}
        ORDER BY i.lead_grade ASC, i.client_id DESC LIMIT ?`,
      [...params, ...(after === null ? [] : [after.grade, after.grade, after.clientId]), limit],
    );
    const filters = (['grade', 'project', 'consultantId', 'unassigned', 'clientId'] as const).filter((k) => q[k] !== undefined);
    const self = this;
    async function* rows(): AsyncGenerator<Record<string, unknown>> {
      for await (const batch of keysetBatches(fetch, (r) => ({ grade: r.grade, clientId: Number(r.clientId) }))) {
        await self.s.deps.audit.record(actor, 'lead.export', {
          details: { format, filters, role: actor.role, results: batch.length, clientIds: batch.map((r) => Number(r.clientId)) },
        });
        const now = self.s.deps.clock.now();
        for (const r of batch) {
          const v = await self.s.loadVersion(Number(r.versionId));
          yield {
            id: r.publicId, name: self.name(r), gender: GENDER_ZH[r.gender] ?? r.gender, age: r.birthDate ? ageOn(r.birthDate, now) : null,
            stage: r.stage, consultant: r.consultant, grade: r.grade, score: Number(r.score),
            projects: projectLabels(v, r.projects).map((p) => p.label).join('、'), budgetBand: r.budgetBand,
            completeness: Number(r.completeness), submittedAt: r.submittedAt,
          };
        }
      }
    }
    return { filename: 'leads', sheetName: '线索', columns: COLUMNS, rows: rows(), logger: this.s.log };
  }

  private name(r: Row): string | null {
    return readClientField(this.s.deps.cipher, r.publicId, 'name', r.nameEnc, () => {
      this.s.log.error({ clientId: Number(r.clientId) }, 'client name cannot be decrypted; exported as empty');
    });
  }
}
