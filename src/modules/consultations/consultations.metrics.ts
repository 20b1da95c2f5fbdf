import { AppError } from '../../shared/errors';
import { SHANGHAI_OFFSET_MS, shanghaiDate } from '../../shared/clock';
import type { ClientStage } from '../journey';
import { ConsultationErrors } from './consultations.errors';
import type { Support } from './consultations.shared';

const DAY_MS = 86400_000;
const MAX_RANGE_DAYS = 366;
const DEFAULT_RANGE_DAYS = 30;

/** The intent funnel (lead → surveyed → plan proposed → plan accepted → booked). */
export const FUNNEL: readonly ClientStage[] = ['lead', 'surveyed', 'plan_proposed', 'plan_accepted', 'booked'];
// How far along the funnel a stage is; a client "reached" a stage when it reached it or a later one.
// post_op lies beyond booked. 'consulting' (a confirmed consultation) is no evidence of a survey, and
// dormant and lost are outside the pipeline: all three rank like lead.
const RANK: Record<string, number> = { lead: 0, surveyed: 1, plan_proposed: 3, plan_accepted: 4, booked: 5, post_op: 6 };
const rankSql = (col: string) => `CASE ${col} ${Object.entries(RANK).map(([s, r]) => `WHEN '${s}' THEN ${r}`).join(' ')} ELSE 0 END`;

export interface SurveyMetrics {
  /** Questionnaires begun in the range: drafts started, plus responses submitted without a draft. */
  started: number;
  /** How many of those have been submitted. */
  submitted: number;
  /** submitted / started (0–1); null when nothing was started. */
  completionRate: number | null;
  /** Responses submitted in the range. */
  responses: number;
  /** 信息完整率: the average share of optional questions answered in those responses (0–100); null without responses. */
  completenessPct: number | null;
}

export interface ConversionStep {
  from: ClientStage;
  to: ClientStage;
  /** Clients of the cohort who reached `from` (or any later stage). */
  reachedFrom: number;
  /** … and of those, who reached `to` (or any later stage). */
  reached: number;
  rate: number | null;
}

export interface StageTime {
  from: ClientStage;
  to: ClientStage;
  /** Clients of the cohort with both times (`lead` is the time the client was created). */
  clients: number;
  medianHours: number | null;
}

export interface ChannelMetrics {
  /** clients.source_channel; null for clients without one. */
  channel: string | null;
  /** Clients created in the range: the cohort of the conversion and stage-time figures. */
  cohort: number;
  survey: SurveyMetrics;
  conversion: ConversionStep[];
  stageTimes: StageTime[];
}

export interface PipelineMetrics {
  /** Asia/Shanghai calendar dates, both included. */
  from: string;
  to: string;
  /** The channel asked for, if any. */
  channel: string | null;
  overall: ChannelMetrics;
  byChannel: ChannelMetrics[];
}

/** One doctor's appointments of one kind in a range. */
export interface AppointmentCounts {
  doctor: { id: string; name: string } | null;
  kind: string;
  booked: number;
  completed: number;
  cancelled: number;
  noShow: number;
  /** Still requested or confirmed. */
  open: number;
}

export interface AppointmentReport {
  from: string;
  to: string;
  rows: AppointmentCounts[];
  totals: Omit<AppointmentCounts, 'doctor' | 'kind'>;
}

interface SurveyCounts { started: number; submitted: number; responses: number; completenessSum: number }
type Ranks = Map<number, number>; // max rank reached → clients

/**
 * 过程指标 for the director, set-based: one query for the survey figures, one for
 * the conversion through the funnel, one for the per-client stage times (medians are taken in
 * code: MariaDB's MEDIAN() is not in MySQL or TiDB). Survey figures count questionnaires begun in
 * the range; conversion and stage times follow the cohort of clients created in the range.
 */
export class PipelineMetricsService {
  constructor(private readonly s: Support) {}

  async pipeline(q: { from?: string; to?: string; channel?: string }): Promise<PipelineMetrics> {
    const { from, to, start, end } = this.range(q);
    const channel = q.channel ?? null;
    const [survey, ranks, times] = await Promise.all([this.survey(start, end, channel), this.ranks(start, end, channel), this.times(start, end, channel)]);

    const channels = new Set<string | null>([...survey.keys(), ...ranks.keys(), ...times.keys()]);
    const byChannel = [...channels]
      .sort((a, b) => (a === null ? 1 : b === null ? -1 : a.localeCompare(b)))
      .map((ch) => build(ch, survey.get(ch), ranks.get(ch), times.get(ch)));
    const all = {
      survey: sumSurvey([...survey.values()]),
      ranks: sumRanks([...ranks.values()]),
      times: FUNNEL.slice(1).map((_, i) => [...times.values()].flatMap((t) => t[i])),
    };
    return { from, to, channel, overall: build(channel, all.survey, all.ranks, all.times), byChannel };
  }

  /**
   * Appointments whose slot lies in the range (Shanghai dates, both included), per doctor and kind:
   * booked (all of them, whatever became of them), completed, cancelled, no-shows, and those still
   * open (requested or confirmed). A doctor of null: booked without a doctor.
   */
  async appointments(q: { from?: string; to?: string }): Promise<AppointmentReport> {
    const { from, to, start, end } = this.range(q);
    const rows: { doctor_public_id: string | null; doctor_name: string | null; kind: string; status: string; n: number }[] = await this.s.deps.db.query(
      `SELECT d.public_id AS doctor_public_id, d.display_name AS doctor_name, a.kind, a.status, COUNT(*) AS n
         FROM appointments a LEFT JOIN staff d ON d.id = a.doctor_id
        WHERE a.starts_at >= ? AND a.starts_at < ? GROUP BY d.public_id, d.display_name, a.kind, a.status`,
      [start, end],
    );
    const lines = new Map<string, AppointmentCounts>();
    const zero = (): Omit<AppointmentCounts, 'doctor' | 'kind'> => ({ booked: 0, completed: 0, cancelled: 0, noShow: 0, open: 0 });
    const totals = zero();
    for (const r of rows) {
      const key = `${r.doctor_public_id ?? ''}:${r.kind}`;
      const line = lines.get(key) ?? { doctor: r.doctor_public_id ? { id: r.doctor_public_id, name: r.doctor_name ?? '' } : null, kind: r.kind, ...zero() };
      for (const c of [line, totals]) {
        const n = Number(r.n);
        c.booked += n;
        if (r.status === 'completed') c.completed += n;
        else if (r.status === 'cancelled') c.cancelled += n;
        else if (r.status === 'no_show') c.noShow += n;
        else c.open += n;
      }
      lines.set(key, line);
    }
    const rowsOut = [...lines.values()].sort((a, b) => (a.doctor?.name ?? '\uffff').localeCompare(b.doctor?.name ?? '\uffff') || a.kind.localeCompare(b.kind));
    return { from, to, rows: rowsOut, totals };
  }

  /** A range of Shanghai dates (default: the 30 days to today), both included, as instants. */
  private range(q: { from?: string; to?: string }): { from: string; to: string; start: Date; end: Date } {
    const to = q.to ?? shanghaiDate(this.s.now());
    const from = q.from ?? shanghaiDate(new Date(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_RANGE_DAYS - 1) * DAY_MS));
    const start = new Date(Date.parse(`${from}T00:00:00Z`) - SHANGHAI_OFFSET_MS);
    const end = new Date(Date.parse(`${to}T00:00:00Z`) - SHANGHAI_OFFSET_MS + DAY_MS);
    if (end <= start) throw new AppError(ConsultationErrors.METRICS_RANGE_INVALID, 'to must not be before from', { field: 'query.to' });
    if (end.getTime() - start.getTime() > MAX_RANGE_DAYS * DAY_MS) {
      throw new AppError(ConsultationErrors.METRICS_RANGE_INVALID, `A range covers at most ${MAX_RANGE_DAYS} days`, { field: 'query.from', maxDays: MAX_RANGE_DAYS });
    }
    return { from, to, start, end };
  }

  /** Survey counts by channel: drafts started in the range (and whether submitted), responses without a draft, responses in the range. */
  private async survey(start: Date, end: Date, channel: string | null): Promise<Map<string | null, SurveyCounts>> {
    const rows: any[] = await this.s.deps.db.query(
      `SELECT x.channel, SUM(x.started) AS started, SUM(x.submitted) AS submitted, SUM(x.responses) AS responses, SUM(x.completeness) AS completeness
         FROM (
           SELECT c.source_channel AS channel, 1 AS started, IF(d.submitted_response_id IS NULL, 0, 1) AS submitted, 0 AS responses, 0 AS completeness
             FROM questionnaire_drafts d JOIN clients c ON c.id = d.client_id
            WHERE d.started_at >= ? AND d.started_at < ?
           UNION ALL
           SELECT c.source_channel, IF(EXISTS (SELECT 1 FROM questionnaire_drafts d WHERE d.client_id = r.client_id AND d.submitted_response_id = r.id), 0, 1),
                  IF(EXISTS (SELECT 1 FROM questionnaire_drafts d WHERE d.client_id = r.client_id AND d.submitted_response_id = r.id), 0, 1), 1, r.completeness_pct
             FROM questionnaire_responses r JOIN clients c ON c.id = r.client_id
            WHERE r.submitted_at >= ? AND r.submitted_at < ?
         ) x
        ${channel === null ? '' : 'WHERE x.channel = ?'}
        GROUP BY x.channel`,
      [start, end, start, end, ...(channel === null ? [] : [channel])],
    );
    return new Map(rows.map((r) => [r.channel, {
      started: Number(r.started), submitted: Number(r.submitted), responses: Number(r.responses), completenessSum: Number(r.completeness),
    }]));
  }

  /** How far each client of the cohort got (from its stage events and its current stage), counted by channel and rank. */
  private async ranks(start: Date, end: Date, channel: string | null): Promise<Map<string | null, Ranks>> {
    const rows: any[] = await this.s.deps.db.query(
      `SELECT x.channel, x.max_rank, COUNT(*) AS n FROM (
           SELECT c.source_channel AS channel, GREATEST(COALESCE(MAX(${rankSql('e.to_stage')}), 0), ${rankSql('c.stage')}) AS max_rank
             FROM clients c LEFT JOIN client_stage_events e ON e.client_id = c.id
            WHERE c.created_at >= ? AND c.created_at < ? ${channel === null ? '' : 'AND c.source_channel = ?'}
            GROUP BY c.id, c.source_channel, c.stage
         ) x GROUP BY x.channel, x.max_rank`,
      [start, end, ...(channel === null ? [] : [channel])],
    );
    const out = new Map<string | null, Ranks>();
    for (const r of rows) {
      const m = out.get(r.channel) ?? new Map<number, number>();
      m.set(Number(r.max_rank), Number(r.n));
      out.set(r.channel, m);
    }
    return out;
  }

  /**
   * Per client of the cohort, the first time it reached each funnel stage; returns, by channel, the
   * hours between consecutive stages for the clients that have both (one list per funnel step).
   */
  private async times(start: Date, end: Date, channel: string | null): Promise<Map<string | null, number[][]>> {
    const firsts = FUNNEL.slice(1).map((s) => `MIN(CASE WHEN e.to_stage = '${s}' THEN e.at END) AS \`${s}\``).join(', ');
    const rows: any[] = await this.s.deps.db.query(
      `SELECT c.source_channel AS channel, c.created_at AS \`lead\`, ${firsts}
         FROM clients c JOIN client_stage_events e ON e.client_id = c.id
        WHERE c.created_at >= ? AND c.created_at < ? ${channel === null ? '' : 'AND c.source_channel = ?'}
        GROUP BY c.id, c.source_channel, c.created_at`,
      [start, end, ...(channel === null ? [] : [channel])],
    );
    const out = new Map<string | null, number[][]>();
    for (const r of rows) {
      const lists = out.get(r.channel) ?? FUNNEL.slice(1).map(() => [] as number[]);
      FUNNEL.slice(1).forEach((stage, i) => {
        const a: Date | null = r[FUNNEL[i]];
        const b: Date | null = r[stage];
        if (a && b && b.getTime() >= a.getTime()) lists[i].push((b.getTime() - a.getTime()) / 3_600_000);
      });
      out.set(r.channel, lists);
    }
    return out;
  }
}

function build(channel: string | null, survey: SurveyCounts | undefined, ranks: Ranks | undefined, times: number[][] | undefined): ChannelMetrics {
  const sc = survey ?? { started: 0, submitted: 0, responses: 0, completenessSum: 0 };
  const rk = ranks ?? new Map<number, number>();
  const reachedRank = (rank: number) => [...rk.entries()].filter(([r]) => r >= rank).reduce((n, [, c]) => n + c, 0);
  return {
    channel,
    cohort: reachedRank(0),
    survey: {
      started: sc.started,
      submitted: sc.submitted,
      completionRate: ratio(sc.submitted, sc.started),
      responses: sc.responses,
      completenessPct: sc.responses ? Math.round((sc.completenessSum / sc.responses) * 10) / 10 : null,
    },
    conversion: FUNNEL.slice(1).map((to, i) => {
      const reachedFrom = reachedRank(RANK[FUNNEL[i]]);
      const reached = reachedRank(RANK[to]);
      return { from: FUNNEL[i], to, reachedFrom, reached, rate: ratio(reached, reachedFrom) };
    }),
    stageTimes: FUNNEL.slice(1).map((to, i) => {
      const hours = times?.[i] ?? [];
      return { from: FUNNEL[i], to, clients: hours.length, medianHours: median(hours) };
    }),
  };
}

function ratio(a: number, b: number): number | null {
  return b ? Math.round((a / b) * 10000) / 10000 : null;
}

/** The median of a list (the mean of the two middle values for an even count), to 0.1; null when empty. */
export function median(values: number[]): number | null {
  if (!values.length) return null;
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  const m = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return Math.round(m * 10) / 10;
}

function sumSurvey(list: SurveyCounts[]): SurveyCounts {
  return list.reduce((a, b) => ({
    started: a.started + b.started, submitted: a.submitted + b.submitted, responses: a.responses + b.responses, completenessSum: a.completenessSum + b.completenessSum,
  }), { started: 0, submitted: 0, responses: 0, completenessSum: 0 });
}

function sumRanks(list: Ranks[]): Ranks {
  const out = new Map<number, number>();
  for (const m of list) for (const [r, n] of m) out.set(r, (out.get(r) ?? 0) + n);
  return out;
}
