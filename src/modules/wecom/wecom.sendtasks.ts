import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import { SHANGHAI_OFFSET_MS } from '../../shared/clock';
import { runInTransaction } from '../../shared/db';
import type { Logger } from '../../shared/logger';
import { WeComApi, WeComError } from '../../integrations/wecom/types';
import type { SendTaskItem, SendTaskVerdict } from '../delivery';
import type { StaffNotices } from './wecom.notices';

/** Delivery's side: messages not sent in time go back to it for the next channel, once. */
export interface SendTaskFallback {
  fallBack(outboxIds: string[], reason: string): Promise<number>;
}

interface Sender { client_id: number; external_userid: string; userid: string; staff_id: number | null }
interface Group { sender: Sender['userid']; staffId: number | null; hash: string; text: string; card?: SendTaskItem['message']['card']; items: (SendTaskItem & { externalUserId: string })[] }

// A found task created at most this long before the attempt that timed out is the same one.
const LIST_SLACK_SECONDS = 120;

/** The Shanghai month an instant falls in, as [start, end) in UTC, and its number of days. */
function shanghaiMonth(at: Date): { start: Date; end: Date; days: number } {
  const local = new Date(at.getTime() + SHANGHAI_OFFSET_MS);
  const y = local.getUTCFullYear();
  const m = local.getUTCMonth();
  return {
    start: new Date(Date.UTC(y, m, 1) - SHANGHAI_OFFSET_MS),
    end: new Date(Date.UTC(y, m + 1, 1) - SHANGHAI_OFFSET_MS),
    days: new Date(Date.UTC(y, m + 1, 0)).getUTCDate(),
  };
}

/**
 * Client messages through WeCom's official API. WeCom lets no app message an external contact by
 * itself: it creates a send task 群发任务 (add_msg_template) that the consultant confirms in WeCom.
 * Messages of one drain batch with the same content and consultant become one task; the consultant
 * is told through the hospital's app; results are read back (get_groupmsg_send_result) every few
 * minutes; at the deadline the task is cancelled at WeCom and what was not sent goes back to
 * delivery for the next channel, once. A client gets at most as many send tasks a month as the
 * month has days (WeCom's limit: more would only be refused).
 */
export class SendTasks {
  constructor(private readonly deps: {
    db: DataSource; config: Config; clock: Clock; wecom: WeComApi; log: Logger; notices: StaffNotices; delivery: () => SendTaskFallback | undefined;
  }) {}

  /** The clients among these with an active relation through the official API. */
  async reachable(clientIds: number[]): Promise<Set<number>> {
    if (!clientIds.length) return new Set();
    const rows: { client_id: number }[] = await this.deps.db.query(
      `SELECT DISTINCT client_id FROM wecom_external_contacts WHERE status = 'active' AND client_id IN (${clientIds.map(() => '?').join(',')})`, clientIds,
    );
    return new Set(rows.map((r) => Number(r.client_id)));
  }

  async create(items: SendTaskItem[]): Promise<Map<string, SendTaskVerdict>> {
    const verdicts = new Map<string, SendTaskVerdict>();
    const now = this.deps.clock.now();
    const senders = await this.sendersOf(items.map((i) => i.clientId));
    const sentThisMonth = await this.countThisMonth(items.map((i) => i.clientId), now);
    const already = await this.recorded(items.map((i) => i.outboxId));
    const groups = new Map<string, Group>();
    for (const item of items) {
      const sender = senders.get(item.clientId);
      const earlier = already.get(item.outboxId);
      if (earlier === 'pending') {
        verdicts.set(item.outboxId, { type: 'queued' });
        continue;
      }
      if (!sender) {
        verdicts.set(item.outboxId, { type: 'refused', reason: 'no active WeCom relation' });
        continue;
      }
      const used = sentThisMonth.get(item.clientId) ?? 0;
      if (earlier !== 'creating' && used >= shanghaiMonth(now).days) {
        verdicts.set(item.outboxId, { type: 'refused', reason: 'the client has had as many send tasks this month as the month has days' });
        continue;
      }
      sentThisMonth.set(item.clientId, used + 1);
      const hash = createHash('sha256').update(JSON.stringify([item.message.text, item.message.card ?? null])).digest('hex');
      const k = `${sender.userid}\u0000${hash}`;
      const group = groups.get(k) ?? { sender: sender.userid, staffId: sender.staff_id, hash, text: item.message.text, card: item.message.card, items: [] };
      group.items.push({ ...item, externalUserId: sender.external_userid });
      groups.set(k, group);
    }
    for (const group of groups.values()) {
      for (const [id, v] of await this.createOne(group, now)) verdicts.set(id, v);
    }
    const told = [...groups.values()].filter((g) => g.items.some((i) => verdicts.get(i.outboxId)?.type === 'queued'));
    await this.tellConsultants(told);
    return verdicts;
  }

  /**
   * Reads back the results of open tasks (each at most every WECOM_SEND_TASK_CHECK_MINUTES); at the
   * deadline cancels the task and gives what was not sent back to delivery. Returns items settled.
   */
  async check(now: Date = this.deps.clock.now()): Promise<number> {
    const cfg = this.deps.config.wecom;
    const tasks: { id: number; msgid: string; userid: string; deadline_at: Date }[] = await this.deps.db.query(
      `SELECT id, msgid, userid, deadline_at FROM wecom_send_tasks
        WHERE status = 'pending' AND (checked_at IS NULL OR checked_at <= ? OR deadline_at <= ?) ORDER BY id LIMIT 100`,
      [new Date(now.getTime() - cfg.sendTaskCheckMinutes * 60_000), now],
    );
    let settled = 0;
    for (const task of tasks) {
      try {
        settled += await this.checkOne(task, now);
      } catch (err) {
        if (!(err instanceof WeComError)) throw err;
        this.deps.log.warn({ taskId: task.id, errcode: err.errcode }, 'WeCom send task results not read; tried again later');
      }
    }
    return settled;
  }

  private async checkOne(task: { id: number; msgid: string; userid: string; deadline_at: Date }, now: Date): Promise<number> {
    const over = new Date(task.deadline_at).getTime() <= now.getTime();
    // Cancelled first, so nothing the consultant confirms after this read reaches the client twice.
    if (over) {
      await this.deps.wecom.cancelSendTask(task.msgid).catch((err) => {
        if (!(err instanceof WeComError) || err.transient) throw err;
      });
    }
    const results = await this.deps.wecom.getSendTaskResult(task.msgid, task.userid);
    const items: { outbox_id: string; external_userid: string }[] = await this.deps.db.query(
      "SELECT outbox_id, external_userid FROM wecom_send_task_items WHERE task_id = ? AND status = 'pending'", [task.id],
    );
    const statusOf = new Map(results.map((r) => [r.externalUserId, r.status]));
    const sent = items.filter((i) => statusOf.get(i.external_userid) === 1).map((i) => String(i.outbox_id));
    // 2: no longer a contact, 3: the client's limit reached; past the deadline, not sent at all.
    const back = items.filter((i) => {
      const s = statusOf.get(i.external_userid) ?? 0;
      return s === 2 || s === 3 || (over && s !== 1);
    }).map((i) => String(i.outbox_id));
    if (back.length) {
      const reason = over ? 'the consultant did not confirm the WeCom send task in time' : 'WeCom did not deliver the send task';
      // Delivery first (conditional, so once); the items after: a crash between leaves a harmless repeat.
      await this.deps.delivery()?.fallBack(back, reason);
    }
    await runInTransaction(this.deps.db, async (m) => {
      const mark = async (ids: string[], status: string) => {
        if (ids.length) await m.query(`UPDATE wecom_send_task_items SET status = ? WHERE status = 'pending' AND outbox_id IN (${ids.map(() => '?').join(',')})`, [status, ...ids]);
      };
      await mark(sent, 'sent');
      await mark(back, 'fallen_back');
      const open = items.length - sent.length - back.length;
      await m.query(
        `UPDATE wecom_send_tasks SET checked_at = ?, status = IF(?, 'closed', status), closed_at = IF(?, ?, closed_at) WHERE id = ?`,
        [now, over || open === 0, over || open === 0, now, task.id],
      );
    });
    if (back.length) this.deps.log.info({ taskId: task.id, fallenBack: back.length, sent: sent.length }, 'WeCom send task: unsent messages go to the next channel');
    return sent.length + back.length;
  }

  /** One task at WeCom for a group: recorded as 'creating' first, so a timeout is found again instead of created twice. */
  private async createOne(group: Group, now: Date): Promise<Map<string, SendTaskVerdict>> {
    const verdicts = new Map<string, SendTaskVerdict>();
    const all = (v: SendTaskVerdict) => new Map(group.items.map((i) => [i.outboxId, v]));
    const adopted = await this.adoptTimedOut(group, now);
    if (adopted) return all({ type: 'queued' });
    const deadline = new Date(now.getTime() + this.deps.config.wecom.sendTaskHours * 3600_000);
    const taskId = await runInTransaction(this.deps.db, async (m) => {
      const res = await m.query(
        "INSERT INTO wecom_send_tasks (userid, content_hash, status, created_at, deadline_at) VALUES (?, ?, 'creating', ?, ?)", [group.sender, group.hash, now, deadline],
      );
      const id = Number(res.insertId);
      await m.query(
        `INSERT INTO wecom_send_task_items (outbox_id, task_id, client_id, external_userid, status, created_at) VALUES ${group.items.map(() => "(?, ?, ?, ?, 'pending', ?)").join(',')}`,
        group.items.flatMap((i) => [i.outboxId, id, i.clientId, i.externalUserId, now]),
      );
      return id;
    });
    try {
      const w = this.deps.config.wecom;
      const r = await this.deps.wecom.addMsgTemplate({
        sender: group.sender, externalUserIds: group.items.map((i) => i.externalUserId), text: group.text,
        ...(group.card && w.welcomePicMediaId
          ? { miniprogram: { title: group.card.title, picMediaId: w.welcomePicMediaId, appid: this.deps.config.wechat.appId, page: group.card.pagePath } }
          : {}),
      });
      const failed = group.items.filter((i) => r.failList.includes(i.externalUserId)).map((i) => i.outboxId);
      await runInTransaction(this.deps.db, async (m) => {
        await m.query("UPDATE wecom_send_tasks SET msgid = ?, status = IF(?, 'closed', 'pending') WHERE id = ?", [r.msgid, failed.length === group.items.length, taskId]);
        if (failed.length) await m.query(`DELETE FROM wecom_send_task_items WHERE outbox_id IN (${failed.map(() => '?').join(',')})`, failed);
      });
      for (const i of group.items) verdicts.set(i.outboxId, failed.includes(i.outboxId) ? { type: 'refused', reason: 'not a contact of the consultant any more' } : { type: 'queued' });
      return verdicts;
    } catch (err) {
      if (!(err instanceof WeComError)) throw err;
      // A timeout may have created it: kept as 'creating', looked for in the sender's list on the next attempt.
      if (err.errcode === -2) return all({ type: 'retry', reason: `WeCom did not answer (${err.errmsg})` });
      await this.forget(taskId);
      return all(err.transient ? { type: 'retry', reason: `WeCom busy (${err.errcode})` } : { type: 'refused', reason: `WeCom refused (${err.errcode})` });
    }
  }

  /** A task whose creation timed out for these messages: found in the sender's list (adopted), or forgotten. */
  private async adoptTimedOut(group: Group, now: Date): Promise<boolean> {
    const ids = group.items.map((i) => i.outboxId);
    const [earlier]: { id: number; created_at: Date }[] = await this.deps.db.query(
      `SELECT DISTINCT t.id, t.created_at FROM wecom_send_tasks t JOIN wecom_send_task_items i ON i.task_id = t.id
        WHERE t.status = 'creating' AND t.userid = ? AND t.content_hash = ? AND i.outbox_id IN (${ids.map(() => '?').join(',')}) ORDER BY t.id LIMIT 1`,
      [group.sender, group.hash, ...ids],
    );
    if (!earlier) {
      await this.forgetItems(ids);
      return false;
    }
    const since = Math.floor(new Date(earlier.created_at).getTime() / 1000) - LIST_SLACK_SECONDS;
    const listed = await this.deps.wecom.listSendTasks({ creator: group.sender, startTime: since, endTime: Math.floor(now.getTime() / 1000) + LIST_SLACK_SECONDS });
    const known: { msgid: string }[] = listed.length
      ? await this.deps.db.query(`SELECT msgid FROM wecom_send_tasks WHERE msgid IN (${listed.map(() => '?').join(',')})`, listed.map((l) => l.msgid))
      : [];
    const found = listed.find((l) => l.text === group.text && !known.some((k) => k.msgid === l.msgid));
    if (!found) {
      await this.forget(earlier.id);
      await this.forgetItems(ids);
      return false;
    }
    await this.deps.db.query("UPDATE wecom_send_tasks SET msgid = ?, status = 'pending' WHERE id = ?", [found.msgid, earlier.id]);
    this.deps.log.info({ taskId: earlier.id }, 'WeCom send task whose creation timed out was found at WeCom; not created again');
    return true;
  }

  private async forget(taskId: number): Promise<void> {
    await runInTransaction(this.deps.db, async (m) => {
      await m.query('DELETE FROM wecom_send_task_items WHERE task_id = ?', [taskId]);
      await m.query('DELETE FROM wecom_send_tasks WHERE id = ?', [taskId]);
    });
  }

  /** Items of these messages left by an attempt that never reached WeCom. */
  private async forgetItems(outboxIds: string[]): Promise<void> {
    await this.deps.db.query(
      `DELETE i FROM wecom_send_task_items i JOIN wecom_send_tasks t ON t.id = i.task_id WHERE t.status = 'creating' AND i.outbox_id IN (${outboxIds.map(() => '?').join(',')})`, outboxIds,
    );
  }

  /** Each client's sender: the dedicated consultant when they have the client as a contact, else the newest relation. */
  private async sendersOf(clientIds: number[]): Promise<Map<number, Sender>> {
    const ids = [...new Set(clientIds)];
    if (!ids.length) return new Map();
    const rows: Sender[] = await this.deps.db.query(
      `SELECT w.client_id, w.external_userid, w.userid, w.staff_id FROM wecom_external_contacts w JOIN clients c ON c.id = w.client_id
        WHERE w.status = 'active' AND w.client_id IN (${ids.map(() => '?').join(',')})
        ORDER BY w.client_id, (w.staff_id <=> c.consultant_id) DESC, w.last_event_at DESC`, ids,
    );
    const out = new Map<number, Sender>();
    for (const r of rows) if (!out.has(Number(r.client_id))) out.set(Number(r.client_id), { ...r, client_id: Number(r.client_id), staff_id: r.staff_id === null ? null : Number(r.staff_id) });
    return out;
  }

  private async countThisMonth(clientIds: number[], now: Date): Promise<Map<number, number>> {
    const ids = [...new Set(clientIds)];
    const { start, end } = shanghaiMonth(now);
    const rows: { client_id: number; n: number }[] = await this.deps.db.query(
      `SELECT client_id, COUNT(*) AS n FROM wecom_send_task_items WHERE status <> 'fallen_back' AND created_at >= ? AND created_at < ?
        AND client_id IN (${ids.map(() => '?').join(',')}) GROUP BY client_id`, [start, end, ...ids],
    );
    return new Map(rows.map((r) => [Number(r.client_id), Number(r.n)]));
  }

  private async recorded(outboxIds: string[]): Promise<Map<string, string>> {
    const rows: { outbox_id: string; status: string }[] = await this.deps.db.query(
      `SELECT i.outbox_id, t.status FROM wecom_send_task_items i JOIN wecom_send_tasks t ON t.id = i.task_id WHERE i.status = 'pending' AND i.outbox_id IN (${outboxIds.map(() => '?').join(',')})`,
      outboxIds,
    );
    return new Map(rows.map((r) => [String(r.outbox_id), r.status]));
  }

  /** The consultant hears of the task through the hospital's app (it waits for them in WeCom's 群发助手). */
  private async tellConsultants(groups: Group[]): Promise<void> {
    const perStaff = new Map<number, number>();
    for (const g of groups) if (g.staffId !== null) perStaff.set(g.staffId, (perStaff.get(g.staffId) ?? 0) + g.items.length);
    if (!perStaff.size) return;
    const r = await this.deps.notices.send([...perStaff].map(([staffId, n]) => ({
      staffId, title: '有客户消息待您确认发送', description: `${n} 位客户的消息已生成群发任务，请在企业微信「客户联系 → 群发助手」中确认发送。`, path: '/tasks',
    }))).catch((err) => {
      this.deps.log.warn({ err: (err as Error).message }, 'consultants not told of their send tasks');
      return null;
    });
    if (r?.deferred.length) this.deps.log.warn({ deferred: r.deferred.length }, 'send-task notices over the app\'s rate; the task waits in WeCom all the same');
  }
}
