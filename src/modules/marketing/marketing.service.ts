import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '../../shared/clock';
import { SHANGHAI_OFFSET_MS } from '../../shared/clock';
import { runInTransaction } from '../../shared/db';
import { publicId as newPublicId } from '../../shared/crypto';
import { AppError, notFound, validationError } from '../../shared/errors';
import type { Actor, AuditService } from '../audit';
import type { Logger } from '../../shared/logger';
import { TABLE_CONTENT_TYPES, tableStream, type TableColumn, type TableFormat } from '../../shared/tabular';
import type { Readable } from 'node:stream';
import { MarketingErrors } from './marketing.errors';

const ROI_COLUMNS: TableColumn[] = [
  { key: 'channel', header: '渠道' }, { key: 'month', header: '月份' }, { key: 'spend', header: '投放(元)' }, { key: 'leads', header: '新线索' },
  { key: 'questionnaires', header: '完成问卷' }, { key: 'plans', header: '已出方案' }, { key: 'firstOrders', header: '成交客户' },
  { key: 'leadToFirstOrder', header: '线索转化率' }, { key: 'revenue', header: '收入(元,扣退款)' }, { key: 'payingClients', header: '付费客户' },
  { key: 'newPayingClients', header: '新付费客户' }, { key: 'averageTicket', header: '客单价(元)' }, { key: 'costPerLead', header: '线索成本(元)' },
  { key: 'cac', header: '获客成本CAC(元)' }, { key: 'roi', header: 'ROI' },
];

export interface MarketingDeps {
  db: DataSource;
  clock: Clock;
  audit: AuditService;
  logger: Logger;
  /** The channels spend may be recorded for (config marketing.channels). */
  channels: readonly string[];
}

export interface SpendInput { channel: string; month: string; campaign?: string | null; amountFen: number; note?: string | null }

export interface SpendView {
  id: string;
  channel: string;
  month: string;
  campaign: string | null;
  amountFen: number;
  corrects: string | null;
  note: string | null;
  recordedBy: string | null;
  createdAt: Date;
}

export type Attribution = 'first' | 'last';
export interface RoiQuery { from: string; to: string; attribution: Attribution; groupBy: 'month' | 'range' }

export interface RoiFigures {
  spendFen: number;
  leads: number;
  questionnaires: number;
  plans: number;
  firstOrders: number;
  conversion: { leadToQuestionnaire: number | null; questionnaireToPlan: number | null; planToFirstOrder: number | null; leadToFirstOrder: number | null };
  revenueFen: number;
  payingClients: number;
  newPayingClients: number;
  averageTicketFen: number | null;
  costPerLeadFen: number | null;
  cacFen: number | null;
  roi: number | null;
}
export interface RoiRow extends RoiFigures { channel: string; month: string | null }
export interface RoiReport {
  from: string;
  to: string;
  attribution: Attribution;
  groupBy: 'month' | 'range';
  rows: RoiRow[];
  totals: RoiFigures;
  referrers: { clientId: string; referredPayingClients: number; revenueFen: number }[];
}

/** Longest range one report covers; a longer one is a request for a different report. */
export const ROI_MAX_MONTHS = 36;
/** The channel of clients who arrived with none recorded. */
export const UNKNOWN_CHANNEL = 'unknown';

const SPEND_COLUMNS = `s.public_id AS id, s.channel AS channel, s.month AS month, s.campaign AS campaign, s.amount_fen AS amountFen,
  o.public_id AS corrects, s.note AS note, st.public_id AS recordedBy, s.created_at AS createdAt`;

/** The Shanghai business month of a datetime column, as YYYY-MM (UTC+8 all year). */
const monthOf = (col: string) => `DATE_FORMAT(DATE_ADD(${col}, INTERVAL 8 HOUR), '%Y-%m')`;

/**
 * Last touch before a payment (DOMAIN.md, channels and ROI): the newest of the client's touches
 * up to that instant that names a channel — a launch with a WeCom contact-me state (the code's
 * channel), a UTM source or a referral code, or a WeCom add through a channel code — else the
 * channel that brought the client. Each candidate is "timestamp|channel" so MAX picks the newest.
 */
function lastTouchSql(clientCol: string, atCol: string, firstCol: string): string {
  const stamp = (col: string) => `DATE_FORMAT(${col}, '%Y%m%d%H%i%s%f')`;
  const touches = `(SELECT MAX(CONCAT(${stamp('t.created_at')}, '|', COALESCE(w.channel, t.utm_source, IF(t.referral_code IS NULL, NULL, 'referral'))))
      FROM client_touches t LEFT JOIN wecom_contact_ways w ON w.state = t.wecom_state
     WHERE t.client_id = ${clientCol} AND t.created_at <= ${atCol}
       AND COALESCE(w.channel, t.utm_source, t.referral_code) IS NOT NULL)`;
  const wecom = `(SELECT MAX(CONCAT(${stamp('e.added_at')}, '|', e.channel))
      FROM wecom_external_contacts e
     WHERE e.client_id = ${clientCol} AND e.added_at <= ${atCol} AND e.channel IS NOT NULL)`;
  const newest = `NULLIF(GREATEST(COALESCE(${touches}, ''), COALESCE(${wecom}, '')), '')`;
  return `COALESCE(SUBSTRING_INDEX(${newest}, '|', -1), ${firstCol}, '${UNKNOWN_CHANNEL}')`;
}

/**
 * Marketing spend per channel and the channel ROI report 全域流量 (DOMAIN.md, channels and ROI):
 * spend is append-only and audited; revenue is paid orders net of refunds, attributed first- or
 * last-touch; CAC = spend / new paying clients; ROI = (revenue − spend) / spend.
 */
export class MarketingService {
  constructor(private readonly deps: MarketingDeps) {}

  async addSpend(actor: Actor, input: SpendInput): Promise<SpendView> {
    this.requireChannel(input.channel);
    const pid = newPublicId();
    await runInTransaction(this.deps.db, async (m) => {
      await m.query(
        `INSERT INTO marketing_spend (public_id, channel, month, campaign, amount_fen, corrects_id, note, recorded_by, created_at)
         VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?)`,
        [pid, input.channel, input.month, input.campaign ?? null, input.amountFen, input.note || null, actor.id, this.deps.clock.now()],
      );
      await this.deps.audit.record(actor, 'marketing.spend.create', { details: { spendId: pid, channel: input.channel, month: input.month, campaign: input.campaign ?? null, amountFen: input.amountFen, role: actor.role } }, m);
    });
    return this.one(this.deps.db.manager, pid);
  }

  /**
   * Corrects an entry by appending the difference to the amount it should have: the entry and
   * every earlier correction stay as they were entered. Correcting a correction corrects its entry.
   */
  async correctSpend(actor: Actor, spendPublicId: string, input: { amountFen: number; reason: string }): Promise<SpendView> {
    const pid = newPublicId();
    await runInTransaction(this.deps.db, async (m) => {
      const [target]: { id: number; correctsId: number | null }[] = await m.query(
        'SELECT id, corrects_id AS correctsId FROM marketing_spend WHERE public_id = ?', [spendPublicId],
      );
      if (!target) throw notFound('Spend entry');
      const originalId = target.correctsId ?? target.id;
      // Locks the entry so two corrections at once each see the other's difference.
      const [original]: { id: number; publicId: string; channel: string; month: string; campaign: string | null }[] = await m.query(
        'SELECT id, public_id AS publicId, channel, month, campaign FROM marketing_spend WHERE id = ? FOR UPDATE', [originalId],
      );
      const [{ effective }] = await m.query(
        'SELECT COALESCE(SUM(amount_fen), 0) AS effective FROM marketing_spend WHERE id = ? OR corrects_id = ?', [originalId, originalId],
      );
      const delta = input.amountFen - Number(effective);
      if (delta === 0) throw new AppError(MarketingErrors.SPEND_UNCHANGED, 'The entry already has this amount', [{ field: 'body.amountFen', message: 'equals the current amount' }]);
      await m.query(
        `INSERT INTO marketing_spend (public_id, channel, month, campaign, amount_fen, corrects_id, note, recorded_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [pid, original.channel, original.month, original.campaign, delta, original.id, input.reason, actor.id, this.deps.clock.now()],
      );
      await this.deps.audit.record(actor, 'marketing.spend.correct', {
        details: { spendId: pid, corrects: original.publicId, fromFen: Number(effective), toFen: input.amountFen, role: actor.role },
      }, m);
    });
    return this.one(this.deps.db.manager, pid);
  }

  async listSpend(actor: Actor, q: { from: string; to: string; channel?: string }): Promise<{ items: (SpendView & { effectiveFen: number | null })[]; totalFen: number }> {
    checkRange(q.from, q.to);
    const rows: RawSpend[] = await this.deps.db.query(
      `SELECT ${SPEND_COLUMNS},
              IF(s.corrects_id IS NULL, (SELECT SUM(x.amount_fen) FROM marketing_spend x WHERE x.id = s.id OR x.corrects_id = s.id), NULL) AS effectiveFen
         FROM marketing_spend s
         LEFT JOIN marketing_spend o ON o.id = s.corrects_id
         LEFT JOIN staff st ON st.id = s.recorded_by
        WHERE s.month BETWEEN ? AND ?${q.channel ? ' AND s.channel = ?' : ''}
        ORDER BY s.month, s.channel, s.id`,
      [q.from, q.to, ...(q.channel ? [q.channel] : [])],
    );
    await this.deps.audit.record(actor, 'marketing.spend.read', { details: { from: q.from, to: q.to, channel: q.channel ?? null, results: rows.length, role: actor.role } });
    const items = rows.map((r) => ({ ...view(r), effectiveFen: r.effectiveFen === null ? null : Number(r.effectiveFen) }));
    return { items, totalFen: items.reduce((s, i) => s + i.amountFen, 0) };
  }

  /**
   * The channel ROI report. Leads and the funnel are the cohort of clients who arrived in the
   * period, by the channel that brought them; revenue is the orders paid in the period, net of
   * refunds (voided orders count nothing), by first or last touch as asked.
   */
  async roiReport(actor: Actor, q: RoiQuery): Promise<RoiReport> {
    const report = await this.computeRoi(q);
    await this.deps.audit.record(actor, 'report.roi.read', { details: { from: q.from, to: q.to, attribution: q.attribution, groupBy: q.groupBy, role: actor.role } });
    return report;
  }

  /** The same report as a spreadsheet a director forwards (CSV with BOM or xlsx), amounts in yuan; audited as an export. */
  async roiExport(actor: Actor, q: RoiQuery & { format: TableFormat }): Promise<{ filename: string; contentType: string; stream: Readable }> {
    const report = await this.computeRoi(q);
    await this.deps.audit.record(actor, 'report.roi.export', { details: { from: q.from, to: q.to, attribution: q.attribution, groupBy: q.groupBy, format: q.format, rows: report.rows.length, role: actor.role } });
    const yuan = (fen: number | null) => (fen === null ? null : fen / 100);
    const lines = [...report.rows, { channel: '合计', month: null, ...report.totals }].map((r) => ({
      channel: r.channel, month: r.month ?? `${q.from}~${q.to}`, spend: yuan(r.spendFen), leads: r.leads, questionnaires: r.questionnaires, plans: r.plans,
      firstOrders: r.firstOrders, leadToFirstOrder: r.conversion.leadToFirstOrder, revenue: yuan(r.revenueFen), payingClients: r.payingClients,
      newPayingClients: r.newPayingClients, averageTicket: yuan(r.averageTicketFen), costPerLead: yuan(r.costPerLeadFen), cac: yuan(r.cacFen), roi: r.roi,
    }));
    return {
      filename: `channel-roi-${q.from}-${q.to}-${q.attribution}.${q.format}`,
      contentType: TABLE_CONTENT_TYPES[q.format],
      stream: tableStream(q.format, '渠道ROI', ROI_COLUMNS, lines, this.deps.logger),
    };
  }

  private async computeRoi(q: RoiQuery): Promise<RoiReport> {
    checkRange(q.from, q.to);
    const start = monthStart(q.from);
    const end = monthStart(nextMonth(q.to));
    const byMonth = q.groupBy === 'month';
    const m = this.deps.db.manager;
    const key = (col: string) => (byMonth ? monthOf(col) : 'NULL');
    const channelOfOrder = q.attribution === 'first'
      ? `COALESCE(c.source_channel, '${UNKNOWN_CHANNEL}')`
      : lastTouchSql('o.client_id', 'o.paid_at', 'c.source_channel');

    const [spend, funnel, revenue, newPaying, referrers] = await Promise.all([
      m.query(
        `SELECT channel, ${byMonth ? 'month' : 'NULL'} AS month, SUM(amount_fen) AS spendFen
           FROM marketing_spend WHERE month BETWEEN ? AND ? GROUP BY 1, 2`,
        [q.from, q.to],
      ) as Promise<{ channel: string; month: string | null; spendFen: string }[]>,
      m.query(
        `SELECT COALESCE(c.source_channel, '${UNKNOWN_CHANNEL}') AS channel, ${key('c.created_at')} AS month, COUNT(*) AS leads,
                SUM(EXISTS (SELECT 1 FROM questionnaire_responses r WHERE r.client_id = c.id)) AS questionnaires,
                SUM(EXISTS (SELECT 1 FROM plans p WHERE p.client_id = c.id)) AS plans,
                SUM(EXISTS (SELECT 1 FROM orders o WHERE o.client_id = c.id AND o.status <> 'voided' AND o.amount_paid_fen > o.amount_refunded_fen)) AS firstOrders
           FROM clients c
          WHERE c.created_at >= ? AND c.created_at < ?
          GROUP BY 1, 2`,
        [start, end],
      ) as Promise<{ channel: string; month: string | null; leads: string; questionnaires: string; plans: string; firstOrders: string }[]>,
      m.query(
        `SELECT x.channel, x.month, SUM(x.net) AS revenueFen, COUNT(DISTINCT IF(x.net > 0, x.client_id, NULL)) AS payingClients
           FROM (SELECT ${channelOfOrder} AS channel, ${key('o.paid_at')} AS month, o.client_id, o.amount_paid_fen - o.amount_refunded_fen AS net
                   FROM orders o JOIN clients c ON c.id = o.client_id
                  WHERE o.paid_at >= ? AND o.paid_at < ? AND o.status <> 'voided') x
          GROUP BY 1, 2`,
        [start, end],
      ) as Promise<{ channel: string; month: string | null; revenueFen: string; payingClients: string }[]>,
      // New paying clients (the CAC's denominator): whose first order still worth something was paid in the period.
      m.query(
        `SELECT ${channelOfOrder} AS channel, ${key('o.paid_at')} AS month, COUNT(*) AS newPayingClients
           FROM (SELECT client_id, MIN(paid_at) AS paid_at FROM orders
                  WHERE status <> 'voided' AND amount_paid_fen > amount_refunded_fen GROUP BY client_id) o
           JOIN clients c ON c.id = o.client_id
          WHERE o.paid_at >= ? AND o.paid_at < ?
          GROUP BY 1, 2`,
        [start, end],
      ) as Promise<{ channel: string; month: string | null; newPayingClients: string }[]>,
      // Revenue a referrer brought (DOMAIN.md, referral): totals only, never what a friend bought.
      m.query(
        `SELECT r.public_id AS clientId, COUNT(DISTINCT IF(o.amount_paid_fen > o.amount_refunded_fen, o.client_id, NULL)) AS referredPayingClients,
                SUM(o.amount_paid_fen - o.amount_refunded_fen) AS revenueFen
           FROM orders o JOIN clients c ON c.id = o.client_id JOIN clients r ON r.id = c.referrer_id
          WHERE o.paid_at >= ? AND o.paid_at < ? AND o.status <> 'voided'
          GROUP BY r.id, r.public_id ORDER BY revenueFen DESC, r.id LIMIT 50`,
        [start, end],
      ) as Promise<{ clientId: string; referredPayingClients: string; revenueFen: string }[]>,
    ]);

    const cells = new Map<string, Raw>();
    const cell = (channel: string, month: string | null): Raw => {
      const k = `${channel}\u0000${month ?? ''}`;
      let c = cells.get(k);
      if (!c) cells.set(k, (c = { channel, month, ...emptyRaw() }));
      return c;
    };
    for (const r of spend) cell(r.channel, r.month).spendFen += Number(r.spendFen);
    for (const r of funnel) Object.assign(cell(r.channel, r.month), { leads: Number(r.leads), questionnaires: Number(r.questionnaires), plans: Number(r.plans), firstOrders: Number(r.firstOrders) });
    for (const r of revenue) Object.assign(cell(r.channel, r.month), { revenueFen: Number(r.revenueFen), payingClients: Number(r.payingClients) });
    for (const r of newPaying) cell(r.channel, r.month).newPayingClients = Number(r.newPayingClients);

    const rows = [...cells.values()]
      .sort((a, b) => (a.month ?? '').localeCompare(b.month ?? '') || a.channel.localeCompare(b.channel))
      .map((c) => ({ channel: c.channel, month: c.month, ...figuresOf(c) }));
    // Distinct paying clients do not add up across months; the totals count them over the range once.
    const total = emptyRaw();
    for (const c of cells.values()) for (const k of Object.keys(total) as (keyof RawFigures)[]) total[k] += c[k];
    if (byMonth) {
      const [agg] = await m.query(
        `SELECT COUNT(DISTINCT client_id) AS n FROM orders WHERE paid_at >= ? AND paid_at < ? AND status <> 'voided' AND amount_paid_fen > amount_refunded_fen`,
        [start, end],
      );
      total.payingClients = Number(agg.n);
    }
    return {
      from: q.from, to: q.to, attribution: q.attribution, groupBy: q.groupBy, rows, totals: figuresOf(total),
      referrers: referrers.map((r) => ({ clientId: r.clientId, referredPayingClients: Number(r.referredPayingClients), revenueFen: Number(r.revenueFen) })),
    };
  }

  private requireChannel(channel: string): void {
    if (!this.deps.channels.includes(channel)) {
      throw new AppError(MarketingErrors.SPEND_CHANNEL_UNKNOWN, 'Spend can only be recorded for a declared channel', [
        { field: 'body.channel', message: `unknown channel; declared: ${this.deps.channels.join(', ')}`, type: 'any.only' },
      ]);
    }
  }

  private async one(m: EntityManager, pid: string): Promise<SpendView> {
    const [row]: RawSpend[] = await m.query(
      `SELECT ${SPEND_COLUMNS} FROM marketing_spend s LEFT JOIN marketing_spend o ON o.id = s.corrects_id LEFT JOIN staff st ON st.id = s.recorded_by WHERE s.public_id = ?`,
      [pid],
    );
    return view(row);
  }
}

interface RawSpend { id: string; channel: string; month: string; campaign: string | null; amountFen: string; corrects: string | null; note: string | null; recordedBy: string | null; createdAt: Date; effectiveFen?: string | null }
const view = (r: RawSpend): SpendView => ({
  id: r.id, channel: r.channel, month: r.month, campaign: r.campaign, amountFen: Number(r.amountFen),
  corrects: r.corrects, note: r.note, recordedBy: r.recordedBy, createdAt: r.createdAt,
});

interface RawFigures { spendFen: number; leads: number; questionnaires: number; plans: number; firstOrders: number; revenueFen: number; payingClients: number; newPayingClients: number }
interface Raw extends RawFigures { channel: string; month: string | null }
const emptyRaw = (): RawFigures => ({ spendFen: 0, leads: 0, questionnaires: 0, plans: 0, firstOrders: 0, revenueFen: 0, payingClients: 0, newPayingClients: 0 });

const ratio = (a: number, b: number): number | null => (b > 0 ? Math.round((a / b) * 10000) / 10000 : null);
const perHead = (a: number, b: number): number | null => (b > 0 ? Math.round(a / b) : null);

function figuresOf(c: RawFigures): RoiFigures {
  return {
    ...c,
    conversion: {
      leadToQuestionnaire: ratio(c.questionnaires, c.leads),
      questionnaireToPlan: ratio(c.plans, c.questionnaires),
      planToFirstOrder: ratio(c.firstOrders, c.plans),
      leadToFirstOrder: ratio(c.firstOrders, c.leads),
    },
    averageTicketFen: perHead(c.revenueFen, c.payingClients),
    costPerLeadFen: perHead(c.spendFen, c.leads),
    cacFen: perHead(c.spendFen, c.newPayingClients),
    roi: ratio(c.revenueFen - c.spendFen, c.spendFen),
  };
}

/** The UTC instant a Shanghai business month starts. */
function monthStart(month: string): Date {
  const [y, mo] = month.split('-').map(Number);
  return new Date(Date.UTC(y, mo - 1, 1) - SHANGHAI_OFFSET_MS);
}
function nextMonth(month: string): string {
  const [y, mo] = month.split('-').map(Number);
  return mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
}
function monthsBetween(from: string, to: string): number {
  const [fy, fm] = from.split('-').map(Number);
  const [ty, tm] = to.split('-').map(Number);
  return (ty - fy) * 12 + (tm - fm) + 1;
}
function checkRange(from: string, to: string): void {
  const n = monthsBetween(from, to);
  if (n < 1) throw validationError([{ field: 'query.to', message: 'must not be before from', type: 'range.order' }]);
  if (n > ROI_MAX_MONTHS) throw validationError([{ field: 'query.to', message: `a range covers at most ${ROI_MAX_MONTHS} months`, type: 'range.max' }]);
}
