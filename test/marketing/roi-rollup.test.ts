import { createTestContext, TestContext } from '../helpers/context';
import { createClient, createStaff } from '../helpers/factories';
import { externalNo, recordOrder, seededProject, staffActor } from '../helpers/orders';
import { SYSTEM_ACTOR } from '../../src/modules/audit';
import { rebuildRoiRollup, type RoiQuery } from '../../src/modules/marketing';
import { runInTransaction } from '../../src/shared/db';
import type { Client } from '../../src/modules/clients';
import type { Staff } from '../../src/modules/staff';

type Row = Record<string, any>;
const ROLLUP_TABLES = {
  marketing_roi_months: 'attribution, month, channel',
  marketing_roi_client_months: 'attribution, month, channel, client_id',
  marketing_roi_clients: 'client_id',
};

describe('the channel ROI rollup equals a recomputation from the orders', () => {
  let t: TestContext;
  let director: Staff, doctor: Staff;
  let projectId: string;
  const at = (iso: string) => new Date(iso);

  async function client(channel: string | null, createdAt: string): Promise<Client> {
    const c = await createClient(t, { sourceChannel: channel });
    await t.deps.db.query('UPDATE clients SET created_at = ? WHERE id = ?', [at(createdAt), c.id]);
    return c;
  }
  const pay = (c: Client, paidAt: string, amountFen: number) =>
    recordOrder(t, { client: c, doctor, paidAt: at(paidAt), items: [{ projectId, amountFen }], treated: false });
  const refund = (orderId: string, amountFen: number) =>
    t.services.orders.refund(staffActor(director), orderId, { refundNo: externalNo('R'), amountFen, reason: '退款' });
  const voidOrder = (orderId: string) => t.services.orders.voidOrder(staffActor(director), orderId, '作废');
  const touch = (c: Client, utm: string, createdAt: string) =>
    t.deps.db.query("INSERT INTO client_touches (client_id, kind, utm_source, created_at) VALUES (?, 'login', ?, ?)", [c.id, utm, at(createdAt)]);

  /** Every attribution, grouping and a few ranges: the report from the rollup equals the one from the orders. */
  async function expectRollupEqualsRecomputation(): Promise<void> {
    const ranges = [['2027-12', '2028-04'], ['2028-02', '2028-02'], ['2028-01', '2028-03'], ['2028-03', '2028-03']];
    for (const [from, to] of ranges) {
      for (const attribution of ['first', 'last'] as const) {
        for (const groupBy of ['month', 'range'] as const) {
          const q: RoiQuery = { from, to, attribution, groupBy };
          const [kept, recomputed] = await Promise.all([t.services.marketing.roiReport(SYSTEM_ACTOR, q), t.services.marketing.recomputeRoi(q)]);
          expect({ q, ...kept }).toEqual({ q, ...recomputed });
        }
      }
    }
  }
  const snapshot = async () => {
    const out: Record<string, Row[]> = {};
    for (const [table, key] of Object.entries(ROLLUP_TABLES)) out[table] = await t.deps.db.query(`SELECT * FROM ${table} ORDER BY ${key}`);
    return out;
  };
  const rowOf = (rows: Row[], channel: string, month: string) => rows.find((r) => r.channel === channel && r.month === month);

  beforeAll(async () => {
    // Its own database: the report counts every order of the hospital. The clock stands after a leap February.
    t = await createTestContext({ now: '2028-04-10T02:00:00Z', isolatedDatabase: true, env: { ORDER_MAX_BACKDATE_DAYS: '400' } });
    director = await createStaff(t, 'director');
    doctor = await createStaff(t, 'doctor');
    projectId = (await seededProject(t, 'photorejuvenation')).id;
  });
  afterAll(async () => { await t.close(); });

  it('Shanghai months decide the cell: Feb 29 23:59:59.999 is February, Mar 1 00:00 is March, Jan 31 24:00 is February', async () => {
    const a = await client('xiaohongshu', '2027-12-20T03:00:00Z');
    await pay(a, '2028-01-31T15:59:59.999Z', 100); // Shanghai 2028-01-31 23:59:59.999
    await pay(a, '2028-01-31T16:00:00.000Z', 200); // Shanghai 2028-02-01 00:00
    await pay(a, '2028-02-28T16:00:00.000Z', 400); // Shanghai 2028-02-29 00:00 (leap day)
    await pay(a, '2028-02-29T15:59:59.999Z', 800); // Shanghai 2028-02-29 23:59:59.999
    await pay(a, '2028-02-29T16:00:00.000Z', 1600); // Shanghai 2028-03-01 00:00 (still 29 Feb in UTC)

    const res = await t.services.marketing.roiReport(SYSTEM_ACTOR, { from: '2028-01', to: '2028-03', attribution: 'first', groupBy: 'month' });
    expect(['2028-01', '2028-02', '2028-03'].map((m) => rowOf(res.rows, 'xiaohongshu', m)?.revenueFen)).toEqual([100, 1400, 1600]);
    // New paying client in January only; paying in each month; once over the range.
    expect(['2028-01', '2028-02', '2028-03'].map((m) => rowOf(res.rows, 'xiaohongshu', m)?.newPayingClients)).toEqual([1, 0, 0]);
    expect(['2028-01', '2028-02', '2028-03'].map((m) => rowOf(res.rows, 'xiaohongshu', m)?.payingClients)).toEqual([1, 1, 1]);
    expect(res.totals.payingClients).toBe(1);
    await expectRollupEqualsRecomputation();
  });

  it('refunds, voids and a voided first order move revenue, paying and new paying clients as a recomputation would', async () => {
    // B: 抖音 lead; a later 百度 return visit makes the February payments last-touch 百度.
    const b = await client('douyin', '2028-01-05T03:00:00Z');
    const b1 = await pay(b, '2028-01-10T03:00:00Z', 50_000);
    await touch(b, 'baidu', '2028-02-01T03:00:00Z');
    const b2 = await pay(b, '2028-02-10T03:00:00Z', 30_000);
    const b3 = await pay(b, '2028-02-12T03:00:00Z', 10_000);
    await refund(b1.id, 20_000); // partly: still paying in January
    await expectRollupEqualsRecomputation();
    await refund(b1.id, 30_000); // the rest: January has no paying B, the new paying client moves to February (百度 last touch)
    await expectRollupEqualsRecomputation();
    await voidOrder(b2.id); // February still has b3
    await refund(b3.id, 4_000);
    await expectRollupEqualsRecomputation();
    await voidOrder(b3.id); // nothing left: B is no paying client anywhere
    const res = await t.services.marketing.roiReport(SYSTEM_ACTOR, { from: '2028-01', to: '2028-02', attribution: 'last', groupBy: 'month' });
    expect(rowOf(res.rows, 'baidu', '2028-02')).toBeUndefined();
    expect(rowOf(res.rows, 'douyin', '2028-01')).toMatchObject({ revenueFen: 0, payingClients: 0, newPayingClients: 0, leads: 1, firstOrders: 0 });
    await expectRollupEqualsRecomputation();

    // C: no channel recorded; a voided first order and a partly refunded second one, across Shanghai midnight.
    const c = await client(null, '2028-02-29T15:30:00Z');
    const c1 = await pay(c, '2028-02-29T15:45:00Z', 9_999);
    await pay(c, '2028-02-29T16:15:00Z', 7_777);
    await voidOrder(c1.id);
    await expectRollupEqualsRecomputation();
    const march = await t.services.marketing.roiReport(SYSTEM_ACTOR, { from: '2028-03', to: '2028-03', attribution: 'first', groupBy: 'month' });
    expect(rowOf(march.rows, 'unknown', '2028-03')).toMatchObject({ revenueFen: 7_777, payingClients: 1, newPayingClients: 1 });
  });

  it('a payment and a refund of one client at the same time, from two services sharing the database, leave the rollup right', async () => {
    const second = await createTestContext({ now: '2028-04-10T02:00:00Z', shareDatabaseOf: t, env: { ORDER_MAX_BACKDATE_DAYS: '400' } });
    try {
      const d = await client('dianping', '2028-03-01T03:00:00Z');
      const d1 = await pay(d, '2028-03-02T03:00:00Z', 10_000);
      for (let i = 0; i < 4; i++) {
        await Promise.all([
          second.services.orders.recordOrder(SYSTEM_ACTOR, { orderNo: externalNo(), clientId: d.publicId, doctorId: doctor.publicId, paidAt: at(`2028-03-0${3 + i}T03:00:00Z`), items: [{ projectId, amountFen: 1_000 }] }),
          i === 0 ? voidOrder(d1.id) : pay(d, `2028-03-0${3 + i}T04:00:00Z`, 2_000),
        ]);
      }
      await expectRollupEqualsRecomputation();
    } finally {
      await second.close();
    }
  });

  it('rebuilding from the orders (what the migration does) gives the tables the order paths kept', async () => {
    const kept = await snapshot();
    expect(kept.marketing_roi_months.length).toBeGreaterThan(0);
    await runInTransaction(t.deps.db, (m) => rebuildRoiRollup(m));
    const rebuilt = await snapshot();
    // The order paths leave a lock row for a client with nothing left paid, and a cell whose figures went back to zero; the rebuild writes neither.
    const counts = (tables: Record<string, Row[]>) => ({
      ...tables,
      marketing_roi_clients: tables.marketing_roi_clients.filter((r) => r.first_month !== null),
      marketing_roi_months: tables.marketing_roi_months.filter((r) => Number(r.revenue_fen) !== 0 || r.paying_clients !== 0 || r.new_paying_clients !== 0),
    });
    expect(counts(rebuilt)).toEqual(counts(kept));
    await expectRollupEqualsRecomputation();
  });
});
