import type { DataSource } from 'typeorm';
import { shanghaiDate, type Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import { SYSTEM_ACTOR } from '../audit';
import type { MarketingService, RoiFigures } from '../marketing';
import type { NoticeReport, StaffNotice } from '../wecom';

export interface SummaryDeps {
  db: DataSource;
  clock: Clock;
  marketing: MarketingService;
  /** The WeCom staff notices (message/send text cards into the console). */
  notices: { send(notices: StaffNotice[]): Promise<NoticeReport> };
  logger: Logger;
}

// A claim older than this belongs to a run that died mid-send: another run may take the row again.
const CLAIM_TIMEOUT_MS = 10 * 60_000;

/**
 * The monthly summary 月报 a director acts on (DOMAIN.md, the people: the director reads the
 * reports), pushed on the 1st as a WeCom staff notice that opens the console's ROI report of the
 * month: revenue, new leads, new paying clients, spend and ROI, each beside the month before.
 * Once per month and director, however many schedulers run it (a unique key), and a notice WeCom
 * deferred or a run that died goes out on a later run.
 */
export class MonthlySummary {
  constructor(private readonly deps: SummaryDeps) {}

  /** Writes the summary of the month before `now` (Shanghai) for every active director, then sends what is unsent. Returns the notices sent. */
  async run(now: Date): Promise<number> {
    const month = previousMonth(shanghaiMonthOf(now));
    const directors: { id: number }[] = await this.deps.db.query("SELECT id FROM staff WHERE role = 'director' AND active = 1 ORDER BY id");
    const [{ n }] = await this.deps.db.query('SELECT COUNT(*) AS n FROM report_summaries WHERE month = ?', [month]);
    if (Number(n) < directors.length) {
      const card = await this.compose(month);
      for (const d of directors) {
        await this.deps.db.query(
          `INSERT INTO report_summaries (month, staff_id, status, title, description, path, attempts, created_at) VALUES (?, ?, 'pending', ?, ?, ?, 0, ?)
           ON DUPLICATE KEY UPDATE id = id`,
          [month, d.id, card.title, card.description, card.path, now],
        );
      }
    }
    return this.sendPending(month, now);
  }

  /** The card: the month's totals (first touch) beside the month before. */
  async compose(month: string): Promise<{ title: string; description: string; path: string }> {
    const before = previousMonth(month);
    const q = { attribution: 'first' as const, groupBy: 'month' as const };
    const [cur, prev] = await Promise.all([
      this.deps.marketing.roiReport(SYSTEM_ACTOR, { ...q, from: month, to: month }),
      this.deps.marketing.roiReport(SYSTEM_ACTOR, { ...q, from: before, to: before }),
    ]);
    const line = (label: string, pick: (f: RoiFigures) => number | null, show: (v: number) => string) => {
      const a = pick(cur.totals);
      const b = pick(prev.totals);
      return `${label} ${a === null ? '—' : show(a)}（${change(a, b)}）`;
    };
    const [y, m] = month.split('-');
    return {
      title: `${y}年${Number(m)}月经营月报`,
      description: [
        line('收入', (f) => f.revenueFen, yuan),
        line('新线索', (f) => f.leads, String),
        line('新付费客户', (f) => f.newPayingClients, String),
        line('投放', (f) => f.spendFen, yuan),
        line('ROI', (f) => f.roi, (v) => v.toFixed(2)),
      ].join('\n'),
      path: `/reports/roi?from=${month}&to=${month}`,
    };
  }

  private async sendPending(month: string, now: Date): Promise<number> {
    const stale = new Date(now.getTime() - CLAIM_TIMEOUT_MS);
    const rows: { id: number; staffId: number; title: string; description: string; path: string }[] = await this.deps.db.query(
      `SELECT id, staff_id AS staffId, title, description, path FROM report_summaries
        WHERE month = ? AND (status = 'pending' OR (status = 'sending' AND claimed_at < ?)) ORDER BY id`,
      [month, stale],
    );
    const claimed: typeof rows = [];
    for (const r of rows) {
      // A conditional claim: of two schedulers, the one whose UPDATE changed the row sends it.
      const res = await this.deps.db.query(
        `UPDATE report_summaries SET status = 'sending', claimed_at = ?, attempts = attempts + 1
          WHERE id = ? AND (status = 'pending' OR (status = 'sending' AND claimed_at < ?))`,
        [now, r.id, stale],
      );
      if (Number(res.affectedRows) === 1) claimed.push(r);
    }
    if (!claimed.length) return 0;
    const report = await this.deps.notices.send(claimed.map((r) => ({ staffId: Number(r.staffId), title: r.title, description: r.description, path: r.path })));
    const deferred = new Set(report.deferred.map((n) => n.staffId));
    const unreachable = new Set(report.unreachable);
    let sent = 0;
    for (const r of claimed) {
      const staffId = Number(r.staffId);
      const status = deferred.has(staffId) ? 'pending' : unreachable.has(staffId) ? 'unreachable' : 'sent';
      if (status === 'sent') sent++;
      await this.deps.db.query('UPDATE report_summaries SET status = ?, sent_at = ? WHERE id = ?', [status, status === 'sent' ? now : null, r.id]);
    }
    this.deps.logger.info({ month, sent, deferred: deferred.size, unreachable: unreachable.size }, 'monthly summary sent');
    return sent;
  }
}

const yuan = (fen: number) => `¥${(fen / 100).toLocaleString('zh-CN', { maximumFractionDigits: 2 })}`;

/** Month-on-month change 环比, in percent with one decimal; none when the month before had nothing. */
export function change(cur: number | null, prev: number | null): string {
  if (cur === null || prev === null) return '上月无数据';
  if (prev === 0) return cur === 0 ? '持平' : '上月为0';
  const pct = Math.round(((cur - prev) / Math.abs(prev)) * 1000) / 10;
  return pct === 0 ? '持平' : `环比${pct > 0 ? '+' : ''}${pct}%`;
}

const shanghaiMonthOf = (at: Date) => shanghaiDate(at).slice(0, 7);
export function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}
