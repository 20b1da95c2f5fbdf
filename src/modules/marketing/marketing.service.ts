import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '../../shared/clock';
import { runInTransaction } from '../../shared/db';
import { publicId as newPublicId } from '../../shared/crypto';
import { AppError, notFound } from '../../shared/errors';
import type { Actor, AuditService } from '../audit';
import type { Logger } from '../../shared/logger';
import { TABLE_CONTENT_TYPES, tableStream, type TableColumn, type TableFormat } from '../../shared/tabular';
import type { Readable } from 'node:stream';
import { MarketingErrors } from './marketing.errors';
import { lastTouchChannel, RoiRollup } from './marketing.rollup';
import { checkRange, computeRoi, fromOrders, fromRollup, type RoiQuery, type RoiReport } from './marketing.roi';

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

const SPEND_COLUMNS = `s.public_id AS id, s.channel AS channel, s.month AS month, s.campaign AS campaign, s.amount_fen AS amountFen,
  o.public_id AS corrects, s.note AS note, st.public_id AS recordedBy, s.created_at AS createdAt`;

/**
 * Marketing spend per channel and the channel ROI report 全域流量 (DOMAIN.md, channels and ROI):
 * spend is append-only and audited; revenue is paid orders net of refunds, attributed first- or
 * last-touch; CAC = spend / new paying clients; ROI = (revenue − spend) / spend.
 */
export class MarketingService {
  /** Keeps the ROI rollup current inside each order's transaction (an order hook). */
  readonly rollup = new RoiRollup();

  constructor(private readonly deps: MarketingDeps) {}

  /** The last-touch channel of a payment at this instant, stored on the order when it is recorded. */
  lastTouchChannel(m: EntityManager, clientId: number, at: Date): Promise<string> {
    return lastTouchChannel(m, clientId, at);
  }

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
    const report = await computeRoi(this.deps.db.manager, q, fromRollup);
    await this.deps.audit.record(actor, 'report.roi.read', { details: { from: q.from, to: q.to, attribution: q.attribution, groupBy: q.groupBy, role: actor.role } });
    return report;
  }

  /** The report recomputed from the orders themselves, not the rollup: what the rollup must always equal. */
  recomputeRoi(q: RoiQuery): Promise<RoiReport> {
    return computeRoi(this.deps.db.manager, q, fromOrders);
  }

  /** The same report as a spreadsheet a director forwards (CSV with BOM or xlsx), amounts in yuan; audited as an export. */
  async roiExport(actor: Actor, q: RoiQuery & { format: TableFormat }): Promise<{ filename: string; contentType: string; stream: Readable }> {
    const report = await computeRoi(this.deps.db.manager, q, fromRollup);
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

