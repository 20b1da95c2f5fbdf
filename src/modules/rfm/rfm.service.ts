import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../../config';
import { shanghaiDate, type Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import { runInTransaction } from '../../shared/db';
import type { JourneyService } from '../journey';
import type { TagsService } from '../tags';
import type { OutboxService } from '../outbox';
import type { WorklistService } from '../worklist';
import type { IssuedVoucher, RewardsService } from '../rewards';
import type { DormantTier, RfmSegment } from './rfm.entity';

export interface RfmDeps {
  db: DataSource;
  config: Config;
  clock: Clock;
  /** Messages and tasks go through their modules' bulk writes (their rows are encrypted there). */
  outbox: Pick<OutboxService, 'enqueueMany'>;
  worklist: Pick<WorklistService, 'createMany'>;
  /** Stage moves (with their events and stage tags) and the rfm tag, through their modules' bulk writes. */
  journey: Pick<JourneyService, 'moveManyTo'>;
  tags: Pick<TagsService, 'setDimensionForMany'>;
  /** The voucher engine: every offer these rules promise is a real voucher (DOMAIN.md, "a promise is a real benefit"). */
  rewards: Pick<RewardsService, 'issueByRule'>;
  logger: Logger;
}

export interface RfmRun {
  clients: number;
  retagged: number;
  dormant: Record<DormantTier, number>;
}

export interface DormantReport {
  from: string;
  to: string;
  /** Per wake-up step: clients contacted, how many paid again after it, and what they spent since (net of refunds, fen). */
  tiers: { tier: DormantTier; contacted: number; cameBack: number; rate: number; revenueFen: number }[];
}

/** The `rfm` tag each segment shows on the WeCom contact. */
export const SEGMENT_TAGS: Record<RfmSegment, string> = {
  new: '未消费',
  vip: 'VIP客户',
  high_value: '高消费客户',
  active: '活跃客户',
  care: '待关怀客户',
  dormant: '沉睡客户',
  long_dormant: '长期沉睡客户',
};

const CALLBACK_TEXT = '超过一年未到院的老客户：电话回访，了解未再到院的原因并记录';

/** Mini-program pages the cards open (miniprogram/app.json). */
const MP_PAGES = { vouchers: 'packageLoyalty/vouchers/index', appointments: 'packageSurvey/appointments/index' };

/**
 * What a dormant offer says (DOMAIN.md, RFM and dormant clients): it names the vouchers it gives
 * (title, value, last valid day). Without a voucher (the rule switched off) it promises nothing.
 */
function dormantMessage(tier: 'care_3m' | 'gift_6m', gift: IssuedVoucher | undefined, skinTest: IssuedVoucher | undefined): { text: string; title: string; pagePath: string } {
  if (tier === 'care_3m') {
    return gift
      ? { text: `好久不见，最近皮肤状态还好吗？我们为您准备了一份专属关怀礼：${gift.sentence}，已放入您的卡券，到院出示券码即可使用。`, title: gift.title, pagePath: MP_PAGES.vouchers }
      : { text: '好久不见，最近皮肤状态还好吗？有任何护理问题，欢迎随时联系您的专属顾问。', title: '专属关怀', pagePath: MP_PAGES.appointments };
  }
  const parts = [gift && `老客专属返场礼：${gift.sentence}`, skinTest && `另赠${skinTest.sentence}，点击即可预约检测`].filter(Boolean);
  return parts.length
    ? { text: `想念您了！${parts.join('；')}。欢迎回来看看。`, title: skinTest ? '预约免费皮肤检测' : gift!.title, pagePath: skinTest ? MP_PAGES.appointments : MP_PAGES.vouchers }
    : { text: '想念您了！欢迎回来看看，您的专属顾问随时为您服务。', title: '欢迎回来', pagePath: MP_PAGES.appointments };
}

// Orders that count as spend: refunded and voided ones do not.
const PAID = "o.status IN ('paid', 'partially_refunded')";

/**
 * RFM and dormant clients (DOMAIN.md, relationship upkeep), all in set-based SQL
 * over client-id ranges: one statement per range and step, never one query per client.
 */
export class RfmService {
  constructor(private readonly deps: RfmDeps) {}

  /** Recomputes every active client's figures and segment, mirrors changed segments as tags, and takes the dormant actions. */
  async run(now: Date = this.deps.clock.now()): Promise<RfmRun> {
    const { chunk } = this.deps.config.rfm;
    const [{ maxId }]: { maxId: number | null }[] = await this.deps.db.query('SELECT MAX(id) AS maxId FROM clients');
    const result: RfmRun = { clients: 0, retagged: 0, dormant: { care_3m: 0, gift_6m: 0, callback_12m: 0 } };
    for (let from = 1; from <= (maxId ?? 0); from += chunk) {
      const to = from + chunk - 1;
      // Each range is its own short READ COMMITTED transaction (its reads of clients and orders take
      // no shared locks, so daytime writes never wait on it), retried on deadlock; a rerun
      // recomputes the same figures and adds nothing twice.
      const part = await runInTransaction(this.deps.db, async (m) => {
        const r: RfmRun = { clients: 0, retagged: 0, dormant: { care_3m: 0, gift_6m: 0, callback_12m: 0 } };
        r.clients = await this.compute(m, now, from, to);
        await this.moveDormant(m, now, from, to);
        r.retagged = await this.retag(m, now, from, to);
        for (const tier of ['care_3m', 'gift_6m', 'callback_12m'] as const) r.dormant[tier] = await this.dormant(m, now, tier, from, to);
        return r;
      });
      result.clients += part.clients;
      result.retagged += part.retagged;
      for (const tier of ['care_3m', 'gift_6m', 'callback_12m'] as const) result.dormant[tier] += part.dormant[tier];
    }
    this.deps.logger.info(result, 'rfm computed');
    return result;
  }

  private async compute(m: EntityManager, now: Date, from: number, to: number): Promise<number> {
    const r = this.deps.config.rfm;
    const [t1, t2, t3, t4] = r.monetaryTiersFen;
    await m.query(
      `INSERT INTO client_rfm (client_id, last_paid_at, last_order_id, orders_quarter, orders_year, spend_year_fen, r_score, f_score, m_score, segment, computed_at)
       SELECT x.id, x.last_paid_at, x.last_order_id, x.orders_quarter, x.orders_year, x.spend_year,
              CASE WHEN x.last_paid_at IS NULL THEN 1
                   WHEN x.last_paid_at >= DATE_SUB(?, INTERVAL 1 MONTH) THEN 5
                   WHEN x.last_paid_at >= DATE_SUB(?, INTERVAL 3 MONTH) THEN 4
                   WHEN x.last_paid_at >= DATE_SUB(?, INTERVAL 6 MONTH) THEN 3
                   WHEN x.last_paid_at >= DATE_SUB(?, INTERVAL 12 MONTH) THEN 2 ELSE 1 END,
              CASE WHEN x.orders_year >= 6 THEN 5 WHEN x.orders_year >= 4 THEN 4 WHEN x.orders_year >= 2 THEN 3 WHEN x.orders_year = 1 THEN 2 ELSE 1 END,
              CASE WHEN x.spend_year >= ? THEN 5 WHEN x.spend_year >= ? THEN 4 WHEN x.spend_year >= ? THEN 3 WHEN x.spend_year >= ? THEN 2 ELSE 1 END,
              CASE WHEN x.last_paid_at IS NULL THEN 'new'
                   WHEN x.last_paid_at < DATE_SUB(?, INTERVAL ? MONTH) THEN 'long_dormant'
                   WHEN x.last_paid_at < DATE_SUB(?, INTERVAL ? MONTH) THEN 'dormant'
                   WHEN x.last_paid_at < DATE_SUB(?, INTERVAL ? MONTH) THEN 'care'
                   WHEN x.orders_quarter >= ? THEN 'vip'
                   WHEN x.spend_year >= ? THEN 'high_value'
                   ELSE 'active' END,
              ?
         FROM (SELECT c.id, MAX(o.paid_at) AS last_paid_at,
                      -- The latest paid order anchors the dormancy period (not the latest recorded: orders can be back-dated).
                      CAST(SUBSTRING_INDEX(GROUP_CONCAT(o.id ORDER BY o.paid_at DESC, o.id DESC), ',', 1) AS UNSIGNED) AS last_order_id,
                      COUNT(CASE WHEN o.paid_at >= DATE_SUB(?, INTERVAL 3 MONTH) THEN 1 END) AS orders_quarter,
                      COUNT(CASE WHEN o.paid_at >= DATE_SUB(?, INTERVAL 12 MONTH) THEN 1 END) AS orders_year,
                      COALESCE(SUM(CASE WHEN o.paid_at >= DATE_SUB(?, INTERVAL 12 MONTH) THEN o.amount_paid_fen - o.amount_refunded_fen END), 0) AS spend_year
                 FROM clients c LEFT JOIN orders o ON o.client_id = c.id AND ${PAID}
                WHERE c.id BETWEEN ? AND ? AND c.status = 'active'
                GROUP BY c.id) x
       ON DUPLICATE KEY UPDATE
         -- First, while the old values are still there: a row whose figures did not change is not
         -- written at all (most clients, most nights), which is most of the run's cost.
         client_rfm.computed_at = IF(client_rfm.last_paid_at <=> VALUES(last_paid_at) AND client_rfm.last_order_id <=> VALUES(last_order_id) AND client_rfm.orders_quarter = VALUES(orders_quarter)
                          AND client_rfm.orders_year = VALUES(orders_year) AND client_rfm.spend_year_fen = VALUES(spend_year_fen) AND client_rfm.r_score = VALUES(r_score)
                          AND client_rfm.f_score = VALUES(f_score) AND client_rfm.m_score = VALUES(m_score) AND client_rfm.segment = VALUES(segment), client_rfm.computed_at, VALUES(computed_at)),
         client_rfm.last_paid_at = VALUES(last_paid_at), client_rfm.last_order_id = VALUES(last_order_id), client_rfm.orders_quarter = VALUES(orders_quarter),
         client_rfm.orders_year = VALUES(orders_year), client_rfm.spend_year_fen = VALUES(spend_year_fen), client_rfm.r_score = VALUES(r_score), client_rfm.f_score = VALUES(f_score),
         client_rfm.m_score = VALUES(m_score), client_rfm.segment = VALUES(segment)`,
      [
        now, now, now, now,
        t4, t3, t2, t1,
        now, r.callbackMonths, now, r.giftMonths, now, r.careMonths, r.vipOrdersPerQuarter, t3,
        now,
        now, now, now, from, to,
      ],
    );
    // Deleted accounts leave the table (and their tag goes with the archive).
    await m.query(`DELETE r FROM client_rfm r JOIN clients c ON c.id = r.client_id WHERE r.client_id BETWEEN ? AND ? AND c.status <> 'active'`, [from, to]);
    // ON DUPLICATE KEY UPDATE counts 2 per changed row; the range's active clients are what was computed.
    const [{ n }]: { n: number }[] = await m.query(`SELECT COUNT(*) AS n FROM clients WHERE id BETWEEN ? AND ? AND status = 'active'`, [from, to]);
    return Number(n);
  }

  /**
   * Clients six months or more without a purchase leave the pipeline for the dormant stage (DOMAIN.md,
   * stages), with the stage event and the stage tag; a new order brings them back (care moves them
   * to post-op).
   */
  private async moveDormant(m: EntityManager, now: Date, from: number, to: number): Promise<void> {
    const going: { client_id: number }[] = await m.query(
      "SELECT client_id FROM client_rfm WHERE client_id BETWEEN ? AND ? AND segment IN ('dormant', 'long_dormant')", [from, to],
    );
    await this.deps.journey.moveManyTo(m, going.map((r) => Number(r.client_id)), 'dormant', { reason: 'rfm', at: now, unless: ['lost'] });
  }

  /** Mirrors changed segments onto the `rfm` tag and asks the bot to sync the client's tags (it sends the whole current set). */
  private async retag(m: EntityManager, now: Date, from: number, to: number): Promise<number> {
    const changed = `r.client_id BETWEEN ? AND ? AND (r.tagged_segment IS NULL OR r.tagged_segment <> r.segment)`;
    const label = `CASE r.segment ${Object.entries(SEGMENT_TAGS).map(([k, v]) => `WHEN '${k}' THEN '${v}'`).join(' ')} END`;
    const retagged: { client_id: number; label: string }[] = await m.query(`SELECT r.client_id, ${label} AS label FROM client_rfm r WHERE ${changed}`, [from, to]);
    await this.deps.tags.setDimensionForMany(m, retagged.map((r) => ({ clientId: Number(r.client_id), values: [r.label] })), 'rfm', 'rfm');
    const syncs: { client_id: number; dedupe_key: string }[] = await m.query(
      `SELECT r.client_id, CONCAT('tag_sync:', r.client_id, ':rfm:', r.segment, ':', DATE_FORMAT(?, '%Y%m%d')) AS dedupe_key
         -- Only clients on WeCom have a contact to tag; linking a contact later syncs every tag.
         FROM client_rfm r JOIN wecom_contacts w ON w.client_id = r.client_id WHERE ${changed}`,
      [now, from, to],
    );
    await this.deps.outbox.enqueueMany(m, syncs.map((x) => ({
      kind: 'tag_sync', dedupeKey: x.dedupe_key, clientId: Number(x.client_id), payload: { reason: 'rfm' }, dueAt: now,
    })));
    const res = await m.query(`UPDATE client_rfm r SET r.tagged_segment = r.segment WHERE ${changed}`, [from, to]);
    return Number(res.affectedRows);
  }

  /**
   * The dormant rules, each at most once per dormancy period (anchored on the last order): no
   * purchase for 3 months → a care offer; 6–12 months → the returning-client gift with a free skin
   * test; over 12 months → a phone callback task for staff.
   */
  private async dormant(m: EntityManager, now: Date, tier: DormantTier, from: number, to: number): Promise<number> {
    const r = this.deps.config.rfm;
    const [minMonths, maxMonths] = tier === 'care_3m' ? [r.careMonths, r.giftMonths] : tier === 'gift_6m' ? [r.giftMonths, r.callbackMonths] : [r.callbackMonths, null];
    const window = `r.client_id BETWEEN ? AND ? AND r.last_paid_at < DATE_SUB(?, INTERVAL ${Number(minMonths)} MONTH)
      ${maxMonths === null ? '' : `AND r.last_paid_at >= DATE_SUB(?, INTERVAL ${Number(maxMonths)} MONTH)`}`;
    const params = maxMonths === null ? [from, to, now] : [from, to, now, now];
    // Counted before the insert: with found-rows on, an upsert's affected rows also count the duplicates.
    const [{ n }]: { n: number }[] = await m.query(
      `SELECT COUNT(*) AS n FROM client_rfm r
         LEFT JOIN dormant_actions d ON d.client_id = r.client_id AND d.tier = ? AND d.anchor_order_id = r.last_order_id
        WHERE ${window} AND d.id IS NULL`,
      [tier, ...params],
    );
    if (!Number(n)) return 0;
    await m.query(
      `INSERT INTO dormant_actions (client_id, tier, anchor_order_id, at)
       SELECT r.client_id, ?, r.last_order_id, ? FROM client_rfm r WHERE ${window}
       ON DUPLICATE KEY UPDATE dormant_actions.id = dormant_actions.id`,
      [tier, now, ...params],
    );
    // The actions written by this statement carry this run's time; their messages and tasks follow from them.
    const fresh: { client_id: number; anchor_order_id: number; dedupe_key: string }[] = await m.query(
      `SELECT a.client_id, a.anchor_order_id, CONCAT('dormant:', a.tier, ':', a.client_id, ':', a.anchor_order_id) AS dedupe_key
         FROM dormant_actions a WHERE a.tier = ? AND a.at = ? AND a.client_id BETWEEN ? AND ?`,
      [tier, now, from, to],
    );
    if (tier === 'callback_12m') {
      await this.deps.worklist.createMany(m, fresh.map((a) => ({
        kind: 'dormant_callback', dedupeKey: a.dedupe_key, clientId: Number(a.client_id), assigneeRole: 'customer_service' as const,
        title: CALLBACK_TEXT, details: { tier }, dueAt: now,
      })));
    } else {
      // The offer's vouchers, once per client and dormancy period (the anchor order), issued with the action.
      const targets = fresh.map((a) => ({ clientId: Number(a.client_id), period: `order:${a.anchor_order_id}` }));
      const gifts = byClient(await this.deps.rewards.issueByRule(m, tier, targets));
      const skinTests = byClient(tier === 'gift_6m' ? await this.deps.rewards.issueByRule(m, 'skin_test', targets) : []);
      await this.deps.outbox.enqueueMany(m, fresh.map((a) => {
        const msg = dormantMessage(tier, gifts.get(Number(a.client_id)), skinTests.get(Number(a.client_id)));
        return {
          kind: 'client_message', dedupeKey: a.dedupe_key, clientId: Number(a.client_id), dueAt: now,
          payload: {
            text: msg.text, purpose: 'care', card: { title: msg.title, pagePath: msg.pagePath },
            templateId: this.deps.config.care.subscribeTemplateId, data: { thing1: msg.title },
          },
        };
      }));
    }
    return Number(n);
  }

  /**
   * 生日特权 (DOMAIN.md, RFM: low frequency → birthday privileges): on a client's birthday (Shanghai
   * calendar; a 29 February birthday is kept on 28 February in other years) every active client who is
   * not a VIP gets the birthday voucher and a message naming it, once a year. Set-based over id ranges.
   */
  async birthdayPerks(now: Date = this.deps.clock.now()): Promise<number> {
    const { chunk } = this.deps.config.rfm;
    const today = shanghaiDate(now);
    const year = Number(today.slice(0, 4));
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    const days = today.slice(5) === '02-28' && !leap ? ['02-28', '02-29'] : [today.slice(5)];
    const [{ maxId }]: { maxId: number | null }[] = await this.deps.db.query('SELECT MAX(id) AS maxId FROM clients');
    let issued = 0;
    for (let from = 1; from <= (maxId ?? 0); from += chunk) {
      issued += await runInTransaction(this.deps.db, async (m) => {
        const due: { id: number }[] = await m.query(
          `SELECT c.id FROM clients c LEFT JOIN client_rfm r ON r.client_id = c.id
            WHERE c.id BETWEEN ? AND ? AND c.status = 'active' AND c.birth_date IS NOT NULL AND DATE_FORMAT(c.birth_date, '%m-%d') IN (?)
              AND (r.segment IS NULL OR r.segment <> 'vip')`,
          [from, from + chunk - 1, days],
        );
        const vouchers = await this.deps.rewards.issueByRule(m, 'birthday', due.map((c) => ({ clientId: Number(c.id), period: String(year) })));
        await this.deps.outbox.enqueueMany(m, vouchers.map((v) => ({
          kind: 'client_message', dedupeKey: `birthday:${v.clientId}:${year}`, clientId: v.clientId, dueAt: now,
          payload: {
            text: `生日快乐！感谢您一直以来的信任，送您一份生日特权：${v.sentence}，到院出示券码即可使用。`, purpose: 'care',
            card: { title: v.title, pagePath: MP_PAGES.vouchers }, templateId: this.deps.config.care.subscribeTemplateId, data: { thing1: v.title },
          },
        })));
        return vouchers.filter((v) => v.created).length;
      });
    }
    this.deps.logger.info({ issued }, 'birthday perks issued');
    return issued;
  }

  /** How many clients reached by each dormant action (in the range) paid an order afterwards, and what they spent. */
  async dormantReport(from: Date, to: Date): Promise<DormantReport> {
    const [counts, spent]: [{ tier: DormantTier; contacted: number; came_back: number }[], { tier: DormantTier; revenue: number | string | null }[]] = await Promise.all([
      this.deps.db.query(
        `SELECT a.tier, COUNT(*) AS contacted,
                SUM(EXISTS (SELECT 1 FROM orders o WHERE o.client_id = a.client_id AND ${PAID} AND o.paid_at > a.at)) AS came_back
           FROM dormant_actions a WHERE a.at >= ? AND a.at < ? GROUP BY a.tier`,
        [from, to],
      ),
      // What they spent: each order paid after the client's first action of the tier in the range, once
      // (a client offered twice does not count the later orders twice), less what was refunded of it.
      this.deps.db.query(
        `SELECT f.tier, SUM(o.amount_paid_fen - o.amount_refunded_fen) AS revenue
           FROM (SELECT tier, client_id, MIN(at) AS first_at FROM dormant_actions WHERE at >= ? AND at < ? GROUP BY tier, client_id) f
           JOIN orders o ON o.client_id = f.client_id AND ${PAID} AND o.paid_at > f.first_at
          GROUP BY f.tier`,
        [from, to],
      ),
    ]);
    const revenue = new Map(spent.map((r) => [r.tier, Number(r.revenue ?? 0)]));
    const rows = counts.map((r) => ({ ...r, revenue: revenue.get(r.tier) ?? 0 }));
    const byTier = new Map(rows.map((r) => [r.tier, r]));
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      tiers: (['care_3m', 'gift_6m', 'callback_12m'] as const).map((tier) => {
        const r = byTier.get(tier);
        const contacted = Number(r?.contacted ?? 0);
        const cameBack = Number(r?.came_back ?? 0);
        return { tier, contacted, cameBack, rate: contacted ? Math.round((cameBack / contacted) * 1000) / 1000 : 0, revenueFen: Number(r?.revenue ?? 0) };
      }),
    };
  }

  /** Segment sizes, for the director. */
  async segments(): Promise<{ segment: RfmSegment; clients: number }[]> {
    const rows: { segment: RfmSegment; n: number }[] = await this.deps.db.query('SELECT segment, COUNT(*) AS n FROM client_rfm GROUP BY segment ORDER BY segment');
    return rows.map((r) => ({ segment: r.segment, clients: Number(r.n) }));
  }
}

function byClient(vouchers: IssuedVoucher[]): Map<number, IssuedVoucher> {
  return new Map(vouchers.map((v) => [v.clientId, v]));
}
