import type { EntityManager } from 'typeorm';
import { SHANGHAI_OFFSET_MS } from '../../shared/clock';
import type { OrderHooks, OrderRefundEvent, PaidOrder } from '../orders';

export type Attribution = 'first' | 'last';

/** The channel of clients who arrived with none recorded. */
export const UNKNOWN_CHANNEL = 'unknown';

/** The Shanghai business month of a datetime column, as YYYY-MM (UTC+8 all year). */
export const monthOf = (col: string) => `DATE_FORMAT(DATE_ADD(${col}, INTERVAL 8 HOUR), '%Y-%m')`;
/** The Shanghai business month of an instant. */
export const shanghaiMonth = (at: Date) => new Date(at.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 7);

// An order still worth something: not voided and not refunded in full (DOMAIN.md: revenue is net of refunds).
const valuable = (o: string) => `${o}.status <> 'voided' AND ${o}.amount_paid_fen > ${o}.amount_refunded_fen`;

/**
 * Last touch before a payment (DOMAIN.md, channels and ROI): the newest of the client's touches
 * up to that instant that names a channel — a launch with a WeCom contact-me state (the code's
 * channel), a UTM source or a referral code, or a WeCom add through a channel code — else the
 * channel that brought the client. Each candidate is "timestamp|channel" so MAX picks the newest.
 */
export function lastTouchSql(clientCol: string, atCol: string, firstCol: string): string {
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

/** The last-touch channel of a payment by this client at this instant; the orders module stores it on the order. */
export async function lastTouchChannel(m: EntityManager, clientId: number, at: Date): Promise<string> {
  const [row]: { channel: string }[] = await m.query(
    `SELECT ${lastTouchSql('c.id', '?', 'c.source_channel')} AS channel FROM clients c WHERE c.id = ?`,
    [at, at, clientId],
  );
  return row?.channel ?? UNKNOWN_CHANNEL;
}

/** How one order's contribution changed: its net revenue and whether it is still worth something. */
interface OrderChange { orderId: number; clientId: number; paidAt: Date; netDelta: number; valuableBefore: boolean; valuableAfter: boolean }

/**
 * The channel ROI rollup: per attribution, Shanghai month and channel, the revenue net of refunds,
 * the paying clients and the new paying clients, kept current by the order hooks inside the
 * order's transaction so the report never scans the orders. Three tables, all this module's:
 * - marketing_roi_months: the figures per (attribution, month, channel);
 * - marketing_roi_client_months: per client in a cell, its net and how many of its orders there
 *   are worth something (paying clients over a range are distinct clients, which do not add up);
 * - marketing_roi_clients: each client's first order worth something (the CAC's new paying client),
 *   whose row is also the per-client lock that serialises one client's order changes.
 */
export class RoiRollup {
  readonly orderHooks: OrderHooks = {
    onPaid: (m, order) => this.apply(m, { orderId: order.id, clientId: order.clientId, paidAt: order.paidAt, netDelta: order.amountPaidFen, valuableBefore: false, valuableAfter: order.amountPaidFen > 0 }),
    onRefunded: (m, order, refund) => this.apply(m, refundChange(order, refund)),
  };

  private async apply(m: EntityManager, change: OrderChange): Promise<void> {
    // The client's row first: two changes of one client's orders (a payment and another order's refund) take turns here.
    await m.query('INSERT INTO marketing_roi_clients (client_id) VALUES (?) ON DUPLICATE KEY UPDATE client_id = client_id', [change.clientId]);
    const [state]: ClientState[] = await m.query(
      'SELECT first_paid_at AS firstPaidAt, first_month AS firstMonth, first_channel AS firstChannel, last_channel AS lastChannel FROM marketing_roi_clients WHERE client_id = ? FOR UPDATE',
      [change.clientId],
    );
    const [order]: { firstChannel: string; lastChannel: string | null }[] = await m.query(
      `SELECT COALESCE(c.source_channel, '${UNKNOWN_CHANNEL}') AS firstChannel, o.last_touch_channel AS lastChannel
         FROM orders o JOIN clients c ON c.id = o.client_id WHERE o.id = ?`,
      [change.orderId],
    );
    const month = shanghaiMonth(change.paidAt);
    const valuableDelta = Number(change.valuableAfter) - Number(change.valuableBefore);
    await this.addToCell(m, 'first', month, order.firstChannel, change.clientId, change.netDelta, valuableDelta);
    await this.addToCell(m, 'last', month, order.lastChannel ?? order.firstChannel, change.clientId, change.netDelta, valuableDelta);
    if (valuableDelta !== 0) await this.moveFirstOrder(m, change.clientId, state);
  }

  /** Adds an order's change to its client's share of a cell and to the cell; a client's share going from none to some (or back) is a paying client more (or less). */
  private async addToCell(m: EntityManager, attribution: Attribution, month: string, channel: string, clientId: number, netDelta: number, valuableDelta: number): Promise<void> {
    const key = [attribution, month, channel, clientId];
    const [before]: { valuable: string }[] = await m.query(
      'SELECT valuable_orders AS valuable FROM marketing_roi_client_months WHERE attribution = ? AND month = ? AND channel = ? AND client_id = ?', key,
    );
    const was = Number(before?.valuable ?? 0);
    const now = was + valuableDelta;
    if (before) {
      await m.query('UPDATE marketing_roi_client_months SET net_fen = net_fen + ?, valuable_orders = ? WHERE attribution = ? AND month = ? AND channel = ? AND client_id = ?', [netDelta, now, ...key]);
      // A share with nothing left in it is no share: the table holds only clients who count.
      await m.query('DELETE FROM marketing_roi_client_months WHERE attribution = ? AND month = ? AND channel = ? AND client_id = ? AND net_fen = 0 AND valuable_orders = 0', key);
    } else if (netDelta !== 0 || now !== 0) {
      await m.query('INSERT INTO marketing_roi_client_months (attribution, month, channel, client_id, net_fen, valuable_orders) VALUES (?, ?, ?, ?, ?, ?)', [...key, netDelta, now]);
    }
    await this.addFigures(m, attribution, month, channel, { revenueFen: netDelta, payingClients: Number(now > 0) - Number(was > 0), newPayingClients: 0 });
  }

  /** The client's first order worth something may have moved (a first payment, or the first one refunded or voided): the new paying client moves with it. */
  private async moveFirstOrder(m: EntityManager, clientId: number, state: ClientState): Promise<void> {
    const [first]: { paidAt: Date; lastChannel: string | null; firstChannel: string }[] = await m.query(
      `SELECT o.paid_at AS paidAt, o.last_touch_channel AS lastChannel, COALESCE(c.source_channel, '${UNKNOWN_CHANNEL}') AS firstChannel
         FROM orders o JOIN clients c ON c.id = o.client_id
        WHERE o.client_id = ? AND ${valuable('o')}
        ORDER BY o.paid_at, o.id LIMIT 1`,
      [clientId],
    );
    const next = first ? { month: shanghaiMonth(first.paidAt), first: first.firstChannel, last: first.lastChannel ?? first.firstChannel } : null;
    const prev = state.firstMonth ? { month: state.firstMonth, first: state.firstChannel!, last: state.lastChannel! } : null;
    if (prev && next && prev.month === next.month && prev.first === next.first && prev.last === next.last) {
      await m.query('UPDATE marketing_roi_clients SET first_paid_at = ? WHERE client_id = ?', [first.paidAt, clientId]);
      return;
    }
    for (const [cell, n] of [[prev, -1], [next, 1]] as const) {
      if (!cell) continue;
      await this.addFigures(m, 'first', cell.month, cell.first, { revenueFen: 0, payingClients: 0, newPayingClients: n });
      await this.addFigures(m, 'last', cell.month, cell.last, { revenueFen: 0, payingClients: 0, newPayingClients: n });
    }
    await m.query(
      'UPDATE marketing_roi_clients SET first_paid_at = ?, first_month = ?, first_channel = ?, last_channel = ? WHERE client_id = ?',
      [first?.paidAt ?? null, next?.month ?? null, next?.first ?? null, next?.last ?? null, clientId],
    );
  }

  private async addFigures(m: EntityManager, attribution: Attribution, month: string, channel: string, d: { revenueFen: number; payingClients: number; newPayingClients: number }): Promise<void> {
    if (d.revenueFen === 0 && d.payingClients === 0 && d.newPayingClients === 0) return;
    await m.query(
      `INSERT INTO marketing_roi_months (attribution, month, channel, revenue_fen, paying_clients, new_paying_clients) VALUES (?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE revenue_fen = revenue_fen + VALUES(revenue_fen), paying_clients = paying_clients + VALUES(paying_clients),
                               new_paying_clients = new_paying_clients + VALUES(new_paying_clients)`,
      [attribution, month, channel, d.revenueFen, d.payingClients, d.newPayingClients],
    );
  }
}

interface ClientState { firstPaidAt: Date | null; firstMonth: string | null; firstChannel: string | null; lastChannel: string | null }

function refundChange(order: PaidOrder, refund: OrderRefundEvent): OrderChange {
  const netBefore = order.amountPaidFen - (refund.refundedTotalFen - refund.amountFen);
  const netAfter = order.amountPaidFen - refund.refundedTotalFen;
  // A void refunds whatever was left, so it too leaves nothing (`full`).
  return { orderId: order.id, clientId: order.clientId, paidAt: order.paidAt, netDelta: netAfter - netBefore, valuableBefore: netBefore > 0, valuableAfter: !refund.full && netAfter > 0 };
}

const BACKFILL_CHUNK = 50_000;

/**
 * Rebuilds the rollup from the orders (the migration that introduces it; a repair): stores the
 * last-touch channel on orders recorded without one, then recomputes the three tables.
 * Run it in a transaction (or a migration's).
 */
export async function rebuildRoiRollup(m: EntityManager): Promise<void> {
  // By id ranges, one table at a time: a multi-table UPDATE over a million orders ran for over 20 minutes.
  const [{ top }] = await m.query('SELECT COALESCE(MAX(id), 0) AS top FROM orders');
  for (let from = 1; from <= Number(top); from += BACKFILL_CHUNK) {
    await m.query(
      `UPDATE orders o SET o.last_touch_channel = ${lastTouchSql('o.client_id', 'o.paid_at', '(SELECT c.source_channel FROM clients c WHERE c.id = o.client_id)')}
        WHERE o.id BETWEEN ? AND ? AND o.last_touch_channel IS NULL`,
      [from, from + BACKFILL_CHUNK - 1],
    );
  }
  for (const table of ['marketing_roi_months', 'marketing_roi_client_months', 'marketing_roi_clients']) await m.query(`DELETE FROM ${table}`);
  await insertClientMonths(m, 'TRUE', []);
  await m.query(
    `INSERT INTO marketing_roi_clients (client_id, first_paid_at, first_month, first_channel, last_channel)
     SELECT f.client_id, f.paid_at, ${monthOf('f.paid_at')}, COALESCE(c.source_channel, '${UNKNOWN_CHANNEL}'),
            (SELECT o.last_touch_channel FROM orders o WHERE o.client_id = f.client_id AND o.paid_at = f.paid_at AND ${valuable('o')} ORDER BY o.id LIMIT 1)
       FROM (SELECT client_id, MIN(paid_at) AS paid_at FROM orders x WHERE ${valuable('x')} GROUP BY client_id) f
       JOIN clients c ON c.id = f.client_id`,
  );
  await insertMonths(m, 'TRUE', 'first_month IS NOT NULL', []);
}

/** The client shares of the orders that `where` (on `o`) keeps, per attribution, month, channel and client. */
async function insertClientMonths(m: EntityManager, where: string, params: unknown[]): Promise<void> {
  const net = 'o.amount_paid_fen - o.amount_refunded_fen';
  for (const [attribution, channel] of [['first', `COALESCE(c.source_channel, '${UNKNOWN_CHANNEL}')`], ['last', 'o.last_touch_channel']] as const) {
    await m.query(
      `INSERT INTO marketing_roi_client_months (attribution, month, channel, client_id, net_fen, valuable_orders)
       SELECT '${attribution}', ${monthOf('o.paid_at')}, ${channel}, o.client_id, SUM(${net}), SUM(o.amount_paid_fen > o.amount_refunded_fen)
         FROM orders o JOIN clients c ON c.id = o.client_id
        WHERE o.status <> 'voided' AND ${where}
        GROUP BY 2, 3, 4
       HAVING SUM(${net}) <> 0 OR SUM(o.amount_paid_fen > o.amount_refunded_fen) <> 0`,
      params,
    );
  }
}

/** The month cells from the client shares (`shares` on their month) and the first paying months (`firsts` on first_month); `params` serve each filter. */
async function insertMonths(m: EntityManager, shares: string, firsts: string, params: unknown[]): Promise<void> {
  await m.query(
    `INSERT INTO marketing_roi_months (attribution, month, channel, revenue_fen, paying_clients, new_paying_clients)
     SELECT attribution, month, channel, SUM(revenue), SUM(paying), SUM(fresh) FROM (
       SELECT attribution, month, channel, SUM(net_fen) AS revenue, SUM(valuable_orders > 0) AS paying, 0 AS fresh
         FROM marketing_roi_client_months WHERE ${shares} GROUP BY 1, 2, 3
       UNION ALL SELECT 'first', first_month, first_channel, 0, 0, COUNT(*) FROM marketing_roi_clients WHERE ${firsts} GROUP BY 2, 3
       UNION ALL SELECT 'last', first_month, last_channel, 0, 0, COUNT(*) FROM marketing_roi_clients WHERE ${firsts} GROUP BY 2, 3
     ) x GROUP BY 1, 2, 3`,
    [...params, ...params, ...params],
  );
}

/**
 * Brings the rollup up to date for orders written without the order hooks (an import of another
 * system's history): recomputes every month from the first to the last of `months` (Shanghai,
 * YYYY-MM) from the orders, and the first paying order of every client with an order in them —
 * which may move a client's new-paying month out of a month outside the range, so that month's
 * figures are recomputed too. The same queries as the full rebuild, on a part. Run it in a transaction.
 */
export async function refreshRoiRollup(m: EntityManager, months: Iterable<string>): Promise<void> {
  const sorted = [...new Set(months)].sort();
  if (!sorted.length) return;
  const [from, to] = [sorted[0], sorted[sorted.length - 1]];
  const start = new Date(Date.parse(`${from}-01T00:00:00Z`) - SHANGHAI_OFFSET_MS);
  const [y, mo] = to.split('-').map(Number);
  const end = new Date(Date.UTC(y, mo, 1) - SHANGHAI_OFFSET_MS);
  const inRange = 'o.paid_at >= ? AND o.paid_at < ?';
  // The clients whose orders lie in the range: their rows first, the lock the order hooks take too.
  const clients = `SELECT DISTINCT o.client_id FROM orders o WHERE ${inRange}`;
  await m.query(`INSERT INTO marketing_roi_clients (client_id) ${clients} ON DUPLICATE KEY UPDATE client_id = marketing_roi_clients.client_id`, [start, end]);
  const before: { month: string }[] = await m.query(
    `SELECT DISTINCT first_month AS month FROM marketing_roi_clients WHERE first_month IS NOT NULL AND client_id IN (${clients}) FOR UPDATE`, [start, end],
  );
  await m.query(
    `UPDATE orders o SET o.last_touch_channel = ${lastTouchSql('o.client_id', 'o.paid_at', '(SELECT c.source_channel FROM clients c WHERE c.id = o.client_id)')}
      WHERE ${inRange} AND o.last_touch_channel IS NULL`,
    [start, end],
  );
  await m.query('DELETE FROM marketing_roi_client_months WHERE month BETWEEN ? AND ?', [from, to]);
  await insertClientMonths(m, inRange, [start, end]);
  await m.query(
    `UPDATE marketing_roi_clients r
       JOIN (SELECT x.client_id, MIN(x.paid_at) AS paid_at FROM orders x
              WHERE ${valuable('x')} AND x.client_id IN (SELECT client_id FROM (${clients}) k) GROUP BY x.client_id) f ON f.client_id = r.client_id
       JOIN clients c ON c.id = f.client_id
        SET r.first_paid_at = f.paid_at, r.first_month = ${monthOf('f.paid_at')}, r.first_channel = COALESCE(c.source_channel, '${UNKNOWN_CHANNEL}'),
            r.last_channel = (SELECT o.last_touch_channel FROM orders o WHERE o.client_id = f.client_id AND o.paid_at = f.paid_at AND ${valuable('o')} ORDER BY o.id LIMIT 1)`,
    [start, end],
  );
  await m.query(
    `UPDATE marketing_roi_clients r SET r.first_paid_at = NULL, r.first_month = NULL, r.first_channel = NULL, r.last_channel = NULL
      WHERE r.client_id IN (SELECT client_id FROM (${clients}) k) AND NOT EXISTS (SELECT 1 FROM orders x WHERE x.client_id = r.client_id AND ${valuable('x')})`,
    [start, end],
  );
  // Months whose new paying clients may have changed: the range, and the months those clients were new in before.
  const outside = before.map((b) => b.month).filter((month) => month < from || month > to);
  const monthsSql = `(month BETWEEN ? AND ?${outside.length ? ` OR month IN (${outside.map(() => '?').join(',')})` : ''})`;
  const firstSql = `(first_month BETWEEN ? AND ?${outside.length ? ` OR first_month IN (${outside.map(() => '?').join(',')})` : ''})`;
  const monthParams = [from, to, ...outside];
  await m.query(`DELETE FROM marketing_roi_months WHERE ${monthsSql}`, monthParams);
  await insertMonths(m, monthsSql, firstSql, monthParams);
}
