import { fork, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import autocannon from 'autocannon';
import mysql from 'mysql2/promise';
import type { Config } from '../../src/config';
import type { Clock } from '../../src/shared/clock';
import type { Deps, Services } from '../../src/services';
import type { DataSource } from 'typeorm';

export interface LoadResult {
  rps: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** CPU time the server process spent per answered request, in µs (when its pid was given): steadier than rps on a shared machine. */
  cpuUs?: number;
}

/** User + system CPU time of a process so far, in µs (Linux /proc). */
export function cpuTimeUs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line (12 and 13 after the command name).
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

/** Prints one figure line: `BENCH <name> k=v …`. */
/** A goal for one metric of a BENCH line: the figure must be below (`<`, `<=`) or above (`>=`) the bound. */
export type Goal = ['<' | '<=' | '>=', number];

/**
 * Prints one `BENCH <name> <metric>=<value> …` line. Each goal is printed as
 * `goal_<metric>=<op><bound>` right after its figure, and `goal_met=yes|no` ends the line; a line
 * without goals says `goal=baseline` (a yardstick other lines are compared with) or `goal=none`.
 */
export function report(name: string, metrics: Record<string, number | string>, goals: Record<string, Goal> | 'baseline' | 'none' = 'none'): void {
  const parts: string[] = [];
  let met = true;
  for (const [k, v] of Object.entries(metrics)) {
    parts.push(`${k}=${typeof v === 'number' ? round(v) : v}`);
    const goal = typeof goals === 'object' ? goals[k] : undefined;
    if (!goal) continue;
    const [op, bound] = goal;
    parts.push(`goal_${k}=${op}${round(bound)}`);
    const value = Number(v);
    met &&= op === '<' ? value < bound : op === '<=' ? value <= bound : value >= bound;
  }
  if (typeof goals === 'object') {
    const missing = Object.keys(goals).filter((k) => !(k in metrics));
    if (missing.length) throw new Error(`BENCH ${name}: goals for figures it does not print: ${missing.join(', ')}`);
    parts.push(`goal_met=${met ? 'yes' : 'no'}`);
  } else {
    parts.push(`goal=${goals}`);
  }
  process.stdout.write(`BENCH ${name} ${parts.join(' ')}\n`);
}

export function round(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 100) / 100;
}

export function progress(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Starts a compiled script (dist/…) in its own process and waits until `url` answers 200. */
export async function startProcess(script: string, env: Record<string, string>, readyUrl: string): Promise<ChildProcess> {
  // BENCH_NODE_ARGS reach only the measured processes (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
  const child = fork(path.resolve(__dirname, '../../..', script), [], {
    execArgv: (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    try {
      const res = await fetch(readyUrl);
      if (res.ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`${script} did not become ready at ${readyUrl}`);
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

export const DURATION = Number(process.env.BENCH_DURATION ?? 10);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);

/** Drives `url` with autocannon: a short warm-up, then the measured run. */
export async function load(opts: { url: string; method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; requests?: autocannon.Request[]; duration?: number; connections?: number; warmup?: number; pid?: number }): Promise<LoadResult> {
  const base = { url: opts.url, method: opts.method ?? 'GET', headers: opts.headers, body: opts.body, requests: opts.requests, connections: opts.connections ?? CONNECTIONS };
  // `warmup: 0` for a bench that warms up once and then measures in several slices.
  if ((opts.warmup ?? 2) > 0) await autocannon({ ...base, duration: opts.warmup ?? 2 });
  const cpuBefore = opts.pid ? cpuTimeUs(opts.pid) : 0;
  const r = await autocannon({ ...base, duration: opts.duration ?? DURATION });
  const cpuUs = opts.pid && r.requests.total ? (cpuTimeUs(opts.pid) - cpuBefore) / r.requests.total : undefined;
  return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx, cpuUs };
}

/** What a bench that calls services in this process (no HTTP) works with: its own database. */
export interface BenchDb {
  deps: Deps;
  services: Services;
  /** The settings this database and its services were made with, for a child process that opens the same. */
  env: Record<string, string>;
}

export interface BenchDbOptions {
  /** Settings on top of the bench defaults (e.g. the delivery budgets). */
  env?: Record<string, string>;
  /** Default: the system clock. */
  clock?: Clock;
  /** A new database, dropped at the end; default: created and migrated when missing, kept for the next run. */
  fresh?: boolean;
}

export type WithDatabase = <T>(name: string, opts: BenchDbOptions, work: (ctx: BenchDb) => Promise<T>) => Promise<T>;

export async function dropDatabase(db: Config['db'], name: string): Promise<void> {
  const conn = await mysql.createConnection({ host: db.host, port: db.port, user: db.user, password: db.password });
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await conn.end();
  }
}

/** How full a kept bench database is: seeded completely, new, or left half-way by an interrupted seed. */
export type SeedState = 'yes' | 'empty' | 'partial';

/**
 * A kept bench database (seeding a million rows takes minutes): a half-finished seed is dropped,
 * a complete one reused, an empty one seeded; then `reset` undoes what an earlier run wrote and
 * `work` runs.
 */
export async function withSeededDatabase<T>(
  withDatabase: WithDatabase, name: string, opts: BenchDbOptions,
  steps: {
    state(db: DataSource): Promise<SeedState>;
    seed(ctx: BenchDb): Promise<void>;
    reset(db: DataSource): Promise<void>;
    /** What is reused, for the progress line. */
    what: string;
  },
  work: (ctx: BenchDb) => Promise<T>,
): Promise<T> {
  const found = await withDatabase(name, opts, async ({ deps }) => ({ state: await steps.state(deps.db), db: deps.config.db }));
  if (found.state === 'partial') {
    progress(`${name} holds an unfinished seed: dropping it`);
    await dropDatabase(found.db, name);
  }
  return withDatabase(name, opts, async (ctx) => {
    if (found.state === 'yes') progress(`reusing the ${steps.what} seeded in ${name}`);
    else await steps.seed(ctx);
    await steps.reset(ctx.deps.db);
    return work(ctx);
  });
}
