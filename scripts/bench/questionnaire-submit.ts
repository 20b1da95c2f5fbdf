import { randomBytes, randomUUID } from 'node:crypto';
import type autocannon from 'autocannon';
import type { Pool, ResultSetHeader } from 'mysql2/promise';
import type { Logger as OrmLogger } from 'typeorm';
import { loadConfig } from '../../src/config';
import type { Deps, Services } from '../../src/services';
import { withTransactionRetry } from '../../src/shared/db';
import { publicId } from '../../src/shared/crypto';
import { CONNECTIONS, DURATION, dropDatabase, load, progress, report } from './harness';
import { createRawPool } from './raw-redeem';
import { seedBulkClients } from './seed';

export type WithAppOn = <T>(work: (ctx: { url: string; pid: number; deps: Deps; services: Services }) => Promise<T>, opts: { dbName: string }) => Promise<T>;

// A database of its own, new at every run and dropped at the end: submissions leave many rows behind.
const DB_NAME = 'meiyan_bench_questionnaire';
// Clients per measured run: each submission is a new client's first, so a run needs (warm-up + run) × rps of them.
const CLIENTS_PER_RUN = Number(process.env.BENCH_QUESTIONNAIRE_CLIENTS ?? 20_000);
const WARMUP_S = 2; // as harness.load
const SESSION_TTL_S = 1800;
const PATH = '/api/mp/questionnaires/intent/submissions';

/**
 * full submissions of the default intent questionnaire through the real app (HTTP →
 * session → validation → QuestionnairesService.submit, one transaction), each by a new client with
 * the privacy and health consents, beside the same row writes on a bare mysql2 pool at the same
 * concurrency. A second baseline runs every statement the service sends (reads and locks too): the
 * gap between the two baselines is the cost of the reads, the rest of the gap is the app's own.
 */
export async function questionnaireSubmitBench(withApp: WithAppOn): Promise<void> {
  const dbConfig = loadConfig({ ...process.env }, { dotenv: false }).db;
  await dropDatabase(dbConfig, DB_NAME);
  try {
    await withApp(async ({ url, pid, deps, services }) => {
      const at = deps.clock.now();
      progress(`seeding ${CLIENTS_PER_RUN * 3 + 1} clients with their privacy and health consents, and ${CLIENTS_PER_RUN} sessions`);
      const seeded = Date.now();
      const consents = [
        { purpose: 'privacy' as const, policyVersion: deps.config.policy.privacyVersion },
        { purpose: 'health' as const, policyVersion: deps.config.policy.healthConsentVersion },
      ];
      const seed = (tag: string, count: number) => seedBulkClients(deps.db, { openidPrefix: `bench-q-${tag}-${at.getTime()}-`, count, at, consents });
      const probeClient = await seed('probe', 1);
      const rawWrites = idsOf(await seed('raw-writes', CLIENTS_PER_RUN));
      const rawAll = idsOf(await seed('raw-all', CLIENTS_PER_RUN));
      const app = await sessions(deps, services, await seed('app', CLIENTS_PER_RUN));
      progress(`seeded in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);

      const [version] = await deps.db.query(
        "SELECT v.public_id FROM questionnaire_templates t JOIN questionnaire_versions v ON v.id = t.published_version_id WHERE t.code = 'intent'",
      );
      const answers = JSON.stringify(fullAnswers(at));
      const plan = steps(await probe(deps, services, probeClient.firstId, { submissionId: randomUUID(), versionId: version.public_id, answers: JSON.parse(answers) }));
      // Built as text: the load generator shares the machine with the app, so it should not spend much per request.
      const body = () => `{"submissionId":"${randomUUID()}","versionId":"${version.public_id}","answers":${answers}}`;

      let baseline = 0;
      let rawAllRun = { rps: 0, p99: 0 };
      const pool = createRawPool(deps.config.db);
      try {
        for (const [all, ids] of [[false, rawWrites], [true, rawAll]] as const) {
          const statements = plan.filter((step) => all || step.write).length;
          progress(`raw mysql2 submissions: ${all ? 'every statement of the service' : 'its INSERT/UPDATE statements'} (${statements}) in one transaction (${CONNECTIONS} workers, pool of ${deps.config.db.poolSize})`);
          const pick = take(ids, `raw ${all ? 'all' : 'writes'}`);
          const r = await rawLoad({ workers: CONNECTIONS, durationS: DURATION, warmupS: WARMUP_S, one: () => rawSubmit(pool, plan, all, pick()) });
          report(all ? 'questionnaire_submit_raw_all' : 'questionnaire_submit_raw', { rps: r.rps, p99_ms: r.p99, statements }, 'baseline');
          // Where the tail goes (each figure its own p99): the pool, the locking reads, COMMIT.
          report(all ? 'questionnaire_submit_tail_raw_all' : 'questionnaire_submit_tail_raw', {
            pool_wait_p99_ms: r.phases.pool, lock_wait_p99_ms: r.phases.lock, commit_p99_ms: r.phases.commit, total_p99_ms: r.p99,
          }, 'none');
          if (!all) baseline = r.rps;
          else rawAllRun = r;
        }
      } finally {
        await pool.end();
      }
      // The baselines' audit rows are linked now: the app's chainer would otherwise link them during its run.
      progress(`linking the baselines' audit rows (${await services.audit.chainer.chain({ ids: [] })})`);

      progress(`POST ${PATH} (${CONNECTIONS} connections, a new client per request)`);
      const pick = take(app, 'app');
      const request: autocannon.Request = {
        method: 'POST',
        path: PATH,
        setupRequest: (req) => ({
          ...req, method: 'POST', path: PATH, body: body(),
          headers: { ...req.headers, 'content-type': 'application/json', authorization: `Bearer ${pick().token}` },
        }),
      };
      const watch = await watchTail(deps, url);
      const real = await load({ url: `${url}${PATH}`, method: 'POST', requests: [request], pid });
      const tail = await watch.stop();
      if (real.non2xx || real.errors) throw new Error(`questionnaire bench saw ${real.non2xx} non-2xx answers and ${real.errors} errors`);
      // Goal: at least half the throughput of the same 19 statements on bare mysql2, at most twice their p99, at the same connections.
      report('questionnaire_submit', { rps: real.rps, p99_ms: real.p99, ratio: real.rps / baseline }, { rps: ['>=', 0.5 * rawAllRun.rps], p99_ms: ['<=', 2 * rawAllRun.p99] });
      // The app's side of the tail: requests queued for a pool connection (its /metrics, sampled), and
      // InnoDB's row-lock waits and fsyncs over the run (server-wide: other databases on the server count too).
      // cpu_us: the app process's CPU per answered submission (the bare runs spend none of theirs on HTTP, validation, scoring, encryption).
      report('questionnaire_submit_tail', { ...tail, cpu_us: real.cpuUs! }, 'none');

      await Promise.all(app.map((s) => services.sessions.revoke(s.tokenHash)));
    }, { dbName: DB_NAME });
  } finally {
    await dropDatabase(dbConfig, DB_NAME);
  }
}

/**
 * Samples the app's `db_pool_queued` gauge every 100 ms and reads InnoDB's row-lock and fsync
 * counters before and after: what `stop` answers is the app run's pool queue and lock waits.
 */
async function watchTail(deps: Deps, url: string): Promise<{ stop(): Promise<Record<string, number>> }> {
  const status = async () => {
    const rows: { Variable_name: string; Value: string }[] = await deps.db.query(
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_row_lock_waits', 'Innodb_row_lock_time', 'Innodb_data_fsyncs')",
    );
    return Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]));
  };
  const before = await status();
  const started = Date.now();
  const queued: number[] = [];
  let sampling = Promise.resolve();
  const timer = setInterval(() => {
    sampling = fetch(`${url}/metrics`).then((r) => r.text()).then((text) => {
      const m = /^db_pool_queued (\d+)/m.exec(text);
      if (m) queued.push(Number(m[1]));
    }, () => undefined);
  }, 100);
  return {
    async stop() {
      clearInterval(timer);
      await sampling;
      const after = await status();
      const s = (Date.now() - started) / 1000;
      const waits = after.Innodb_row_lock_waits - before.Innodb_row_lock_waits;
      return {
        pool_queued_mean: queued.reduce((a, b) => a + b, 0) / Math.max(1, queued.length), pool_queued_max: Math.max(0, ...queued),
        row_lock_waits_per_s: waits / s, row_lock_wait_avg_ms: waits ? (after.Innodb_row_lock_time - before.Innodb_row_lock_time) / waits : 0,
        fsyncs_per_s: (after.Innodb_data_fsyncs - before.Innodb_data_fsyncs) / s,
      };
    },
  };
}

function idsOf(range: { firstId: number; lastId: number }): number[] {
  return Array.from({ length: range.lastId - range.firstId + 1 }, (_, i) => range.firstId + i);
}

async function sessions(deps: Deps, services: Services, range: { firstId: number; lastId: number }): Promise<{ token: string; tokenHash: string }[]> {
  const rows: { id: number; public_id: string }[] = await deps.db.query('SELECT id, public_id FROM clients WHERE id BETWEEN ? AND ? ORDER BY id', [range.firstId, range.lastId]);
  const out: { token: string; tokenHash: string }[] = [];
  for (let from = 0; from < rows.length; from += 500) {
    out.push(...await Promise.all(rows.slice(from, from + 500).map((c) =>
      services.sessions.create({ kind: 'client', clientId: Number(c.id), publicId: c.public_id }, SESSION_TTL_S))));
  }
  return out;
}

/** Hands out each item once; running out would mean resubmissions, so it stops the bench instead. */
function take<T>(items: T[], what: string): () => T {
  let next = 0;
  return () => {
    if (next >= items.length) throw new Error(`the ${what} run used up its ${items.length} clients; raise BENCH_QUESTIONNAIRE_CLIENTS`);
    return items[next++];
  };
}

/**
 * A complete answer set of the default template (migrations/1795400200000-Questionnaires.ts): every
 * question shown is answered, optional ones too, with health answers that raise safety flags and
 * fill the medical history (allergy, keloid, past procedures).
 */
function fullAnswers(now: Date): Record<string, unknown> {
  return {
    areas: ['nose', 'skin'], area_detail: '鼻梁偏低，想自然一点；脸颊有些痘印', expected_effect: ['natural', 'lasting'], downtime: 'week', timeline: 'within_1m',
    budget_max: 60000, budget_min: 30000, budget_flex: 'some',
    health_general: 'good', chronic: ['keloid'], allergies: ['local_anesthetic'], medications: ['none'], pregnancy: 'no',
    past_experience: 'non_surgical', past_procedures: ['botulinum', 'photo'], past_satisfaction: 'ok',
    risk_understanding: 'clear', recovery_understanding: 'clear', maintenance: 'regular', result_expectation: 'varies',
    heard_from: ['xiaohongshu', 'friend'], influences: ['doctor', 'safety', 'cases'],
    motivation: ['confidence', 'event'], target_date: new Date(now.getTime() + 60 * 86400_000).toISOString().slice(0, 10),
    eagerness: 9, risk_attitude: 'balanced', preference: 'natural', decision_style: 'quick', visit: 'soon',
    notes: '希望周末下午面诊，之前打过肉毒素，效果还可以。',
  };
}

/** What the probe submission wrote: the baseline writes the same values (same sizes, same JSON) for its own clients. */
interface ProbeValues {
  response: Record<string, any>;
  points: Record<string, any>;
  intent: Record<string, any>;
  medical: Record<string, any>;
  tags: { dimension: string; value: string; source: string }[];
  /** The tag-sync row's encrypted payload. */
  outbox: Buffer;
  audit: { action: string; details: string }[];
  policyVersion: string;
}

/**
 * One submission in this process (same code and database as the app) with TypeORM's logger
 * tracing it: the answers must be accepted, the statements inside its transaction must be the
 * baseline's (else the submit path changed and the baseline is stale), and its rows give the
 * baseline its values.
 */
async function probe(deps: Deps, services: Services, clientId: number, input: { submissionId: string; versionId: string; answers: Record<string, unknown> }): Promise<ProbeValues> {
  const traced: string[] = [];
  const db = deps.db as unknown as { logger: OrmLogger };
  const logger = db.logger;
  db.logger = { ...quiet, logQuery: (query) => traced.push(query) };
  try {
    const actor = { type: 'client' as const, id: clientId, role: 'client', ip: '127.0.0.1', requestId: randomUUID() };
    await services.questionnaires.submit(clientId, 'intent', input, actor);
  } finally {
    db.logger = logger;
  }
  const values = await probeValues(deps, clientId);
  const shape = (sql: string) => sql.replace(/\s+/g, ' ').trim();
  const inTransaction = traced.slice(traced.indexOf('START TRANSACTION') + 1, traced.lastIndexOf('COMMIT')).map(shape);
  const expected = steps(values).map((step) => shape(step.sql));
  const at = expected.findIndex((sql, i) => sql !== inTransaction[i]);
  if (at >= 0 || expected.length !== inTransaction.length) {
    const i = at >= 0 ? at : Math.min(expected.length, inTransaction.length);
    throw new Error(
      `QuestionnairesService.submit no longer sends the baseline's statements (${inTransaction.length} in its transaction, the baseline has ${expected.length}); ` +
      `first difference at statement ${i + 1}:\n  service:  ${inTransaction[i] ?? '(none)'}\n  baseline: ${expected[i] ?? '(none)'}\nupdate steps() in scripts/bench/questionnaire-submit.ts`,
    );
  }
  return values;
}

const quiet: OrmLogger = { logQuery: () => undefined, logQueryError: () => undefined, logQuerySlow: () => undefined, logSchemaBuild: () => undefined, logMigration: () => undefined, log: () => undefined };

async function probeValues(deps: Deps, clientId: number): Promise<ProbeValues> {
  const [response] = await deps.db.query('SELECT * FROM questionnaire_responses WHERE client_id = ?', [clientId]);
  const [points] = await deps.db.query("SELECT * FROM points_entries WHERE client_id = ? AND reason = 'questionnaire'", [clientId]);
  const [intent] = await deps.db.query('SELECT * FROM client_intents WHERE client_id = ?', [clientId]);
  const [medical] = await deps.db.query('SELECT * FROM medical_records WHERE client_id = ?', [clientId]);
  const tags = await deps.db.query('SELECT dimension, value, source FROM client_tags WHERE client_id = ? ORDER BY dimension, value', [clientId]);
  const outbox = await deps.db.query("SELECT payload_enc FROM outbox_messages WHERE client_id = ? AND kind = 'tag_sync' ORDER BY id", [clientId]);
  const audit = await deps.db.query("SELECT action, details FROM audit_log WHERE client_id = ? AND actor_type = 'client' ORDER BY id", [clientId]);
  const found = { response: Number(Boolean(response)), points: Number(Boolean(points)), intent: Number(Boolean(intent)), medical: Number(Boolean(medical)), outbox: outbox.length, audit: audit.length };
  if (JSON.stringify(found) !== JSON.stringify({ response: 1, points: 1, intent: 1, medical: 1, outbox: 1, audit: 2 })) {
    throw new Error(`the probe submission did not write the rows the baseline copies (found ${JSON.stringify(found)}): update steps() in scripts/bench/questionnaire-submit.ts`);
  }
  return {
    response, points, intent, medical, tags,
    outbox: outbox[0].payload_enc,
    audit: audit.map((a: { action: string; details: unknown }) => ({ action: a.action, details: json(a.details) })),
    policyVersion: deps.config.policy.healthConsentVersion,
  };
}

/** One raw submission's own values; ids of rows it inserted are filled in as it goes. */
interface Submission {
  clientId: number;
  submissionId: string;
  publicId: string;
  now: Date;
  /** One per submission, as the app's request id: its audit rows share it. */
  requestId: string;
  responseId?: number;
}

interface Step {
  sql: string;
  write: boolean;
  params(s: Submission): unknown[];
  /** Keeps what later statements need (the ids of inserted rows). */
  then?(s: Submission, res: ResultSetHeader): void;
}

/**
 * The statements QuestionnairesService.submit sends inside its transaction for a new client's first
 * submission, in order, as traced with TypeORM's logger (the probe checks them at every run):
 * 12 INSERT/UPDATE statements and 7 reads, most of them locking. The values are the probe's.
 * The template is not read per submission (the service keeps it; the lock's subquery checks it).
 */
function steps(v: ProbeValues): Step[] {
  const r = v.response;
  const i = v.intent;
  const md = v.medical;
  const pts = Number(r.points_awarded);
  // The probe's tag rows, the stage's last: the same rows as the service's one INSERT.
  const tags = [...v.tags.filter((t) => t.dimension !== 'stage'), ...v.tags.filter((t) => t.dimension === 'stage')];
  const intentCols = ['latest_response_id', 'template_id', 'projects', 'budget_max_fen', 'budget_min_fen', 'budget_band', 'intent_score', 'intent_components', 'lead_grade',
    'risk_tolerance', 'expectation_flags', 'key_answers_enc', 'completeness_pct', 'submitted_at', 'updated_at'];
  const read = (sql: string, params: (s: Submission) => unknown[]): Step => ({ sql, write: false, params });
  const write = (sql: string, params: (s: Submission) => unknown[], then?: Step['then']): Step => ({ sql, write: true, params, then });
  // AuditService.recordMany: the submission's rows in one INSERT, one time and the request's id,
  // unlinked (the app's chainer links them after the commit, outside the request's transaction).
  const audit = write(
    'INSERT INTO audit_log (at, actor_type, actor_id, actor_role, action, client_id, allowed, ip, request_id, details) ' +
      `VALUES ${v.audit.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    (s) => v.audit.flatMap((row) => [
      s.now, 'client', s.clientId, 'client', row.action, s.clientId, true, '127.0.0.1', s.requestId, row.details.replace(/"responseId":"[^"]*"/, `"responseId":"${s.publicId}"`),
    ]),
  );
  return [
    // lockForSubmission (with the replay check and the published version), the health consent.
    read(
      `SELECT c.id, c.public_id AS publicId, DATE_FORMAT(c.birth_date, '%Y-%m-%d') AS birthDate, c.status, c.stage,
              (SELECT r.id FROM questionnaire_responses r WHERE r.client_id = c.id AND r.submission_id = ?) AS storedResponseId,
              (SELECT t.published_version_id FROM questionnaire_templates t WHERE t.id = ?) AS publishedVersionId
         FROM clients c WHERE c.id = ? FOR UPDATE`,
      (s) => [s.submissionId, r.template_id, s.clientId],
    ),
    read('SELECT id FROM consents WHERE client_id = ? AND purpose = ? AND policy_version = ? AND withdrawn_at IS NULL LIMIT 1', (s) => [s.clientId, 'health', v.policyVersion]),
    // PointsService.earnForQuestionnaire: create-or-lock the account (its balance read with the check for lots past due), replay check, entry, balance.
    write('INSERT INTO points_accounts (client_id, balance, version, updated_at) VALUES (?, 0, 0, ?) ON DUPLICATE KEY UPDATE client_id = client_id', (s) => [s.clientId, s.now]),
    read(
      `SELECT balance, EXISTS(SELECT 1 FROM points_entries FORCE INDEX (ix_points_entries_lots)
                               WHERE client_id = ? AND remaining > 0 AND delta > 0 AND expires_at <= ?) AS overdue
         FROM points_accounts WHERE client_id = ? FOR UPDATE`,
      (s) => [s.clientId, s.now, s.clientId],
    ),
    read('SELECT * FROM points_entries WHERE client_id = ? AND idempotency_key = ?', (s) => [s.clientId, v.points.idempotency_key]),
    write(
      'INSERT INTO points_entries (client_id, delta, reason, reference, idempotency_key, request_hash, balance_after, expires_at, remaining, actor_type, actor_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      (s) => [s.clientId, pts, 'questionnaire', v.points.reference, v.points.idempotency_key, v.points.request_hash, pts, new Date(s.now.getTime() + 365 * 86400_000), pts, 'system', null, s.now],
    ),
    write('UPDATE points_accounts SET balance = balance + ?, version = version + 1, updated_at = ? WHERE client_id = ? AND balance + ? >= 0', (s) => [pts, s.now, s.clientId, pts]),
    // The response, the draft, the archive's intent part.
    write(
      `INSERT INTO questionnaire_responses (public_id, client_id, template_id, version_id, submission_id, request_hash, submitted_at, intent_score,
         intent_components, lead_grade, risk_tolerance, completeness_pct, expectation_flags, answers_enc, health_answers_enc, safety_flags_enc, points_awarded)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      (s) => [
        s.publicId, s.clientId, r.template_id, r.version_id, s.submissionId, r.request_hash, s.now, r.intent_score, json(r.intent_components), r.lead_grade,
        r.risk_tolerance, r.completeness_pct, json(r.expectation_flags), fresh(r.answers_enc), fresh(r.health_answers_enc), fresh(r.safety_flags_enc), pts,
      ],
      (s, res) => { s.responseId = res.insertId; },
    ),
    write(
      `INSERT INTO questionnaire_drafts (client_id, template_id, version_id, answers_enc, revision, started_at, updated_at, submitted_response_id)
       VALUES (?, ?, ?, NULL, 1, ?, ?, ?)
       ON DUPLICATE KEY UPDATE version_id = VALUES(version_id), answers_enc = NULL, revision = revision + 1, updated_at = VALUES(updated_at),
         submitted_response_id = VALUES(submitted_response_id)`,
      (s) => [s.clientId, r.template_id, r.version_id, s.now, s.now, s.responseId],
    ),
    write(
      `INSERT INTO client_intents (client_id, ${intentCols.join(', ')}) VALUES (?, ${intentCols.map(() => '?').join(', ')})
       ON DUPLICATE KEY UPDATE ${intentCols.map((n) => `${n} = VALUES(${n})`).join(', ')}`,
      (s) => [
        s.clientId, s.responseId, i.template_id, json(i.projects), i.budget_max_fen, i.budget_min_fen, i.budget_band, i.intent_score, json(i.intent_components),
        i.lead_grade, i.risk_tolerance, json(i.expectation_flags), fresh(i.key_answers_enc), i.completeness_pct, s.now, s.now,
      ],
    ),
    // ClientsService.mergeMedical (its audit row goes with the submission's, at the end).
    read('SELECT allergies_enc, medications_enc, past_procedures_enc, conditions_enc FROM medical_records WHERE client_id = ?', (s) => [s.clientId]),
    write(
      `INSERT INTO medical_records (client_id, allergies_enc, medications_enc, past_procedures_enc, conditions_enc, updated_by_type, updated_by_id)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE allergies_enc = VALUES(allergies_enc), medications_enc = VALUES(medications_enc), past_procedures_enc = VALUES(past_procedures_enc),
         conditions_enc = VALUES(conditions_enc), updated_by_type = VALUES(updated_by_type), updated_by_id = VALUES(updated_by_id)`,
      (s) => [s.clientId, fresh(md.allergies_enc), fresh(md.medications_enc), fresh(md.past_procedures_enc), fresh(md.conditions_enc), 'client', s.clientId],
    ),
    // JourneyService.moveTo with the stage read under the client lock; its stage tag is written with the questionnaire's tags.
    write('UPDATE clients SET stage = ? WHERE id = ?', (s) => ['surveyed', s.clientId]),
    write(
      'INSERT INTO client_stage_events (client_id, from_stage, to_stage, at, actor_type, actor_id, reason) VALUES (?, ?, ?, ?, ?, ?, ?)',
      (s) => [s.clientId, 'lead', 'surveyed', s.now, 'client', s.clientId, 'questionnaire'],
    ),
    // The tags of the questionnaire's dimensions and the stage, read once and locked; one pending tag-sync row asks the bot to mirror them.
    read('SELECT dimension, value, source FROM client_tags WHERE client_id = ? AND dimension IN (?,?,?,?) FOR UPDATE', (s) => [s.clientId, 'project', 'value_tier', 'lead_grade', 'stage']),
    write(
      `INSERT INTO client_tags (client_id, dimension, value, source) VALUES ${tags.map(() => '(?, ?, ?, ?)').join(',')}`,
      (s) => tags.flatMap((t) => [s.clientId, t.dimension, t.value, t.source]),
    ),
    read("SELECT id FROM outbox_messages WHERE client_id = ? AND kind = 'tag_sync' AND status = 'pending' ORDER BY id DESC LIMIT 1", (s) => [s.clientId]),
    write(
      "INSERT INTO outbox_messages (kind, dedupe_key, client_id, payload_enc, due_at, status, attempts) VALUES (?, ?, ?, ?, ?, 'pending', 0)",
      (s) => ['tag_sync', `tag_sync:${s.clientId}:${publicId()}`, s.clientId, fresh(v.outbox), s.now],
    ),
    audit,
  ];
}

/**
 * One submission on a bare mysql2 connection: the traced statements (steps()) in one READ COMMITTED
 * transaction, with the probe's values; 'writes' runs only the 12 INSERT/UPDATE statements, 'all'
 * every statement in order with the same locks (the service keeps the template: nothing is read
 * before the transaction). No HTTP, session, validation, scoring, encryption or TypeORM: what is
 * left is the cost of the SQL.
 */
async function rawSubmit(pool: Pool, plan: Step[], all: boolean, clientId: number): Promise<Phases> {
  const s: Submission = { clientId, submissionId: randomUUID(), publicId: publicId(), now: new Date(), requestId: randomUUID() };
  const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;
  // The last attempt's figures (a retried transaction's earlier attempts count in its total only).
  const phases: Phases = { pool: 0, lock: 0, commit: 0 };
  await withTransactionRetry(async () => {
    Object.assign(phases, { pool: 0, lock: 0, commit: 0 });
    let t = process.hrtime.bigint();
    const conn = await pool.getConnection();
    phases.pool = ms(t);
    try {
      await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
      await conn.query('START TRANSACTION');
      try {
        for (const step of plan) {
          if (!all && !step.write) continue;
          t = process.hrtime.bigint();
          const [res] = await conn.query(step.sql, step.params(s));
          if (/\bFOR UPDATE\b/.test(step.sql)) phases.lock += ms(t);
          step.then?.(s, res as ResultSetHeader);
        }
        t = process.hrtime.bigint();
        await conn.query('COMMIT');
        phases.commit = ms(t);
      } catch (err) {
        await conn.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      conn.release();
    }
  });
  return phases;
}

/** Where one raw submission spent its time, in ms: waiting for a pool connection, in its locking reads (`FOR UPDATE`), in COMMIT (the redo log's fsync). */
interface Phases {
  pool: number;
  lock: number;
  commit: number;
}

function json(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** A ciphertext of the same length (the contents do not matter to MySQL). */
function fresh(blob: Buffer | null): Buffer | null {
  return blob ? randomBytes(blob.length) : null;
}

/**
 * `workers` concurrent loops of `one` for `durationS` seconds after a `warmupS` warm-up (as the
 * harness's autocannon runs); only calls finished inside the window count. Any failure stops the bench.
 */
async function rawLoad(opts: { workers: number; durationS: number; warmupS: number; one: () => Promise<Phases> }): Promise<{ rps: number; p99: number; phases: Phases }> {
  const run = async (seconds: number, latencies: number[], phases: Phases[]): Promise<number> => {
    const deadline = Date.now() + seconds * 1000;
    let done = 0;
    await Promise.all(Array.from({ length: opts.workers }, async () => {
      while (Date.now() < deadline) {
        const started = process.hrtime.bigint();
        const p = await opts.one();
        if (Date.now() <= deadline) {
          done++;
          latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          phases.push(p);
        }
      }
    }));
    return done;
  };
  await run(opts.warmupS, [], []);
  const latencies: number[] = [];
  const phases: Phases[] = [];
  const done = await run(opts.durationS, latencies, phases);
  const p99 = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
  };
  return {
    rps: done / opts.durationS, p99: p99(latencies),
    phases: { pool: p99(phases.map((p) => p.pool)), lock: p99(phases.map((p) => p.lock)), commit: p99(phases.map((p) => p.commit)) },
  };
}
