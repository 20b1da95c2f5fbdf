import type { DataSource } from 'typeorm';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import type { Redis } from '../../shared/redis';
import { hitCounter } from '../../shared/redis';
import { WeComApi, WeComError } from '../../integrations/wecom/types';

/** A notice to one staff member in the hospital's WeCom app: a text card that opens the console. */
export interface StaffNotice {
  staffId: number;
  /** WeCom: at most 128 bytes. */
  title: string;
  /** WeCom: at most 512 bytes. */
  description: string;
  /** Console path the card opens, e.g. `/tasks/<id>`. */
  path: string;
}

export interface NoticeReport {
  /** message/send calls made. */
  calls: number;
  /** Notices WeCom took. */
  sent: number;
  /** Over the app's rate budget or WeCom busy: the caller offers them again later. */
  deferred: StaffNotice[];
  /** Staff members without a WeCom userid, or whom WeCom did not know (invaliduser): console only. */
  unreachable: number[];
}

// WeCom's textcard limits, in UTF-8 bytes.
const cut = (text: string, bytes: number): string => {
  let out = text;
  while (Buffer.byteLength(out) > bytes) out = out.slice(0, -1);
  return out;
};
// message/send takes at most 1000 recipients per call.
const MAX_RECIPIENTS = 1000;

/**
 * Staff notices through the hospital's app (message/send, textcard linking into the console):
 * notices with the same card go out as one call to all their recipients, and the calls stay
 * within `WECOM_NOTICE_CALLS_PER_MINUTE` across processes (a Redis counter); what does not fit
 * is handed back, never dropped.
 */
export class StaffNotices {
  constructor(private readonly deps: { db: DataSource; config: Config; clock: Clock; redis: Redis; wecom: WeComApi; log: Logger }) {}

  async send(notices: StaffNotice[]): Promise<NoticeReport> {
    const report: NoticeReport = { calls: 0, sent: 0, deferred: [], unreachable: [] };
    if (!notices.length) return report;
    const ids = [...new Set(notices.map((n) => n.staffId))];
    const rows: { userid: string; staff_id: number }[] = await this.deps.db.query(
      `SELECT userid, staff_id FROM wecom_staff_users WHERE staff_id IN (${ids.map(() => '?').join(',')})`, ids,
    );
    const useridOf = new Map(rows.map((r) => [Number(r.staff_id), r.userid]));
    const cards = new Map<string, { card: Omit<StaffNotice, 'staffId'>; notices: StaffNotice[] }>();
    for (const n of notices) {
      if (!useridOf.has(n.staffId)) {
        report.unreachable.push(n.staffId);
        continue;
      }
      const key = JSON.stringify([n.title, n.description, n.path]);
      const entry = cards.get(key) ?? { card: { title: n.title, description: n.description, path: n.path }, notices: [] };
      entry.notices.push(n);
      cards.set(key, entry);
    }
    const base = this.deps.config.publicUrl.replace(/\/$/, '');
    const minute = Math.floor(this.deps.clock.now().getTime() / 60_000);
    for (const { card, notices: group } of cards.values()) {
      for (let i = 0; i < group.length; i += MAX_RECIPIENTS) {
        const batch = group.slice(i, i + MAX_RECIPIENTS);
        const used = await hitCounter(this.deps.redis, `wecom:notices:${minute}`, 120);
        if (used > this.deps.config.wecom.noticeCallsPerMinute) {
          report.deferred.push(...batch);
          continue;
        }
        report.calls++;
        const touser = [...new Set(batch.map((n) => useridOf.get(n.staffId)!))];
        try {
          const r = await this.deps.wecom.sendTextCard({
            touser, title: cut(card.title, 128), description: cut(card.description, 512), url: `${base}/console${card.path}`, btntxt: '查看',
          });
          const invalid = new Set(r.invalidUsers);
          for (const n of batch) {
            if (invalid.has(useridOf.get(n.staffId)!)) report.unreachable.push(n.staffId);
            else report.sent++;
          }
        } catch (err) {
          if (!(err instanceof WeComError)) throw err;
          this.deps.log.warn({ errcode: err.errcode, recipients: touser.length }, 'WeCom staff notice not sent');
          // 81013: nobody in the batch is known to WeCom; other refusals and busy: offered again later.
          if (err.errcode === 81013) report.unreachable.push(...batch.map((n) => n.staffId));
          else report.deferred.push(...batch);
        }
      }
    }
    return report;
  }
}
