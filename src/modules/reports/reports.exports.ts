import type { TableColumn } from '../../shared/tabular';
import type { TableExport } from '../../shared/http/export';
import type { Logger } from '../../shared/logger';
import type { Actor, AuditService } from '../audit';
import type { ConsultationsService } from '../consultations';
import type { FeedbackService, SatisfactionFigures } from '../feedback';
import { INDICATORS, INDICATOR_LABELS } from '../feedback';
import type { PointsService } from '../points';
import type { ReferralsService } from '../referrals';
import type { RfmService } from '../rfm';

export interface ReportExportDeps {
  consultations: Pick<ConsultationsService, 'metrics'>;
  feedback: Pick<FeedbackService, 'satisfactionReport'>;
  rfm: Pick<RfmService, 'segments' | 'dormantReport'>;
  points: Pick<PointsService, 'checkConsistency'>;
  referrals: Pick<ReferralsService, 'checkConsistency'>;
  audit: AuditService;
  logger: Logger;
}

const col = (key: string, header: string): TableColumn => ({ key, header });
const yuan = (fen: number | null) => (fen === null ? null : fen / 100);
const pct = (rate: number | null) => (rate === null ? null : Math.round(rate * 1000) / 10);

// The names the segments carry as WeCom tags (DOMAIN.md, RFM), as on the console's report.
const SEGMENT_ZH: Record<string, string> = {
  new: '未消费', vip: 'VIP客户', high_value: '高消费客户', active: '活跃客户', care: '待关怀客户', dormant: '沉睡客户', long_dormant: '长期沉睡客户',
};
const TIER_ZH: Record<string, string> = { care_3m: '3个月关怀', gift_6m: '6个月专属礼', callback_12m: '12个月回访' };
const KIND_ZH: Record<string, string> = { consultation: '面诊', procedure: '治疗', review: '复查' };
const STAGE_ZH: Record<string, string> = {
  lead: '线索', surveyed: '已填问卷', consulting: '咨询期', plan_proposed: '已出方案', plan_accepted: '已接受方案', booked: '已预约', post_op: '术后',
};
const stage = (s: string) => STAGE_ZH[s] ?? s;

const SATISFACTION_COLUMNS = [
  col('scope', '维度'), col('name', '名称'), col('responses', '答卷数'), col('promoters', '推荐者'), col('passives', '中立者'), col('detractors', '贬损者'), col('nps', 'NPS'),
  ...INDICATORS.map((i) => col(i, INDICATOR_LABELS[i])),
];

/**
 * The director's reports as files (CSV with BOM or xlsx): each is the report the console shows for
 * the same query, computed by its module and laid out as one table; a report is a few rows, so
 * it is read whole. Each download is audited ('report.export': which report, format and query).
 * Reports hold counts and amounts, never a client's name, phone or health data.
 */
export class ReportExports {
  constructor(private readonly deps: ReportExportDeps) {}

  async pipeline(actor: Actor, q: { from?: string; to?: string; channel?: string }, format: string): Promise<TableExport> {
    const r = await this.deps.consultations.metrics.pipeline(q);
    const steps = r.overall.conversion.map((c) => `${c.from}>${c.to}`);
    const times = r.overall.stageTimes.map((c) => `${c.from}>${c.to}`);
    const columns = [
      col('channel', '渠道'), col('cohort', '新客户数'), col('started', '问卷开始'), col('submitted', '问卷提交'), col('completion', '调查完成率(%)'),
      col('responses', '答卷数'), col('completeness', '信息完整率(%)'),
      ...r.overall.conversion.map((c, i) => col(`conv${i}`, `转化率 ${stage(c.from)}→${stage(c.to)}(%)`)),
      ...r.overall.stageTimes.map((c, i) => col(`time${i}`, `中位时长 ${stage(c.from)}→${stage(c.to)}(小时)`)),
    ];
    const rows = [r.overall, ...r.byChannel].map((m, n) => ({
      channel: n === 0 ? '全部' : m.channel ?? '未知', cohort: m.cohort, started: m.survey.started, submitted: m.survey.submitted, completion: pct(m.survey.completionRate),
      responses: m.survey.responses, completeness: m.survey.completenessPct,
      ...Object.fromEntries(steps.map((s, i) => [`conv${i}`, pct(m.conversion.find((c) => `${c.from}>${c.to}` === s)?.rate ?? null)])),
      ...Object.fromEntries(times.map((s, i) => [`time${i}`, m.stageTimes.find((c) => `${c.from}>${c.to}` === s)?.medianHours ?? null])),
    }));
    return this.file(actor, 'pipeline', { from: r.from, to: r.to, channel: r.channel }, format, { filename: `pipeline-${r.from}-${r.to}`, sheetName: '过程指标', columns, rows });
  }

  async satisfaction(actor: Actor, q: { from?: string; to?: string }, format: string): Promise<TableExport> {
    const r = await this.deps.feedback.satisfactionReport(q);
    const line = (scope: string, name: string, f: SatisfactionFigures) => ({
      scope, name, responses: f.responses, promoters: f.promoters, passives: f.passives, detractors: f.detractors, nps: f.nps, ...f.indicators,
    });
    const rows = [
      line('整体', '全部', r.overall),
      ...r.byDoctor.map((d) => line('医师', d.doctor.name, d)),
      ...r.byProject.map((p) => line('项目', p.project.name, p)),
    ];
    return this.file(actor, 'satisfaction', { from: r.from, to: r.to }, format, { filename: `satisfaction-${r.from}-${r.to}`, sheetName: '满意度', columns: SATISFACTION_COLUMNS, rows });
  }

  async rfmSegments(actor: Actor, format: string): Promise<TableExport> {
    const rows = (await this.deps.rfm.segments()).map((s) => ({ segment: SEGMENT_ZH[s.segment] ?? s.segment, code: s.segment, clients: s.clients }));
    return this.file(actor, 'rfm_segments', {}, format, {
      filename: 'rfm-segments', sheetName: 'RFM分层', columns: [col('segment', '分层'), col('code', '代码'), col('clients', '客户数')], rows,
    });
  }

  async dormant(actor: Actor, q: { from: Date; to: Date }, format: string): Promise<TableExport> {
    const r = await this.deps.rfm.dormantReport(q.from, q.to);
    const rows = r.tiers.map((t) => ({ tier: TIER_ZH[t.tier] ?? t.tier, contacted: t.contacted, cameBack: t.cameBack, rate: pct(t.rate), revenue: yuan(t.revenueFen) }));
    return this.file(actor, 'dormant', { from: r.from, to: r.to }, format, {
      filename: `dormant-${r.from.slice(0, 10)}-${r.to.slice(0, 10)}`, sheetName: '沉睡唤醒',
      columns: [col('tier', '触达动作'), col('contacted', '触达人数'), col('cameBack', '回店消费人数'), col('rate', '唤醒率(%)'), col('revenue', '回店消费额(元,扣除退款)')],
      rows,
    });
  }

  async appointments(actor: Actor, q: { from?: string; to?: string }, format: string): Promise<TableExport> {
    const r = await this.deps.consultations.metrics.appointments(q);
    const rows = [
      ...r.rows.map((x) => ({ doctor: x.doctor?.name ?? '未指定', kind: KIND_ZH[x.kind] ?? x.kind, booked: x.booked, completed: x.completed, cancelled: x.cancelled, noShow: x.noShow, open: x.open })),
      { doctor: '合计', kind: null, ...r.totals },
    ];
    return this.file(actor, 'appointments', { from: r.from, to: r.to }, format, {
      filename: `appointments-report-${r.from}-${r.to}`, sheetName: '预约统计',
      columns: [col('doctor', '医师'), col('kind', '类型'), col('booked', '预约数'), col('completed', '已完成'), col('cancelled', '已取消'), col('noShow', '爽约'), col('open', '待进行')],
      rows,
    });
  }

  /** 积分与返现对账: the summary of both ledgers, then every account or reward that does not add up. */
  async consistency(actor: Actor, format: string): Promise<TableExport> {
    const [points, cashback] = await Promise.all([this.deps.points.checkConsistency(), this.deps.referrals.checkConsistency()]);
    const rows = [
      { section: '积分账户', ref: null, accounts: points.accounts, mismatches: points.drift.length, balance: null, sum: null, extra: null },
      { section: '返现账户', ref: null, accounts: cashback.accounts, mismatches: cashback.drift.length + cashback.rewards.length, balance: null, sum: null, extra: null },
      ...points.drift.map((d) => ({ section: '积分余额与流水不符', ref: d.clientId, balance: d.balance, sum: d.sum, extra: d.lots })),
      ...cashback.drift.map((d) => ({ section: '返现余额与流水不符(元)', ref: d.clientId, balance: yuan(d.balanceFen), sum: yuan(d.sumFen) })),
      ...cashback.rewards.map((d) => ({ section: `推荐奖励与返现流水不符(元,${d.status})`, ref: d.rewardId, balance: yuan(d.expectedFen), sum: yuan(d.sumFen) })),
    ];
    return this.file(actor, 'consistency', {}, format, {
      filename: 'consistency', sheetName: '积分与返现对账',
      columns: [
        col('section', '账目'), col('ref', '客户/奖励编号'), col('accounts', '核对账户'), col('mismatches', '不一致'), col('balance', '余额/应发'), col('sum', '流水合计'),
        col('extra', '积分批次'),
      ],
      rows,
    });
  }

  private async file(actor: Actor, report: string, query: Record<string, unknown>, format: string, table: Omit<TableExport, 'logger'>): Promise<TableExport> {
    const rows = [...table.rows as Iterable<Record<string, unknown>>];
    await this.deps.audit.record(actor, 'report.export', { details: { report, format, ...query, results: rows.length } });
    return { ...table, rows, logger: this.deps.logger };
  }
}
