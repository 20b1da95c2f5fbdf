import { ChannelError, SEND_TASK_CHANNEL } from './delivery.channels';
import type { OutgoingMessage, SendTaskVerdict, WeComChannel } from './delivery.channels';
import type { BudgetItem, BudgetVerdict, SendBudget } from './delivery.budget';
import { nextMinute } from './delivery.rules';
import { errorText } from './delivery.shared';
import type { Support } from './delivery.shared';
import type { Claims } from './delivery.claims';
import type { ChannelPlanner } from './delivery.planning';
import type { OutcomeRecorder } from './delivery.recording';
import type { Subscriptions } from './delivery.subscriptions';
import type { Claimed, ClientInfo, DrainReport, Outcome, Plan } from './delivery.types';

/**
 * Marks the sends of a batch's rows begun (Claims.begin) just before each goes out. Lanes ask one
 * row at a time; what they ask while a statement is under way goes together in the next, so the
 * lanes of a batch share statements instead of each writing its own.
 */
class SendGate {
  private waiting: { row: Claimed; done: (held: boolean) => void; fail: (err: unknown) => void }[] = [];
  private busy = false;

  constructor(private readonly claims: Claims, private readonly token: string, private readonly now: Date) {}

  /** True when the row is still this drain's and may go; false when its producer withdrew it. */
  begin(row: Claimed): Promise<boolean> {
    return new Promise((done, fail) => {
      this.waiting.push({ row, done, fail });
      // After the current turn: lanes that start together ask together.
      queueMicrotask(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    if (this.busy || !this.waiting.length) return;
    this.busy = true;
    const group = this.waiting.splice(0);
    try {
      const held = await this.claims.begin(group.map((g) => g.row), this.token, this.now);
      for (const g of group) g.done(held.has(g.row.id));
    } catch (err) {
      for (const g of group) g.fail(err);
    } finally {
      this.busy = false;
      void this.flush();
    }
  }
}

// Plans that reach nobody in send(): a staff task is created with the record (which checks the row is still held), the rest were decided before.
const NO_SEND: ReadonlySet<Plan['how']> = new Set(['manual', 'task', 'done']);

/**
 * Sends one claimed batch: plans each row's channel, takes the send budget for the whole batch at
 * once (over budget a row waits, it is never dropped), hands send tasks to WeCom's official API,
 * sends the rest one client after another (a client's messages in order), and records what became
 * of every row.
 */
export class BatchSender {
  constructor(
    private readonly s: Support,
    private readonly claims: Claims,
    private readonly budget: SendBudget,
    private readonly planner: ChannelPlanner,
    private readonly subscriptions: Subscriptions,
    private readonly recorder: OutcomeRecorder,
  ) {}

  /** Sends a batch claimed under `token` at `now`; returns what became of its rows. */
  async deliver(channel: WeComChannel | null, rows: Claimed[], token: string, now: Date): Promise<Omit<DrainReport, 'claimed'>> {
    const outcomes = new Map<string, Outcome>();
    const { clients, plans } = await this.planner.planBatch(channel, rows, now);

    // Budget: WeCom sends to clients and groups cost the account; every message to a client counts against the client's cap.
    const asks: { row: Claimed; room?: string; item: BudgetItem }[] = [];
    for (const row of rows) {
      const plan = plans.get(row.id)!;
      if (plan.how === 'contact') asks.push({ row, item: { accountCost: 1, clientId: row.clientId } });
      else if (plan.how === 'subscribe' || plan.how === 'task') asks.push({ row, item: { accountCost: 0, clientId: row.clientId } });
      else if (plan.how === 'rooms') for (const room of plan.rooms) asks.push({ row, room, item: { accountCost: 1, clientId: null } });
    }
    const verdicts = await this.budget.reserve(channel?.accountId ?? null, asks.map((a) => a.item), now);
    const refused = new Map<string, BudgetVerdict>();
    const grantedRooms = new Map<string, string[]>();
    asks.forEach((a, i) => {
      if (a.room !== undefined) {
        if (verdicts[i] === 'ok') grantedRooms.set(a.row.id, [...(grantedRooms.get(a.row.id) ?? []), a.room]);
        else if (!refused.has(a.row.id)) refused.set(a.row.id, verdicts[i]);
      } else if (verdicts[i] !== 'ok') {
        refused.set(a.row.id, verdicts[i]);
      }
    });

    await this.handToSendTasks(rows, plans, refused, clients, token, now);

    // One lane per client: a client's messages go out one after another, in order; lanes run side by side.
    const gate = new SendGate(this.claims, token, now);
    const lanes = new Map<string, (() => Promise<void>)[]>();
    for (const row of rows) {
      const plan = plans.get(row.id)!;
      if (plan.how === 'done') {
        outcomes.set(row.id, plan.outcome);
        continue;
      }
      const verdict = refused.get(row.id);
      if (verdict && plan.how !== 'rooms') {
        outcomes.set(row.id, { type: 'deferred', until: this.s.waitUntil(verdict, now), reason: `over budget (${verdict})`, giveBack: true });
        continue;
      }
      const lane = row.clientId !== null ? `client:${row.clientId}` : `row:${row.id}`;
      lanes.set(lane, [...(lanes.get(lane) ?? []), async () => {
        outcomes.set(row.id, await this.send(channel, row, plan, clients, gate, now, { rooms: grantedRooms.get(row.id) ?? [], refused: verdict }));
      }]);
    }
    await runLimited([...lanes.values()].map((steps) => async () => { for (const step of steps) await step(); }), this.s.cfg.sendConcurrency);
    return this.recorder.record(rows, outcomes, clients, token, now);
  }

  /**
   * The batch's send-task messages go to the official channel in one call (it batches them per
   * consultant). Handed over counts as sent on 'wecom_task': what the consultant does not send in
   * time comes back through fallBack. A refusal goes on to the next channel now.
   */
  private async handToSendTasks(
    rows: Claimed[], plans: Map<string, Plan>, refused: Map<string, BudgetVerdict>, clients: Map<number, ClientInfo>, token: string, now: Date,
  ): Promise<void> {
    const due = rows.filter((r) => plans.get(r.id)!.how === 'task' && !refused.has(r.id));
    if (!due.length) return;
    let verdicts: Map<string, SendTaskVerdict>;
    let going = due;
    try {
      const held = await this.claims.begin(due, token, now);
      going = due.filter((r) => held.has(r.id));
      verdicts = going.length ? await this.s.deps.official!()!.createSendTasks(going.map((r) => ({
        outboxId: r.id, clientId: r.clientId!, message: { text: String(r.payload.text), ...(r.payload.card ? { card: r.payload.card } : {}) },
      }))) : new Map();
    } catch (err) {
      verdicts = new Map(due.map((r) => [r.id, { type: 'retry', reason: errorText(err) }]));
    }
    for (const row of due) {
      if (!going.includes(row)) {
        plans.set(row.id, { how: 'done', outcome: { type: 'withdrawn' } });
        continue;
      }
      const v = verdicts.get(row.id) ?? { type: 'retry', reason: 'no verdict from the send-task channel' };
      if (v.type === 'queued') plans.set(row.id, { how: 'done', outcome: { type: 'sent', channel: SEND_TASK_CHANNEL, accountId: null, sentTo: [SEND_TASK_CHANNEL] } });
      else if (v.type === 'retry') plans.set(row.id, { how: 'done', outcome: this.s.channelFailure(row, clients.get(row.clientId!), new ChannelError(v.reason, true)) });
      else plans.set(row.id, { how: 'next', reason: `WeCom send task: ${v.reason}` });
    }
  }

  /** Sends one row along its plan; a WeCom refusal of a client message falls through to the next channel. */
  private async send(
    channel: WeComChannel | null, row: Claimed, plan: Plan, clients: Map<number, ClientInfo>, gate: SendGate, now: Date,
    budget: { rooms: string[]; refused?: BudgetVerdict },
  ): Promise<Outcome> {
    const p = row.payload;
    const client = row.clientId === null ? undefined : clients.get(row.clientId);
    const message: OutgoingMessage = { text: String(p.text ?? ''), ...(p.card ? { card: p.card } : {}), ...(p.imageUrl ? { imageUrl: p.imageUrl } : {}) };
    try {
      // Withdrawn since the claim (its appointment moved or was cancelled, its order refunded): it never goes.
      if (!NO_SEND.has(plan.how) && !(await gate.begin(row))) return { type: 'withdrawn' };
      switch (plan.how) {
        case 'contact':
          try {
            await channel!.sendToContact(plan.contactId, message);
            return { type: 'sent', channel: 'wecom', accountId: channel!.accountId };
          } catch (err) {
            if (!(err instanceof ChannelError) || err.transient) throw err;
            // The contact is unreachable for good (e.g. deleted us): the next channel.
            this.s.log.warn({ outboxId: row.id, err: errorText(err) }, 'WeCom refused the message; trying the next channel');
            return this.subscriptions.sendOrTask(row, client!, now, `WeCom: ${errorText(err)}`);
          }
        case 'subscribe':
          return await this.subscriptions.sendOrTask(row, client!, now, null);
        case 'manual':
          return { type: 'manual', task: this.s.manualTask(row, client!, plan.reason) };
        case 'next':
          return await this.subscriptions.sendOrTask(row, client!, now, plan.reason);
        case 'officialTags':
          await this.s.deps.official!()!.syncTags(row.clientId!, await this.s.deps.tags.tagsOf(row.clientId!));
          return { type: 'sent', channel: 'wecom_api', accountId: null };
        case 'task':
          // Handed over before the lanes (handToSendTasks); a row over budget waits.
          return { type: 'deferred', until: nextMinute(now), reason: 'send task not handed over', giveBack: true };
        case 'tags':
          // The set as it is now, not as it was when the row was written: rows coalesce, and a
          // partial writer (the nightly RFM) must never strip the other dimensions.
          await channel!.syncTags(plan.contactId, await this.s.deps.tags.tagsOf(row.clientId!));
          return { type: 'sent', channel: 'wecom', accountId: channel!.accountId };
        case 'staff':
          await channel!.sendToStaff(plan.role, { text: message.text });
          return { type: 'sent', channel: 'wecom', accountId: channel!.accountId };
        case 'rooms':
          return await this.postToRooms(channel!, row, client, message, plan.rooms, budget, now);
        case 'done':
          return plan.outcome;
      }
    } catch (err) {
      return this.s.channelFailure(row, client, err);
    }
  }

  /** Posts to the rooms the budget allowed, keeping track of them; the rest waits. A room refusing for good becomes a task. */
  private async postToRooms(
    channel: WeComChannel, row: Claimed, client: ClientInfo | undefined, message: OutgoingMessage, rooms: string[],
    budget: { rooms: string[]; refused?: BudgetVerdict }, now: Date,
  ): Promise<Outcome> {
    const sentTo = [...row.sentTo];
    for (const room of budget.rooms) {
      try {
        await channel.sendToRoom(room, message);
      } catch (err) {
        if (err instanceof ChannelError && !err.transient) {
          await this.s.deps.worklist.create(null, this.s.failureTask(row, client, `room ${room}: ${errorText(err)}`, `outbox:${row.id}:room:${room}`));
        } else {
          return { ...this.s.channelFailure(row, client, err), sentTo };
        }
      }
      sentTo.push(room);
    }
    if (rooms.every((r) => sentTo.includes(r))) return { type: 'sent', channel: 'wecom', accountId: channel.accountId, sentTo };
    return { type: 'deferred', until: this.s.waitUntil(budget.refused ?? 'minute', now), reason: `over budget (${budget.refused})`, sentTo, giveBack: true };
  }
}

/** Runs the jobs with at most `limit` in flight. */
async function runLimited(jobs: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}
