import type { DataSource } from 'typeorm';
import { previousDates, SHANGHAI_OFFSET_MS, shanghaiDate, type Clock } from '../../shared/clock';
import { validationError } from '../../shared/errors';
import type { TableExport } from '../../shared/http/export';
import type { TableColumn } from '../../shared/tabular';
import type { Logger } from '../../shared/logger';
import type { Actor, AuditService } from '../audit';
import { consultantLeadsBetween, consultantsOfClients } from '../clients';
import { plansProposedBetween } from '../consultations';
import { treatmentsByDoctorBetween } from '../care';
import { netPromoterScore, PROMOTER_FROM, DETRACTOR_AT_MOST, surveysAnsweredBetween } from '../feedback';
import { doctorsOfOrders, firstPaymentsBetween, netPaidByClientBetween, paidBefore } from '../orders';
import { responsesByClientBetween } from '../questionnaires';
import { staffOfRoles } from '../staff';

const DAY_MS = 86400_000;
/** Longest range the report covers (a year, leap years included). */
export const STAFF_PERFORMANCE_MAX_DAYS = 366;

/** A consultant's figures over a period: their clients are those whose dedicated consultant they are. */
export interface ConsultantFigures {
  leads: number;
  questionnaires: number;
  plans: number;
  firstPaidOrders: number;
  convertedLeads: number;
  conversionRate: number | null;
  revenueFen: number;
  surveys: number;
  averageScore: number | null;
  nps: number | null;
}

/** A doctor's figures over a period. */
export interface DoctorFigures {
  plansProposed: number;
  plansAccepted: number;
  acceptanceRate: number | null;
  treatments: number;
  surveys: number;
  nps: number | null;
}

type Change<F> = { [K in keyof F]: number | null };
export interface StaffRef { id: string; name: string; active: boolean }
export interface PerformanceRow<F> { staff: StaffRef; current: F; previous: F; change: Change<F> }
export interface StaffPerformanceReport {
  from: string;
  to: string;
  previous: { from: string; to: string };
  consultants: PerformanceRow<ConsultantFigures>[];
  doctors: PerformanceRow<DoctorFigures>[];
}

export interface StaffPerformanceDeps {
  db: DataSource;
  clock: Clock;
  audit: AuditService;
  logger: Logger;
}

interface Span { start: Date; end: Date }
interface PeriodFigures { consultants: Map<number, ConsultantFigures>; doctors: Map<number, DoctorFigures> }

/**
 * 员工绩效 (DOMAIN.md, channels and ROI: staff performance is reviewed quarterly): per consultant
 * leads, questionnaires, plans, first paid orders and conversion, revenue and their clients'
 * satisfaction; per doctor plans proposed and accepted, treatments and NPS; each beside the period
 * just before (`previousDates`: the quarter before a quarter). Every figure comes from the module that owns its rows.
 */
export class StaffPerformance {
  constructor(private readonly deps: StaffPerformanceDeps) {}

  async report(actor: Actor, q: { from?: string; to?: string }): Promise<StaffPerformanceReport> {
    const report = await this.compute(q);
    await this.deps.audit.record(actor, 'report.staff_performance.read', { details: { from: report.from, to: report.to, role: actor.role } });
    return report;
  }

  /** The report as a file (CSV with BOM or xlsx): a line per person and period, amounts in yuan; audited as an export. */
  async export(actor: Actor, q: { from?: string; to?: string; format: string }): Promise<TableExport> {
    const report = await this.compute(q);
    await this.deps.audit.record(actor, 'report.staff_performance.export', {
      details: { from: report.from, to: report.to, format: q.format, rows: report.consultants.length + report.doctors.length, role: actor.role },
    });
    const periods = <F>(r: PerformanceRow<F>): [string, string, F][] => [
      ['本期', `${report.from}~${report.to}`, r.current],
      ['上期', `${report.previous.from}~${report.previous.to}`, r.previous],
    ];
    const rows: Record<string, unknown>[] = [];
    for (const r of report.consultants) {
      for (const [label, range, f] of periods(r)) {
        rows.push({ role: '咨询师', name: r.staff.name, period: label, range, ...f, revenue: f.revenueFen / 100 });
      }
    }
    for (const r of report.doctors) {
      for (const [label, range, f] of periods(r)) rows.push({ role: '医师', name: r.staff.name, period: label, range, ...f });
    }
    return { filename: `staff-performance-${report.from}-${report.to}`, sheetName: '员工绩效', columns: EXPORT_COLUMNS, rows, logger: this.deps.logger };
  }

  private async compute(q: { from?: string; to?: string }): Promise<StaffPerformanceReport> {
    const { from, to } = performanceRange(q, this.deps.clock.now());
    const previous = previousDates(from, to);
    const [staff, cur, prev] = await Promise.all([
      staffOfRoles(this.deps.db, ['consultant', 'doctor']),
      this.period(spanOf(from, to)),
      this.period(spanOf(previous.from, previous.to)),
    ]);
    const rows = <F extends object>(role: 'consultant' | 'doctor', figures: (p: PeriodFigures) => Map<number, F>, empty: () => F): PerformanceRow<F>[] => staff
      .filter((s) => s.role === role && (s.active || figures(cur).has(s.id) || figures(prev).has(s.id)))
      .map((s) => {
        const current = figures(cur).get(s.id) ?? empty();
        const previousFigures = figures(prev).get(s.id) ?? empty();
        return { staff: { id: s.publicId, name: s.displayName, active: s.active }, current, previous: previousFigures, change: changeOf(current, previousFigures) };
      });
    return {
      from, to, previous,
      consultants: rows('consultant', (p) => p.consultants, emptyConsultant),
      doctors: rows('doctor', (p) => p.doctors, emptyDoctor),
    };
  }

  /** One period's figures for every consultant and doctor who has any. */
  private async period(span: Span): Promise<PeriodFigures> {
    const db = this.deps.db;
    const { start, end } = span;
    const [leads, responses, plans, revenue, firstPayments, surveys, treatments] = await Promise.all([
      consultantLeadsBetween(db, start, end),
      responsesByClientBetween(db, start, end),
      plansProposedBetween(db, start, end),
      netPaidByClientBetween(db, start, end),
      firstPaymentsBetween(db, start, end),
      surveysAnsweredBetween(db, start, end),
      treatmentsByDoctorBetween(db, start, end),
    ]);
    const [converted, consultantOf, doctorOf] = await Promise.all([
      paidBefore(db, leads.map((l) => l.clientId), end),
      consultantsOfClients(db, [...responses.map((r) => r.clientId), ...plans.map((p) => p.clientId), ...revenue.map((r) => r.clientId), ...firstPayments, ...surveys.map((s) => s.clientId)]),
      doctorsOfOrders(db, surveys.map((s) => s.orderId)),
    ]);

    const consultants = new Map<number, ConsultantFigures & Tally>();
    const consultant = (clientId: number): (ConsultantFigures & Tally) | null => {
      const id = consultantOf.get(clientId);
      return id === undefined ? null : getOr(consultants, id, () => ({ ...emptyConsultant(), ...emptyTally() }));
    };
    for (const l of leads) {
      const c = getOr(consultants, l.consultantId, () => ({ ...emptyConsultant(), ...emptyTally() }));
      c.leads++;
      if (converted.has(l.clientId)) c.convertedLeads++;
    }
    for (const r of responses) { const c = consultant(r.clientId); if (c) c.questionnaires += r.responses; }
    for (const p of plans) { const c = consultant(p.clientId); if (c) c.plans += p.proposed; }
    for (const r of revenue) { const c = consultant(r.clientId); if (c) c.revenueFen += r.netFen; }
    for (const id of firstPayments) { const c = consultant(id); if (c) c.firstPaidOrders++; }

    const doctors = new Map<number, DoctorFigures & Tally>();
    const doctor = (id: number) => getOr(doctors, id, () => ({ ...emptyDoctor(), ...emptyTally() }));
    for (const p of plans) {
      const d = doctor(p.doctorId);
      d.plansProposed += p.proposed;
      d.plansAccepted += p.accepted;
    }
    for (const [id, n] of treatments) doctor(id).treatments += n;
    for (const s of surveys) {
      const c = consultant(s.clientId);
      if (c) { c.surveys++; tally(c, s); }
      const doctorId = doctorOf.get(s.orderId);
      if (doctorId !== undefined) { const d = doctor(doctorId); d.surveys++; tally(d, s); }
    }
    return {
      consultants: mapValues(consultants, ({ npsAnswers, promoters, detractors, scoreSum, scoreCount, ...c }) => ({
        ...c,
        conversionRate: ratio(c.convertedLeads, c.leads),
        averageScore: scoreCount ? Math.round((scoreSum / scoreCount) * 100) / 100 : null,
        nps: netPromoterScore(npsAnswers, promoters, detractors),
      })),
      doctors: mapValues(doctors, ({ npsAnswers, promoters, detractors, scoreSum: _s, scoreCount: _c, ...d }) => ({
        ...d,
        acceptanceRate: ratio(d.plansAccepted, d.plansProposed),
        nps: netPromoterScore(npsAnswers, promoters, detractors),
      })),
    };
  }
}

interface Tally { npsAnswers: number; promoters: number; detractors: number; scoreSum: number; scoreCount: number }
const emptyTally = (): Tally => ({ npsAnswers: 0, promoters: 0, detractors: 0, scoreSum: 0, scoreCount: 0 });
function tally(t: Tally, s: { nps: number | null; scoreSum: number; scoreCount: number }): void {
  t.scoreSum += s.scoreSum;
  t.scoreCount += s.scoreCount;
  if (s.nps === null) return;
  t.npsAnswers++;
  if (s.nps >= PROMOTER_FROM) t.promoters++;
  else if (s.nps <= DETRACTOR_AT_MOST) t.detractors++;
}

const emptyConsultant = (): ConsultantFigures => ({
  leads: 0, questionnaires: 0, plans: 0, firstPaidOrders: 0, convertedLeads: 0, conversionRate: null, revenueFen: 0, surveys: 0, averageScore: null, nps: null,
});
const emptyDoctor = (): DoctorFigures => ({ plansProposed: 0, plansAccepted: 0, acceptanceRate: null, treatments: 0, surveys: 0, nps: null });

/** A share in 0–1 with four decimals; null when there is nothing to divide by. */
const ratio = (part: number, whole: number): number | null => (whole ? Math.round((part / whole) * 10_000) / 10_000 : null);

/** This period minus the previous one, figure by figure; null when either side has none (a rate without a denominator). */
function changeOf<F extends object>(cur: F, prev: F): Change<F> {
  const out = {} as Record<string, number | null>;
  for (const [k, v] of Object.entries(cur)) {
    const p = (prev as Record<string, unknown>)[k];
    out[k] = typeof v === 'number' && typeof p === 'number' ? Math.round((v - p) * 10_000) / 10_000 : null;
  }
  return out as Change<F>;
}

function getOr<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) m.set(k, (v = make()));
  return v;
}
const mapValues = <K, V, W>(m: Map<K, V>, f: (v: V) => W): Map<K, W> => new Map([...m].map(([k, v]) => [k, f(v)]));

/** The instants of a range of Shanghai dates, both days included: [00:00 of `from`, 00:00 of the day after `to`). */
function spanOf(from: string, to: string): Span {
  return { start: new Date(Date.parse(`${from}T00:00:00Z`) - SHANGHAI_OFFSET_MS), end: new Date(Date.parse(`${to}T00:00:00Z`) - SHANGHAI_OFFSET_MS + DAY_MS) };
}

function realDate(d: string): boolean {
  const t = Date.parse(`${d}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === d;
}

/** The calendar quarter (Asia/Shanghai) an instant falls in, as its first and last day. */
export function quarterOf(now: Date): { from: string; to: string } {
  const [y, m] = shanghaiDate(now).split('-').map(Number);
  const first = Math.floor((m - 1) / 3) * 3 + 1;
  const last = new Date(Date.UTC(y, first + 2, 0)).toISOString().slice(0, 10);
  return { from: `${y}-${String(first).padStart(2, '0')}-01`, to: last };
}

/** The report's dates: this quarter unless said; `from` and `to` both or neither; at most a year. */
export function performanceRange(q: { from?: string; to?: string }, now: Date): { from: string; to: string } {
  if ((q.from === undefined) !== (q.to === undefined)) {
    throw validationError([{ field: q.from === undefined ? 'query.from' : 'query.to', message: 'from and to go together', type: 'any.required' }]);
  }
  const { from, to } = q.from !== undefined && q.to !== undefined ? { from: q.from, to: q.to } : quarterOf(now);
  if (!realDate(from)) throw validationError([{ field: 'query.from', message: 'from is not a calendar date', type: 'date.base' }]);
  if (!realDate(to)) throw validationError([{ field: 'query.to', message: 'to is not a calendar date', type: 'date.base' }]);
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (days < 1) throw validationError([{ field: 'query.to', message: 'to must not be before from', type: 'date.min' }]);
  if (days > STAFF_PERFORMANCE_MAX_DAYS) throw validationError([{ field: 'query.to', message: `the report covers at most ${STAFF_PERFORMANCE_MAX_DAYS} days`, type: 'date.max' }]);
  return { from, to };
}

const EXPORT_COLUMNS: TableColumn[] = [
  { key: 'role', header: '岗位' }, { key: 'name', header: '姓名' }, { key: 'period', header: '期间' }, { key: 'range', header: '日期' },
  { key: 'leads', header: '新线索' }, { key: 'questionnaires', header: '完成问卷' }, { key: 'plans', header: '客户方案' }, { key: 'firstPaidOrders', header: '首单' },
  { key: 'convertedLeads', header: '成交线索' }, { key: 'conversionRate', header: '线索转化率' }, { key: 'revenue', header: '收入(元,扣退款)' },
  { key: 'averageScore', header: '客户满意度均分(1-5)' }, { key: 'plansProposed', header: '出具方案' }, { key: 'plansAccepted', header: '接受方案' },
  { key: 'acceptanceRate', header: '方案接受率' }, { key: 'treatments', header: '治疗' }, { key: 'surveys', header: '满意度答卷' }, { key: 'nps', header: 'NPS' },
];
