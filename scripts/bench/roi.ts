import type { DataSource } from 'typeorm';
import { ManualClock } from '../../src/shared/clock';
import { SYSTEM_ACTOR } from '../../src/modules/audit';
import { rebuildRoiRollup } from '../../src/modules/marketing';
import { runInTransaction } from '../../src/shared/db';
import { progress, report, withSeededDatabase, BenchDb, SeedState, WithDatabase } from './harness';
import { seedBulkClients, seedBulkStaff, SQL_PUBLIC_ID } from './seed';

// Kept between runs (seeding takes minutes); the report writes only an audit row.
const DB_NAME = 'meiyan_bench_roi';
const AT = new Date('2027-01-05T02:00:00.000Z');
// The business year 2026 in Shanghai.
const YEAR_START = new Date('2025-12-31T16:00:00.000Z');
const YEAR_S = 365 * 86_400;
const CLIENTS = 200_000;
const ORDERS = 1_000_000;
const TOUCHES = 300_000;
const WECOM_ADDS = 40_000;
const CHUNK = 100_000;
const CHANNELS = ['xiaohongshu', 'douyin', 'baidu', 'dianping', 'referral', 'offline_event', 'wecom', 'website'];

/**
 * MarketingService.roiReport over one year: 200,000 clients who arrived during it across eight
 * channels, 1,000,000 orders paid during it (4% refunded in part or in full, 1% voided), 300,000
 * later touches with a UTM source, 40,000 WeCom adds through channel codes, a year of monthly
 * spend per channel. `ms`: first touch by month; `last_ms`: last touch by month; `range_ms`: first
 * touch over the whole year (distinct paying clients per channel).
 */
export async function roiBench(withDatabase: WithDatabase): Promise<void> {
  const clock = new ManualClock(AT);
  const kept = { state: seededState, seed: ({ deps }: BenchDb) => seed(deps.db), reset: async () => undefined, what: `${ORDERS.toLocaleString('en')} orders of one year` };
  await withSeededDatabase(withDatabase, DB_NAME, { clock }, kept, async ({ services }) => {
    const q = { from: '2026-01', to: '2026-12', groupBy: 'month' as const };
    // A first, unmeasured run warms the buffer pool as a director's second look would find it.
    await services.marketing.roiReport(SYSTEM_ACTOR, { ...q, attribution: 'first' });
    let started = process.hrtime.bigint();
    const first = await services.marketing.roiReport(SYSTEM_ACTOR, { ...q, attribution: 'first' });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    started = process.hrtime.bigint();
    const last = await services.marketing.roiReport(SYSTEM_ACTOR, { ...q, attribution: 'last' });
    const lastMs = Number(process.hrtime.bigint() - started) / 1e6;
    started = process.hrtime.bigint();
    await services.marketing.roiReport(SYSTEM_ACTOR, { ...q, attribution: 'first', groupBy: 'range' });
    const rangeMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (first.totals.revenueFen !== last.totals.revenueFen || first.rows.length < CHANNELS.length * 12) {
      throw new Error(`first-touch revenue ${first.totals.revenueFen} in ${first.rows.length} rows, last-touch ${last.totals.revenueFen}`);
    }
    report('roi_report', { ms, last_ms: lastMs, range_ms: rangeMs, rows: first.rows.length }, { ms: ['<', 2000], last_ms: ['<', 2000], range_ms: ['<', 2000] });
  });
}

async function seededState(db: DataSource): Promise<SeedState> {
  const [{ orders }] = await db.query('SELECT COUNT(*) AS orders FROM orders');
  const [{ spend }] = await db.query('SELECT COUNT(*) AS spend FROM marketing_spend');
  if (Number(orders) === ORDERS && Number(spend) === CHANNELS.length * 12) return 'yes';
  const [{ clients }] = await db.query('SELECT COUNT(*) AS clients FROM clients');
  return Number(clients) === 0 && Number(orders) === 0 ? 'empty' : 'partial';
}

async function seed(db: DataSource): Promise<void> {
  const started = Date.now();
  const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;
  const hash = (tag: string, expr: string) => `CRC32(CONCAT('${tag}:', ${expr}))`;
  const channelOf = (expr: string) => `ELT(1 + ${expr} MOD ${CHANNELS.length}, ${CHANNELS.map((c) => `'${c}'`).join(', ')})`;
  const staff = await seedBulkStaff(db, { doctor: 4 });
  const clients = await seedBulkClients(db, {
    openidPrefix: 'bench-roi-', count: CLIENTS, at: YEAR_START,
    columns: { source_channel: channelOf(hash('ch', 's.seq')) },
    onProgress: (done) => progress(`clients ${done.toLocaleString('en')} (${elapsed()})`),
  });
  // Arrivals spread over the year.
  await db.query(`UPDATE clients SET created_at = ? + INTERVAL (${hash('arrive', 'id')} MOD ${YEAR_S}) SECOND WHERE id BETWEEN ? AND ?`, [YEAR_START, clients.firstId, clients.lastId]);
  for (let from = 1; from <= ORDERS; from += CHUNK) {
    const to = Math.min(ORDERS, from + CHUNK - 1);
    await db.query(
      `INSERT INTO orders (public_id, order_no, request_hash, client_id, doctor_id, consultant_id, paid_at, amount_paid_fen, amount_refunded_fen, status, created_at, updated_at)
       SELECT ${SQL_PUBLIC_ID}, CONCAT('BENCH-ROI-', x.seq), SHA2(CONCAT('bench-roi-', x.seq), 256), x.client_id,
              ELT(1 + x.seq MOD ${staff.doctor.length}, ${staff.doctor.join(', ')}), NULL, x.paid_at, x.amount,
              CASE WHEN x.r < 2 THEN x.amount WHEN x.r < 4 THEN x.amount DIV 2 ELSE 0 END,
              CASE WHEN x.r < 1 THEN 'voided' WHEN x.r < 2 THEN 'refunded' WHEN x.r < 4 THEN 'partially_refunded' ELSE 'paid' END, x.paid_at, x.paid_at
         FROM (SELECT s.seq, ${clients.firstId} + ${hash('client', 's.seq')} MOD ${CLIENTS} AS client_id,
                      ? + INTERVAL ${hash('paid', 's.seq')} MOD ${YEAR_S} SECOND AS paid_at,
                      50000 + ${hash('amount', 's.seq')} MOD 3000000 AS amount, ${hash('status', 's.seq')} MOD 100 AS r
                 FROM seq_${from}_to_${to} s) x
        ORDER BY x.seq`,
      [YEAR_START],
    );
    progress(`orders ${to.toLocaleString('en')} of ${ORDERS.toLocaleString('en')} (${elapsed()})`);
  }
  for (let from = 1; from <= TOUCHES; from += CHUNK) {
    const to = Math.min(TOUCHES, from + CHUNK - 1);
    await db.query(
      `INSERT INTO client_touches (client_id, kind, utm_source, created_at)
       SELECT ${clients.firstId} + ${hash('tclient', 's.seq')} MOD ${CLIENTS}, 'login', ${channelOf(hash('tch', 's.seq'))}, ? + INTERVAL ${hash('tat', 's.seq')} MOD ${YEAR_S} SECOND
         FROM seq_${from}_to_${to} s`,
      [YEAR_START],
    );
  }
  await db.query(
    `INSERT INTO wecom_external_contacts (external_userid, userid, client_id, state, status, added_at, last_event_at, channel)
     SELECT CONCAT('wm_bench_', s.seq), 'bench', ${clients.firstId} + ${hash('wclient', 's.seq')} MOD ${CLIENTS}, 'ch_bench', 'active',
            ? + INTERVAL ${hash('wat', 's.seq')} MOD ${YEAR_S} SECOND, ?, ${channelOf(hash('wch', 's.seq'))}
       FROM seq_1_to_${WECOM_ADDS} s`,
    [YEAR_START, YEAR_START],
  );
  for (let month = 1; month <= 12; month++) {
    for (const channel of CHANNELS) {
      await db.query(
        `INSERT INTO marketing_spend (public_id, channel, month, amount_fen, recorded_by, created_at) VALUES (${SQL_PUBLIC_ID}, ?, ?, ?, ?, ?)`,
        [channel, `2026-${String(month).padStart(2, '0')}`, 5_000_000 + month * 100_000, staff.doctor[0], AT],
      );
    }
  }
  // The orders went in by SQL, past the order hooks: the rollup is built as the migration builds it.
  await runInTransaction(db, (m) => rebuildRoiRollup(m));
  progress(`seeded ${DB_NAME} in ${elapsed()}`);
}
