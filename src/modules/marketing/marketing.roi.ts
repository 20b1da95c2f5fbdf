import type { EntityManager } from 'typeorm';
import { SHANGHAI_OFFSET_MS } from '../../shared/clock';
import { validationError } from '../../shared/errors';
import { lastTouchSql, monthOf, UNKNOWN_CHANNEL } from './marketing.rollup';

import type { Attribution } from './marketing.rollup';
export type { Attribution };
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

type Cells = { channel: string; month: string | null; revenueFen: string | number; payingClients: string | number; newPayingClients: string | number }[];
/** Where revenue, paying and new paying clients come from: the rollup (the report) or the orders themselves (the proof). */
interface RevenueSource {
  cells(m: EntityManager, q: RoiQuery, span: Span): Promise<Cells>;
  /** Distinct paying clients over the whole range (they do not add up across months). */
  payingOverRange(m: EntityManager, span: Span): Promise<number>;
  referrers(m: EntityManager, span: Span): Promise<{ clientId: string; referredPayingClients: string; revenueFen: string }[]>;
  /** SQL: the lead `c` has ever had an order still worth something (the funnel's last step). */
  paidEver: string;
}
interface Span { from: string; to: string; start: Date; end: Date }

/** The report from the rollup the order hooks keep (see RoiRollup): reads no order. */
export const fromRollup: RevenueSource = {
  paidEver: 'EXISTS (SELECT 1 FROM marketing_roi_clients f WHERE f.client_id = c.id AND f.first_month IS NOT NULL)',
  async cells(m, q, s) {
    if (q.groupBy === 'month') {
      return m.query(
        `SELECT channel, month, revenue_fen AS revenueFen, paying_clients AS payingClients, new_paying_clients AS newPayingClients
           FROM marketing_roi_months WHERE attribution = ? AND month BETWEEN ? AND ?`,
        [q.attribution, s.from, s.to],
      );
    }
    const [sums, paying]: [Cells, { channel: string; payingClients: string }[]] = await Promise.all([
      m.query(
        `SELECT channel, NULL AS month, SUM(revenue_fen) AS revenueFen, 0 AS payingClients, SUM(new_paying_clients) AS newPayingClients
           FROM marketing_roi_months WHERE attribution = ? AND month BETWEEN ? AND ? GROUP BY channel`,
        [q.attribution, s.from, s.to],
      ),
      m.query(
        `SELECT channel, COUNT(DISTINCT client_id) AS payingClients FROM marketing_roi_client_months FORCE INDEX (ix_marketing_roi_client_months_channel)
          WHERE attribution = ? AND month BETWEEN ? AND ? AND valuable_orders > 0 GROUP BY channel`,
        [q.attribution, s.from, s.to],
      ),
    ]);
    const byChannel = new Map(paying.map((p) => [p.channel, p.payingClients]));
    return sums.map((c) => ({ ...c, payingClients: byChannel.get(c.channel) ?? 0 }));
  },
  async payingOverRange(m, s) {
    // First touch puts each client under one channel (the one that brought them), so the distinct clients per channel add up.
    const rows: { n: string }[] = await m.query(
      `SELECT COUNT(DISTINCT client_id) AS n FROM marketing_roi_client_months FORCE INDEX (ix_marketing_roi_client_months_channel)
        WHERE attribution = 'first' AND month BETWEEN ? AND ? AND valuable_orders > 0 GROUP BY channel`,
      [s.from, s.to],
    );
    return rows.reduce((sum, r) => sum + Number(r.n), 0);
  },
  referrers: (m, s) => m.query(
    // From the referred clients (few) to their shares of the months, not from every share to its client.
    `SELECT STRAIGHT_JOIN r.public_id AS clientId, COUNT(DISTINCT IF(cm.valuable_orders > 0, cm.client_id, NULL)) AS referredPayingClients, SUM(cm.net_fen) AS revenueFen
       FROM clients c
       JOIN marketing_roi_client_months cm ON cm.client_id = c.id AND cm.attribution = 'first' AND cm.month BETWEEN ? AND ?
       JOIN clients r ON r.id = c.referrer_id
      WHERE c.referrer_id IS NOT NULL
      GROUP BY r.id, r.public_id ORDER BY revenueFen DESC, r.id LIMIT 50`,
    [s.from, s.to],
  ),
};

/**
 * The same figures recomputed from the orders, touches and clients (what the report read before the
 * rollup): the proof that the rollup is right, and a check a director can ask for after a repair.
 */
export const fromOrders: RevenueSource = {
  paidEver: "EXISTS (SELECT 1 FROM orders o WHERE o.client_id = c.id AND o.status <> 'voided' AND o.amount_paid_fen > o.amount_refunded_fen)",
  async cells(m, q, s) {
    const key = (col: string) => (q.groupBy === 'month' ? monthOf(col) : 'NULL');
    const channelOfOrder = q.attribution === 'first'
      ? `COALESCE(c.source_channel, '${UNKNOWN_CHANNEL}')`
      : lastTouchSql('o.client_id', 'o.paid_at', 'c.source_channel');
    const [revenue, fresh]: [Cells, Cells] = await Promise.all([
      m.query(
        `SELECT x.channel, x.month, SUM(x.net) AS revenueFen, COUNT(DISTINCT IF(x.net > 0, x.client_id, NULL)) AS payingClients, 0 AS newPayingClients
           FROM (SELECT ${channelOfOrder} AS channel, ${key('o.paid_at')} AS month, o.client_id, o.amount_paid_fen - o.amount_refunded_fen AS net
                   FROM orders o JOIN clients c ON c.id = o.client_id
                  WHERE o.paid_at >= ? AND o.paid_at < ? AND o.status <> 'voided') x
          GROUP BY 1, 2`,
        [s.start, s.end],
      ),
      // New paying clients (the CAC's denominator): whose first order still worth something was paid in the period.
      m.query(
        `SELECT ${channelOfOrder} AS channel, ${key('o.paid_at')} AS month, 0 AS revenueFen, 0 AS payingClients, COUNT(*) AS newPayingClients
           FROM (SELECT client_id, MIN(paid_at) AS paid_at FROM orders
                  WHERE status <> 'voided' AND amount_paid_fen > amount_refunded_fen GROUP BY client_id) o
           JOIN clients c ON c.id = o.client_id
          WHERE o.paid_at >= ? AND o.paid_at < ?
          GROUP BY 1, 2`,
        [s.start, s.end],
      ),
    ]);
    return [...revenue, ...fresh];
  },
  async payingOverRange(m, s) {
    const [row] = await m.query(
      `SELECT COUNT(DISTINCT client_id) AS n FROM orders WHERE paid_at >= ? AND paid_at < ? AND status <> 'voided' AND amount_paid_fen > amount_refunded_fen`,
      [s.start, s.end],
    );
    return Number(row.n);
  },
  referrers: (m, s) => m.query(
    `SELECT r.public_id AS clientId, COUNT(DISTINCT IF(o.amount_paid_fen > o.amount_refunded_fen, o.client_id, NULL)) AS referredPayingClients,
            SUM(o.amount_paid_fen - o.amount_refunded_fen) AS revenueFen
       FROM orders o JOIN clients c ON c.id = o.client_id JOIN clients r ON r.id = c.referrer_id
      WHERE o.paid_at >= ? AND o.paid_at < ? AND o.status <> 'voided'
      GROUP BY r.id, r.public_id ORDER BY revenueFen DESC, r.id LIMIT 50`,
    [s.start, s.end],
  ),
};

/**
 * The channel ROI report. Leads and the funnel are the cohort of clients who arrived in the
 * period, by the channel that brought them; revenue is the orders paid in the period, net of
 * refunds (voided orders count nothing), by first or last touch as asked.
 */
export async function computeRoi(m: EntityManager, q: RoiQuery, source: RevenueSource): Promise<RoiReport> {
  checkRange(q.from, q.to);
  const span: Span = { from: q.from, to: q.to, start: monthStart(q.from), end: monthStart(nextMonth(q.to)) };
  const byMonth = q.groupBy === 'month';
  const key = (col: string) => (byMonth ? monthOf(col) : 'NULL');

  const [spend, funnel, revenue, paidOverRange, referrers] = await Promise.all([
    m.query(
      `SELECT channel, ${byMonth ? 'month' : 'NULL'} AS month, SUM(amount_fen) AS spendFen
         FROM marketing_spend WHERE month BETWEEN ? AND ? GROUP BY 1, 2`,
      [q.from, q.to],
    ) as Promise<{ channel: string; month: string | null; spendFen: string }[]>,
    m.query(
      `SELECT COALESCE(c.source_channel, '${UNKNOWN_CHANNEL}') AS channel, ${key('c.created_at')} AS month, COUNT(*) AS leads,
              SUM(EXISTS (SELECT 1 FROM questionnaire_responses r WHERE r.client_id = c.id)) AS questionnaires,
              SUM(EXISTS (SELECT 1 FROM plans p WHERE p.client_id = c.id)) AS plans,
              SUM(${source.paidEver}) AS firstOrders
         FROM clients c
        WHERE c.created_at >= ? AND c.created_at < ?
        GROUP BY 1, 2`,
      [span.start, span.end],
    ) as Promise<{ channel: string; month: string | null; leads: string; questionnaires: string; plans: string; firstOrders: string }[]>,
    source.cells(m, q, span),
    byMonth ? source.payingOverRange(m, span) : Promise.resolve(null),
    source.referrers(m, span),
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
  for (const r of revenue) {
    const c = cell(r.channel, r.month);
    c.revenueFen += Number(r.revenueFen);
    c.payingClients += Number(r.payingClients);
    c.newPayingClients += Number(r.newPayingClients);
  }

  // A cell with nothing in it (an order refunded in full, then nothing else) tells a director nothing.
  const shown = [...cells.values()].filter((c) => (Object.keys(emptyRaw()) as (keyof RawFigures)[]).some((k) => c[k] !== 0));
  const rows = shown
    .sort((a, b) => (a.month ?? '').localeCompare(b.month ?? '') || a.channel.localeCompare(b.channel))
    .map((c) => ({ channel: c.channel, month: c.month, ...figuresOf(c) }));
  const total = emptyRaw();
  for (const c of shown) for (const k of Object.keys(total) as (keyof RawFigures)[]) total[k] += c[k];
  // Distinct paying clients do not add up across months; the totals count them over the range once.
  if (paidOverRange !== null) total.payingClients = paidOverRange;
  return {
    from: q.from, to: q.to, attribution: q.attribution, groupBy: q.groupBy, rows, totals: figuresOf(total),
    referrers: referrers
      .map((r) => ({ clientId: r.clientId, referredPayingClients: Number(r.referredPayingClients), revenueFen: Number(r.revenueFen) }))
      .filter((r) => r.referredPayingClients > 0 || r.revenueFen !== 0),
  };
}

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
export function monthStart(month: string): Date {
  const [y, mo] = month.split('-').map(Number);
  return new Date(Date.UTC(y, mo - 1, 1) - SHANGHAI_OFFSET_MS);
}
export function nextMonth(month: string): string {
  const [y, mo] = month.split('-').map(Number);
  return mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
}
function monthsBetween(from: string, to: string): number {
  const [fy, fm] = from.split('-').map(Number);
  const [ty, tm] = to.split('-').map(Number);
  return (ty - fy) * 12 + (tm - fm) + 1;
}
export function checkRange(from: string, to: string): void {
  const n = monthsBetween(from, to);
  if (n < 1) throw validationError([{ field: 'query.to', message: 'must not be before from', type: 'range.order' }]);
  if (n > ROI_MAX_MONTHS) throw validationError([{ field: 'query.to', message: `a range covers at most ${ROI_MAX_MONTHS} months`, type: 'range.max' }]);
}
