import { fork } from 'node:child_process';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { ManualClock } from '../../src/shared/clock';
import { clientAad } from '../../src/modules/clients';
import type { Deps, Services } from '../../src/services';
import { progress, report, withSeededDatabase, BenchDb, SeedState, WithDatabase } from './harness';
import { seedBulkClients, seedBulkStaff, SQL_PUBLIC_ID } from './seed';

// Kept between runs (seeding takes minutes); a run puts the steps it enqueued back to 'scheduled'.
const DB_NAME = 'meiyan_bench_due';
// The instant of the scan, fixed so that a reused database has the same steps due: 10:00 in Shanghai.
export const AT = new Date('2026-06-01T02:00:00.000Z');
const STEPS = 1_000_000;
const CLIENTS = 100_000;
const ORDERS = 200_000;
// Steps due at AT (a backlog spread over the day before); the rest fall over the next year.
const DUE_PERCENT = 1;
const ORDER_CHUNK = 20_000;
const DAY_S = 86_400;

/**
 * CareService.enqueueDue (the scheduler's every-minute task) over 1,000,000 scheduled
 * follow-up steps of 200,000 orders and 100,000 clients, ~1% of them due: seconds from the first
 * claim until no due step is left, and the process's peak memory (RSS, sampled every 10 ms).
 */
export async function dueScanBench(withDatabase: WithDatabase): Promise<void> {
  const clock = new ManualClock(AT);
  const kept = { state: seededState, seed: ({ deps, services }: BenchDb) => seed(deps, services), reset, what: `${STEPS.toLocaleString('en')} steps` };
  await withSeededDatabase(withDatabase, DB_NAME, { clock }, kept, async ({ deps, env }) => {
    const [{ due }] = await deps.db.query("SELECT COUNT(*) AS due FROM followup_steps WHERE status = 'scheduled' AND due_at <= ?", [AT]);
    progress(`enqueueDue over ${STEPS.toLocaleString('en')} scheduled steps, ${Number(due).toLocaleString('en')} due`);

    // The scan runs in a process of its own, so its peak memory is the scan's and not the seeding's.
    const { s: seconds, steps, rssMb, heapMb, startRssMb } = await runChild(env);
    await check(deps.db, Number(due), steps);
    report('due_scan', { s: seconds, mb: rssMb, heap_mb: heapMb, rss_start_mb: startRssMb, steps }, { s: ['<', 5], mb: ['<', 256] });
  });
}

export interface ScanResult {
  s: number;
  steps: number;
  rssMb: number;
  heapMb: number;
  startRssMb: number;
}

/** Forks due-scan-child with the bench database's settings and answers what it measured. */
function runChild(env: Record<string, string>): Promise<ScanResult> {
  const script = path.join(__dirname, `due-scan-child${path.extname(__filename)}`);
  const execArgv = path.extname(__filename) === '.ts' ? ['-r', path.resolve(__dirname, '../../test/miniprogram/helpers/register-ts.js')] : [];
  return new Promise((resolve, reject) => {
    const child = fork(script, [], { env: { ...process.env, ...env }, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: ScanResult | null = null;
    child.on('message', (m) => { result = m as ScanResult; });
    child.on('error', reject);
    child.on('exit', (code) => (result && code === 0 ? resolve(result) : reject(new Error(`the due scan's process ended with ${code}`))));
  });
}

/** 'yes' when every step is there (the last thing seeded), 'empty' for a new database, else 'partial'. */
async function seededState(db: DataSource): Promise<SeedState> {
  const [{ steps }] = await db.query('SELECT COUNT(*) AS steps FROM followup_steps');
  const [{ clients }] = await db.query('SELECT COUNT(*) AS clients FROM clients');
  // A seed from before the scan joined treatments has none: seeded again.
  const [{ treatments }] = await db.query('SELECT COUNT(*) AS treatments FROM treatments');
  if (Number(steps) === STEPS && Number(treatments) > 0) return 'yes';
  return Number(clients) === 0 && Number(steps) === 0 ? 'empty' : 'partial';
}

/** What a run changed goes back: the steps to 'scheduled', and the messages, tasks and surveys they made are removed. */
async function reset(db: DataSource): Promise<void> {
  await db.query("UPDATE followup_steps SET status = 'scheduled', enqueued_at = NULL WHERE status <> 'scheduled'");
  for (const table of ['outbox_messages', 'staff_tasks', 'satisfaction_surveys']) await db.query(`TRUNCATE TABLE ${table}`);
}

/** Nothing due is left, and every step enqueued left its message or staff task. */
async function check(db: DataSource, due: number, steps: number): Promise<void> {
  const [{ remaining }] = await db.query("SELECT COUNT(*) AS remaining FROM followup_steps WHERE status = 'scheduled' AND due_at <= ?", [AT]);
  const [{ messages }] = await db.query("SELECT COUNT(*) AS messages FROM outbox_messages WHERE kind = 'client_message' AND dedupe_key LIKE 'followup:%'");
  const [{ tasks }] = await db.query("SELECT COUNT(*) AS tasks FROM staff_tasks WHERE kind = 'followup_callback'");
  if (Number(remaining) || steps !== due || Number(messages) + Number(tasks) !== due) {
    throw new Error(`due scan left ${remaining} due steps; enqueued ${steps} of ${due}, wrote ${messages} messages and ${tasks} tasks`);
  }
}

/**
 * Staff, 100,000 clients with encrypted names and a consultant, 200,000 paid orders of one project
 * each (half surgery, so the long plans dominate), and their plans' steps up to 1,000,000, all by
 * INSERT … SELECT except the names (the scan decrypts them for the salutation).
 */
async function seed(deps: Deps, services: Services): Promise<void> {
  const { db } = deps;
  const started = Date.now();
  const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;
  progress(`seeding ${DB_NAME}: staff and ${CLIENTS.toLocaleString('en')} clients`);
  const staff = await seedBulkStaff(db, { doctor: 6, consultant: 12, customer_service: 4 });
  const clients = await seedBulkClients(db, {
    openidPrefix: 'bench-due-', count: CLIENTS, at: new Date(AT.getTime() - 400 * DAY_S * 1000),
    columns: {
      gender: "ELT(1 + s.seq MOD 5, 'female', 'female', 'female', 'male', 'unknown')",
      consultant_id: `ELT(1 + s.seq MOD ${staff.consultant.length}, ${staff.consultant.join(', ')})`,
      stage: "'post_op'",
    },
  });

  progress(`encrypting ${CLIENTS.toLocaleString('en')} client names (${elapsed()})`);
  const surnames = [...'王李张刘陈杨黄赵吴周徐孙马朱胡林'];
  const given = ['晓雯', '丽', '静', '敏', '婷婷', '雪', '芳', '娜', '子涵', '欣怡', '伟', '浩'];
  for (let from = clients.firstId; from <= clients.lastId; from += 5000) {
    const rows: { id: number; public_id: string; openid: string; referral_code: string }[] = await db.query(
      'SELECT id, public_id, openid, referral_code FROM clients WHERE id BETWEEN ? AND ?', [from, Math.min(clients.lastId, from + 4999)],
    );
    await db.query(
      `INSERT INTO clients (id, public_id, openid, referral_code, name_enc) VALUES ${rows.map(() => '(?, ?, ?, ?, ?)').join(', ')}
       ON DUPLICATE KEY UPDATE name_enc = VALUES(name_enc)`,
      rows.flatMap((r) => {
        const name = `${surnames[r.id % surnames.length]}${given[(r.id >> 4) % given.length]}`;
        return [r.id, r.public_id, r.openid, r.referral_code, services.cipher.encrypt(name, clientAad.client(r.public_id, 'name'))];
      }),
    );
  }

  // Half surgery, a third light, the rest skin care: the catalog the migration ships.
  const projects: { id: number; category: string }[] = await db.query('SELECT id, category FROM projects WHERE active = 1 ORDER BY id');
  const of = (category: string) => projects.filter((p) => p.category === category).map((p) => p.id);
  const pick = (ids: number[], n: number) => Array.from({ length: n }, (_, i) => ids[i % ids.length]);
  const weighted = [...pick(of('surgery'), 5), ...pick(of('light'), 3), ...pick(of('skin'), 2)];
  // Spread without RAND(): the same seed every time, and independent choices per tag.
  const hash = (tag: string, expr: string) => `CRC32(CONCAT('${tag}:', ${expr}))`;
  for (let from = 1; from <= ORDERS; from += ORDER_CHUNK) {
    const to = Math.min(ORDERS, from + ORDER_CHUNK - 1);
    progress(`orders ${from.toLocaleString('en')}–${to.toLocaleString('en')} of ${ORDERS.toLocaleString('en')} (${elapsed()})`);
    await db.query(
      `INSERT INTO orders (public_id, order_no, request_hash, client_id, doctor_id, consultant_id, paid_at, amount_paid_fen, status, created_at, updated_at)
       SELECT ${SQL_PUBLIC_ID}, CONCAT('BENCH-DUE-', s.seq), SHA2(CONCAT('bench-due-', s.seq), 256), ${clients.firstId} + ${hash('client', 's.seq')} MOD ${CLIENTS},
              ELT(1 + s.seq MOD ${staff.doctor.length}, ${staff.doctor.join(', ')}),
              IF(s.seq MOD 2 = 0, ELT(1 + s.seq MOD ${staff.consultant.length}, ${staff.consultant.join(', ')}), NULL),
              ? - INTERVAL ${hash('paid', 's.seq')} MOD ${180 * DAY_S} SECOND, 100000 + ${hash('amount', 's.seq')} MOD 5000000, 'paid', ?, ?
         FROM seq_${from}_to_${to} s ORDER BY s.seq`,
      [AT, AT, AT],
    );
  }
  const [{ firstOrder, lastOrder }] = await db.query('SELECT MIN(id) AS firstOrder, MAX(id) AS lastOrder FROM orders');
  await db.query(
    `INSERT INTO order_items (order_id, project_id, category, amount_fen)
     SELECT o.id, p.id, p.category, o.amount_paid_fen FROM orders o JOIN projects p ON p.id = ELT(1 + ${hash('project', 'o.id')} MOD ${weighted.length}, ${weighted.join(', ')})`,
  );

  // One treatment per order line, with the line's id (the steps below point at it): the scan joins it for the repurchase offer and the advice.
  progress(`treatments (${elapsed()})`);
  await db.query(
    `INSERT INTO treatments (id, public_id, request_id, client_id, order_id, order_item_id, project_id, doctor_id, performed_at, body_area, status, created_at)
     SELECT i.id, ${SQL_PUBLIC_ID}, CONCAT('bench-due:', i.id), o.client_id, o.id, i.id, i.project_id, o.doctor_id, o.paid_at, p.body_area, 'done', o.paid_at
       FROM order_items i JOIN orders o ON o.id = i.order_id JOIN projects p ON p.id = i.project_id`,
  );

  let steps = 0;
  for (let from = Number(firstOrder); from <= Number(lastOrder) && steps < STEPS; from += ORDER_CHUNK) {
    progress(`follow-up steps ${steps.toLocaleString('en')} of ${STEPS.toLocaleString('en')} (${elapsed()})`);
    const res = await db.query(
      // One treatment per order line (seeded above with the line's id).
      `INSERT INTO followup_steps (order_id, project_id, client_id, treatment_id, template_id, step, due_at)
       SELECT o.id, i.project_id, o.client_id, i.id, t.id, t.step,
              IF(${hash('due', "o.id, ':', t.id")} MOD 100 < ${DUE_PERCENT}, ? - INTERVAL ${hash('past', "o.id, ':', t.id")} MOD ${DAY_S} SECOND,
                 ? + INTERVAL 1 + ${hash('future', "o.id, ':', t.id")} MOD ${365 * DAY_S} SECOND)
         FROM orders o JOIN order_items i ON i.order_id = o.id JOIN projects p ON p.id = i.project_id
         JOIN followup_templates t ON t.plan = COALESCE(p.followup_plan, p.category) AND t.active = 1
        WHERE o.id BETWEEN ? AND ? ORDER BY o.id, t.id LIMIT ${STEPS - steps}`,
      [AT, AT, from, from + ORDER_CHUNK - 1],
    );
    steps += Number(res.affectedRows);
  }
  if (steps !== STEPS) throw new Error(`the orders gave ${steps} follow-up steps, wanted ${STEPS}`);
  progress(`seeded ${DB_NAME} in ${elapsed()}`);
}

/** Peak RSS and heap of this process while it runs, sampled every `everyMs` (and at start and stop). */
export function sampleMemory(everyMs: number): { stop(): { rssMb: number; heapMb: number; startRssMb: number } } {
  const mb = (bytes: number) => bytes / 2 ** 20;
  const startRss = process.memoryUsage().rss;
  let rss = startRss;
  let heap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { rssMb: mb(rss), heapMb: mb(heap), startRssMb: mb(startRss) };
    },
  };
}
