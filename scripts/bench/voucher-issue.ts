import type { DataSource } from 'typeorm';
import { ManualClock } from '../../src/shared/clock';
import { progress, report, withSeededDatabase, BenchDb, SeedState, WithDatabase } from './harness';
import { seedBulkClients, seedBulkStaff, SQL_PUBLIC_ID } from './seed';

// Kept between runs; a run starts from empty RFM, voucher and outbox tables.
const DB_NAME = 'meiyan_bench_vouchers';
// The nightly run's instant (02:30 in Shanghai).
const AT = new Date('2026-05-31T18:30:00.000Z');
const CLIENTS = 100_000;
const DAY_S = 86_400;

/**
 * The nightly rules issuing vouchers: RfmService.run (the 'rfm' task) over 100,000 clients who are all
 * due the 3-month care offer (one paid order 100–170 days ago), so each gets its voucher and the
 * message naming it. `per_s` is vouchers issued per second of the run; `s` the whole run (figures,
 * tags, the dormant actions, the vouchers and the messages); `rerun_s` the same night again (nothing
 * new to issue: the unique key makes it a no-op).
 */
export async function voucherIssueBench(withDatabase: WithDatabase): Promise<void> {
  const clock = new ManualClock(AT);
  const kept = { state: seededState, seed: ({ deps }: BenchDb) => seed(deps.db), reset, what: `${CLIENTS.toLocaleString('en')} clients due the care offer` };
  await withSeededDatabase(withDatabase, DB_NAME, { clock }, kept, async ({ deps, services }) => {
    progress(`rfm.run over ${CLIENTS.toLocaleString('en')} clients due the care voucher (RFM_CHUNK=${deps.config.rfm.chunk})`);
    let started = process.hrtime.bigint();
    const first = await services.rfm.run(AT);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    started = process.hrtime.bigint();
    await services.rfm.run(AT);
    const rerun = Number(process.hrtime.bigint() - started) / 1e9;

    const [{ n }] = await deps.db.query("SELECT COUNT(*) AS n FROM vouchers WHERE rule = 'care_3m'");
    const [{ m }] = await deps.db.query("SELECT COUNT(*) AS m FROM outbox_messages WHERE dedupe_key LIKE 'dormant:care_3m:%'");
    if (Number(n) !== CLIENTS || Number(m) !== CLIENTS || first.dormant.care_3m !== CLIENTS) {
      throw new Error(`wanted ${CLIENTS} care vouchers and messages; the run counted ${first.dormant.care_3m}, stored ${n} vouchers and ${m} messages`);
    }
    report('voucher_issue', { per_s: Number(n) / seconds, s: seconds, rerun_s: rerun, vouchers: Number(n) }, { s: ['<', 60] });
  });
}

async function seededState(db: DataSource): Promise<SeedState> {
  const [{ orders }] = await db.query('SELECT COUNT(*) AS orders FROM orders');
  const [{ clients }] = await db.query('SELECT COUNT(*) AS clients FROM clients');
  if (Number(orders) === CLIENTS && Number(clients) === CLIENTS) return 'yes';
  return Number(clients) === 0 && Number(orders) === 0 ? 'empty' : 'partial';
}

/** What a run writes goes. */
async function reset(db: DataSource): Promise<void> {
  for (const table of ['client_rfm', 'client_tags', 'outbox_messages', 'dormant_actions', 'staff_tasks', 'vouchers']) await db.query(`TRUNCATE TABLE ${table}`);
}

/** 100,000 active clients, each with one paid order 100–170 days before AT (the care window is 3–6 months). */
async function seed(db: DataSource): Promise<void> {
  progress(`seeding ${DB_NAME}: ${CLIENTS.toLocaleString('en')} clients and their orders`);
  const staff = await seedBulkStaff(db, { doctor: 2 });
  const clients = await seedBulkClients(db, { openidPrefix: 'bench-voucher-', count: CLIENTS, at: new Date(AT.getTime() - 400 * DAY_S * 1000) });
  await db.query(
    `INSERT INTO orders (public_id, order_no, request_hash, client_id, doctor_id, consultant_id, paid_at, amount_paid_fen, amount_refunded_fen, status, created_at, updated_at)
     SELECT ${SQL_PUBLIC_ID}, CONCAT('BENCH-VOUCHER-', s.seq), SHA2(CONCAT('bench-voucher-', s.seq), 256), ${clients.firstId} + s.seq - 1, ${staff.doctor[0]}, NULL,
            ? - INTERVAL (100 * ${DAY_S} + s.seq MOD (70 * ${DAY_S})) SECOND, 298000, 0, 'paid', ?, ?
       FROM seq_1_to_${CLIENTS} s ORDER BY s.seq`,
    [AT, AT, AT],
  );
}
