import { randomUUID } from 'node:crypto';
import type autocannon from 'autocannon';
import type { Deps, Services } from '../../src/services';
import { CONNECTIONS, DURATION, load, LoadResult, progress, report } from './harness';
import { createRawPool, rawLoad, RawLoadResult } from './raw-redeem';
import { SeededClient, seedPointsClients, seedRewardItem } from './seed';

export type WithApp = <T>(work: (ctx: { url: string; deps: Deps; services: Services }) => Promise<T>) => Promise<T>;

// Enough points and stock that nothing but a bug can refuse a redemption during a run.
const SPREAD_CLIENTS = Number(process.env.BENCH_REDEEM_CLIENTS ?? 2000);
const PRICE = 10;
const SPREAD_POINTS = 1_000_000;
const HOT_POINTS = 1_000_000_000;
const STOCK = 1_000_000;
const WARMUP_S = 2; // as harness.load
// The machine is shared (2 cores: load generator, app, mysqld, redis, and whatever else runs):
// raw and app alternate in short slices, so a burst of outside load hits both sides alike.
const ROUNDS = Number(process.env.BENCH_REDEEM_ROUNDS ?? 5);
const SLICE_S = Math.max(1, Math.round(DURATION / ROUNDS));

interface Phase {
  name: 'spread' | 'hot';
  item: { id: number; publicId: string };
  clients: SeededClient[];
}

/**
 * redemptions per second through the real app (HTTP → session → RewardsService.redeem),
 * spread over many accounts and on one hot account, each beside the same SQL on a bare mysql2 pool
 * (raw-redeem.ts) at the same concurrency; then the ledger consistency check, which must find no drift.
 * Every phase gets its own item and accounts, so phases do not inherit each other's rows or locks.
 */
export async function pointsRedeemBench(withApp: WithApp): Promise<void> {
  await withApp(async ({ url, deps, services }) => {
    progress(`seeding ${SPREAD_CLIENTS * 2 + 2} clients with points and 4 reward items`);
    const phase = async (name: Phase['name'], tag: string, sessions: boolean): Promise<Phase> => ({
      name,
      item: await seedRewardItem(deps, { title: `bench ${name} ${tag}`, pointsPrice: PRICE, stock: STOCK }),
      clients: await seedPointsClients(deps, services, {
        tag: `${name}-${tag}`, count: name === 'spread' ? SPREAD_CLIENTS : 1, points: name === 'spread' ? SPREAD_POINTS : HOT_POINTS, sessions,
      }),
    });
    const raw = { spread: await phase('spread', 'raw', false), hot: await phase('hot', 'raw', false) };
    const app = { spread: await phase('spread', 'app', true), hot: await phase('hot', 'app', true) };

    const pool = createRawPool(deps.config.db);
    try {
      for (const name of ['spread', 'hot'] as const) {
        progress(
          `redemptions, ${name}: raw mysql2 (${accounts(raw[name])}, ${CONNECTIONS} workers, pool of ${deps.config.db.poolSize}) ` +
          `and POST /api/mp/rewards/:id/redeem (${accounts(app[name])}, ${CONNECTIONS} connections), ${ROUNDS} × ${SLICE_S} s each`,
        );
        const r = await measure(url, deps, pool, raw[name], app[name]);
        report(`points_redeem_${name}_raw`, { rps: r.raw.rps, p99_ms: r.raw.p99 }, 'baseline');
        report(`points_redeem_${name}`, { rps: r.app.rps, p99_ms: r.app.p99, ratio: r.app.rps / r.raw.rps });
      }
    } finally {
      await pool.end();
    }

    progress('consistency check');
    const check = await consistency(deps, services, [raw.spread, raw.hot, app.spread, app.hot]);
    report('points_redeem_check', check, { drift: ['<=', 0], stock_drift: ['<=', 0], voucher_drift: ['<=', 0] });
    if (check.drift || check.stock_drift || check.voucher_drift) {
      throw new Error(`redeem bench left inconsistent data: ${JSON.stringify(check)}`);
    }
  });
}

function accounts(phase: Phase): string {
  return phase.clients.length === 1 ? '1 account' : `${phase.clients.length} accounts`;
}

function roundRobin(clients: SeededClient[]): () => SeededClient {
  let next = 0;
  return () => clients[next++ % clients.length];
}

/** Both sides warmed up once, then ROUNDS alternating slices; rps and p99 are the means over the slices. */
async function measure(
  url: string, deps: Deps, pool: ReturnType<typeof createRawPool>, rawPhase: Phase, appPhase: Phase,
): Promise<{ raw: RawLoadResult; app: RawLoadResult }> {
  const rawPick = roundRobin(rawPhase.clients);
  const rawSlice = (seconds: number) => rawLoad({
    pool, itemPublicId: rawPhase.item.publicId, voucherValidDays: deps.config.rewards.voucherValidDays,
    pickClient: () => rawPick().id, workers: CONNECTIONS, seconds,
  });
  const appSlice = appLoad(url, appPhase);
  const appChecked = async (seconds: number): Promise<LoadResult> => {
    const r = await appSlice(seconds);
    await settled(deps, appPhase);
    if (r.non2xx || r.errors) throw new Error(`redeem bench (${appPhase.name}) saw ${r.non2xx} non-2xx answers and ${r.errors} errors`);
    return r;
  };
  await rawSlice(WARMUP_S);
  await appChecked(WARMUP_S);
  const raws: RawLoadResult[] = [];
  const apps: LoadResult[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    raws.push(await rawSlice(SLICE_S));
    apps.push(await appChecked(SLICE_S));
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    raw: { rps: mean(raws.map((r) => r.rps)), p99: mean(raws.map((r) => r.p99)) },
    app: { rps: mean(apps.map((r) => r.rps)), p99: mean(apps.map((r) => r.p99)) },
  };
}

/** Every request carries a fresh requestId and, spread, the next client's session in turn. */
function appLoad(url: string, phase: Phase): (seconds: number) => Promise<LoadResult> {
  const pick = roundRobin(phase.clients);
  const path = `/api/mp/rewards/${phase.item.publicId}/redeem`;
  const request: autocannon.Request = {
    method: 'POST',
    path,
    setupRequest: (req) => ({
      ...req,
      method: 'POST',
      path,
      headers: { ...req.headers, 'content-type': 'application/json', authorization: `Bearer ${pick().token}` },
      body: JSON.stringify({ requestId: randomUUID() }),
    }),
  };
  return (seconds) => load({ url: `${url}${path}`, method: 'POST', requests: [request], duration: seconds, warmup: 0 });
}

/**
 * autocannon stops counting at the deadline, but the app finishes the redemptions already sent (up
 * to one per connection, queued on the hot row): wait until the item's voucher count stops moving.
 */
async function settled(deps: Deps, phase: Phase): Promise<void> {
  let last = -1;
  for (let i = 0; i < 120; i++) {
    const [{ n }] = await deps.db.query('SELECT COUNT(*) AS n FROM vouchers WHERE item_id = ?', [phase.item.id]);
    if (Number(n) === last) return;
    last = Number(n);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`redemptions of the ${phase.name} phase were still committing 30 s after the run`);
}

/**
 * The ledger check of PointsService (every balance equals its entries and its open lots), and for
 * the bench's items: stock taken equals vouchers issued, and every voucher has its ledger debit.
 */
async function consistency(deps: Deps, services: Services, phases: Phase[]): Promise<Record<string, number>> {
  const ledger = await services.points.checkConsistency();
  let stockDrift = 0;
  let voucherDrift = 0;
  let vouchers = 0;
  // One REPEATABLE READ snapshot, so the three counts of an item see the same commits.
  await deps.db.transaction('REPEATABLE READ', async (m) => {
    for (const p of phases) {
      const [item] = await m.query('SELECT stock FROM reward_items WHERE id = ?', [p.item.id]);
      const [v] = await m.query('SELECT COUNT(*) AS n, COALESCE(SUM(points), 0) AS points FROM vouchers WHERE item_id = ?', [p.item.id]);
      const [e] = await m.query(
        "SELECT COUNT(*) AS n, COALESCE(-SUM(delta), 0) AS points FROM points_entries WHERE reason = 'redeem' AND reference = ?",
        [`reward:${p.item.publicId}`],
      );
      vouchers += Number(v.n);
      if (STOCK - Number(item.stock) !== Number(v.n)) stockDrift++;
      if (Number(v.n) !== Number(e.n) || Number(v.points) !== Number(e.points)) voucherDrift++;
    }
  });
  return { drift: ledger.drift.length, accounts: ledger.accounts, vouchers, stock_drift: stockDrift, voucher_drift: voucherDrift };
}
