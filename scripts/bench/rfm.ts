import type { DataSource } from 'typeorm';
import { ManualClock } from '../../src/shared/clock';
import { progress, report, withSeededDatabase, BenchDb, SeedState, WithDatabase } from './harness';
import { seedBulkClients, seedBulkStaff, SQL_PUBLIC_ID } from './seed';

// Kept between runs (seeding takes minutes); a run starts from empty RFM tables.
const DB_NAME = 'meiyan_bench_rfm';
// The nightly run's instant (02:30 in Shanghai), fixed so that a reused database gives the same figures.
const AT = new Date('2026-05-31T18:30:00.000Z');
const CLIENTS = 1_000_000;
const ORDERS = 1_500_000;
const ORDER_CHUNK = 150_000;
const DAY_S = 86_400;

/**
 * RfmService.run (the nightly task) over 1,000,000 clients and 1,500,000 orders of the
 * last two years. `s` is a first run from empty RFM tables (every client computed and tagged, the
 * dormant actions written); `rerun_s` the same night again (only the figures move).
 */
export async function rfmBench(withDatabase: WithDatabase): Promise<void> {
  const clock = new ManualClock(AT);
  const kept = {
    state: seededState, seed: ({ deps }: BenchDb) => seed(deps.db), reset,
    what: `${CLIENTS.toLocaleString('en')} clients and ${ORDERS.toLocaleString('en')} orders`,
  };
  await withSeededDatabase(withDatabase, DB_NAME, { clock }, kept, async ({ deps, services }) => {

    progress(`rfm.run over ${CLIENTS.toLocaleString('en')} clients (RFM_CHUNK=${deps.config.rfm.chunk}), from empty RFM tables`);
    let started = process.hrtime.bigint();
    const first = await services.rfm.run(AT);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    progress(`first run: ${JSON.stringify(first)}; again`);
    started = process.hrtime.bigint();
    const again = await services.rfm.run(AT);
    const rerun = Number(process.hrtime.bigint() - started) / 1e9;

    const [{ n }] = await deps.db.query('SELECT COUNT(*) AS n FROM client_rfm');
    if (Number(n) !== first.clients || again.clients !== first.clients || again.retagged !== 0) {
      throw new Error(`rfm computed ${first.clients} clients, stored ${n}, and the rerun computed ${again.clients} and retagged ${again.retagged}`);
    }
    report('rfm', { s: seconds, rerun_s: rerun, clients: first.clients, retagged: first.retagged }, { s: ['<', 30] });
  });
}

/** 'yes' when every order is there (the last thing seeded), 'empty' for a new database, else 'partial'. */
async function seededState(db: DataSource): Promise<SeedState> {
  const [{ orders }] = await db.query('SELECT COUNT(*) AS orders FROM orders');
  const [{ clients }] = await db.query('SELECT COUNT(*) AS clients FROM clients');
  if (Number(orders) === ORDERS && Number(clients) === CLIENTS) return 'yes';
  return Number(clients) === 0 && Number(orders) === 0 ? 'empty' : 'partial';
}

/** What a run writes goes: RFM figures, tags, tag syncs, dormant actions and their vouchers, messages and tasks. */
async function reset(db: DataSource): Promise<void> {
  for (const table of ['client_rfm', 'client_tags', 'outbox_messages', 'dormant_actions', 'staff_tasks', 'vouchers']) await db.query(`TRUNCATE TABLE ${table}`);
}

/**
 * 1,000,000 clients (1% deleted accounts), then 1,500,000 orders over the two years before AT on
 * random clients (so about a fifth of the clients never bought, many bought several times), 4%
 * refunded in part or in full; all by INSERT … SELECT over the sequence engine.
 */
async function seed(db: DataSource): Promise<void> {
  const started = Date.now();
  const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;
  progress(`seeding ${DB_NAME}: ${CLIENTS.toLocaleString('en')} clients`);
  const staff = await seedBulkStaff(db, { doctor: 6 });
  const clients = await seedBulkClients(db, {
    openidPrefix: 'bench-rfm-', count: CLIENTS, at: new Date(AT.getTime() - 800 * DAY_S * 1000),
    columns: { status: "IF(s.seq MOD 100 = 0, 'deleted', 'active')" },
    onProgress: (done) => progress(`clients ${done.toLocaleString('en')} of ${CLIENTS.toLocaleString('en')} (${elapsed()})`),
  });
  // Spread without RAND(): the same seed every time, and independent choices per tag.
  const hash = (tag: string, expr: string) => `CRC32(CONCAT('${tag}:', ${expr}))`;
  for (let from = 1; from <= ORDERS; from += ORDER_CHUNK) {
    const to = Math.min(ORDERS, from + ORDER_CHUNK - 1);
    await db.query(
      `INSERT INTO orders (public_id, order_no, request_hash, client_id, doctor_id, consultant_id, paid_at, amount_paid_fen, amount_refunded_fen, status, created_at, updated_at)
       SELECT ${SQL_PUBLIC_ID}, CONCAT('BENCH-RFM-', x.seq), SHA2(CONCAT('bench-rfm-', x.seq), 256), x.client_id,
              ELT(1 + x.seq MOD ${staff.doctor.length}, ${staff.doctor.join(', ')}), NULL, x.paid_at, x.amount,
              CASE WHEN x.r < 2 THEN x.amount WHEN x.r < 4 THEN x.amount DIV 2 ELSE 0 END,
              CASE WHEN x.r < 2 THEN 'refunded' WHEN x.r < 4 THEN 'partially_refunded' ELSE 'paid' END, x.paid_at, x.paid_at
         FROM (SELECT s.seq, ${clients.firstId} + ${hash('client', 's.seq')} MOD ${CLIENTS} AS client_id,
                      ? - INTERVAL 1 + ${hash('paid', 's.seq')} MOD ${730 * DAY_S} SECOND AS paid_at,
                      50000 + ${hash('amount', 's.seq')} MOD 3000000 AS amount, ${hash('status', 's.seq')} MOD 100 AS r
                 FROM seq_${from}_to_${to} s) x
        ORDER BY x.seq`,
      [AT],
    );
    progress(`orders ${to.toLocaleString('en')} of ${ORDERS.toLocaleString('en')} (${elapsed()})`);
  }
  progress(`seeded ${DB_NAME} in ${elapsed()}`);
}
