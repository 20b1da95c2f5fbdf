import { shanghaiDate } from '../../shared/clock';
import { validationError } from '../../shared/errors';
import { DETRACTOR_AT_MOST, INDICATOR_COLUMNS, INDICATORS, Indicator, netPromoterScore, PROMOTER_FROM } from './feedback.rules';
import { DAY_MS, FeedbackSupport } from './feedback.shared';
import type { CompensationFigures, ReportRange, SatisfactionFigures, SatisfactionReport } from './feedback.types';

const MAX_REPORT_DAYS = 366;

function realDate(d: string): boolean {
  const t = Date.parse(`${d}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === d;
}

/** A report's dates: `to` defaults to today (Shanghai), `from` to 29 days before `to`; at most a year. */
export function reportRange(range: ReportRange, now: Date): { from: string; to: string } {
  const to = range.to ?? shanghaiDate(now);
  if (!realDate(to)) throw validationError([{ field: 'query.to', message: 'to is not a calendar date', type: 'date.base' }]);
  const from = range.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * DAY_MS).toISOString().slice(0, 10);
  if (!realDate(from)) throw validationError([{ field: 'query.from', message: 'from is not a calendar date', type: 'date.base' }]);
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS;
  if (days < 0) throw validationError([{ field: 'query.to', message: 'to must not be before from', type: 'date.min' }]);
  if (days >= MAX_REPORT_DAYS) throw validationError([{ field: 'query.to', message: `a report covers at most ${MAX_REPORT_DAYS} days`, type: 'date.max' }]);
  return { from, to };
}

/** One row of the report's aggregate queries as figures: counts, NPS and the indicator averages. */
function figures(r: Record<string, unknown>): SatisfactionFigures {
  const responses = Number(r.responses ?? 0);
  const promoters = Number(r.promoters ?? 0);
  const detractors = Number(r.detractors ?? 0);
  const indicators = {} as Record<Indicator, number | null>;
  for (const i of INDICATORS) {
    const v = r[INDICATOR_COLUMNS[i]];
    indicators[i] = v === null || v === undefined ? null : Math.round(Number(v) * 100) / 100;
  }
  return { responses, promoters, passives: responses - promoters - detractors, detractors, nps: netPromoterScore(responses, promoters, detractors), indicators };
}

/** Resolved cases by what the supervisor gave (rows of kind, rule and count). */
function compensationFigures(rows: { kind: string | null; rule: string | null; n: number | string }[]): CompensationFigures {
  const out: CompensationFigures = { resolved: 0, none: 0, vouchers: [], reviewAppointments: 0 };
  for (const r of rows) {
    const n = Number(r.n);
    out.resolved += n;
    if (r.kind === 'voucher') out.vouchers.push({ rule: String(r.rule), count: n });
    else if (r.kind === 'review_appointment') out.reviewAppointments += n;
    else out.none += n;
  }
  out.vouchers.sort((a, b) => a.rule.localeCompare(b.rule));
  return out;
}

/** 满意度报表: the director's NPS and indicator figures, from the answers' columns in SQL. */
export class SatisfactionReports {
  constructor(private readonly s: FeedbackSupport) {}

  /**
   * NPS and the ten indicator averages over answers given from `from` to `to` (Shanghai calendar
   * dates, both included; default the last 30 days), overall, per doctor (the order's doctor) and
   * per project (every project of the order). Set-based: three GROUP BY queries.
   */
  async satisfactionReport(range: ReportRange = {}): Promise<SatisfactionReport> {
    const { from, to } = reportRange(range, this.s.now());
    const start = new Date(`${from}T00:00:00+08:00`);
    const end = new Date(new Date(`${to}T00:00:00+08:00`).getTime() + DAY_MS);
    const agg = `COUNT(s.nps) AS responses, COALESCE(SUM(s.nps >= ${PROMOTER_FROM}), 0) AS promoters,
      COALESCE(SUM(s.nps <= ${DETRACTOR_AT_MOST}), 0) AS detractors, ${INDICATORS.map((i) => `AVG(s.${INDICATOR_COLUMNS[i]}) AS ${INDICATOR_COLUMNS[i]}`).join(', ')}`;
    const answered = `s.status = 'answered' AND s.answered_at >= ? AND s.answered_at < ?`;
    const db = this.s.db;
    const [overall, doctors, projects, compensations] = await Promise.all([
      db.query(`SELECT ${agg} FROM satisfaction_surveys s WHERE ${answered}`, [start, end]),
      db.query(
        `SELECT st.public_id AS doctor_id, st.display_name AS doctor_name, ${agg}
           FROM satisfaction_surveys s JOIN orders o ON o.id = s.order_id JOIN staff st ON st.id = o.doctor_id
          WHERE ${answered} GROUP BY st.id, st.public_id, st.display_name ORDER BY responses DESC, st.id`,
        [start, end],
      ),
      // An order with two items of one project counts its survey once for that project.
      db.query(
        `SELECT p.public_id AS project_id, p.code AS project_code, p.name AS project_name, ${agg}
           FROM (SELECT DISTINCT s.id AS survey_id, oi.project_id FROM satisfaction_surveys s JOIN order_items oi ON oi.order_id = s.order_id
                  WHERE ${answered}) sp
           JOIN satisfaction_surveys s ON s.id = sp.survey_id JOIN projects p ON p.id = sp.project_id
          GROUP BY p.id, p.public_id, p.code, p.name ORDER BY responses DESC, p.id`,
        [start, end],
      ),
      db.query(
        `SELECT compensation_kind AS kind, compensation_rule AS rule, COUNT(*) AS n FROM feedback_cases
          WHERE status = 'resolved' AND resolved_at >= ? AND resolved_at < ? GROUP BY compensation_kind, compensation_rule`,
        [start, end],
      ),
    ]);
    return {
      from, to,
      overall: figures(overall[0]),
      byDoctor: doctors.map((r: Record<string, unknown>) => ({ doctor: { id: String(r.doctor_id), name: String(r.doctor_name) }, ...figures(r) })),
      byProject: projects.map((r: Record<string, unknown>) => ({
        project: { id: String(r.project_id), code: String(r.project_code), name: String(r.project_name) }, ...figures(r),
      })),
      compensations: compensationFigures(compensations),
    };
  }
}
