import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { runInTransaction } from '../../shared/db';
import type { Logger } from '../../shared/logger';
import { RAW_AUDIT_COLUMNS, chainHash, chainedFieldsOf, type RawAuditRow } from './audit.chain';

/** Rows linked per chaining transaction. */
const BATCH = 1000;
/**
 * How long a transaction may hold an audit row's id uncommitted before the sweep stops looking
 * below it: an id missing for longer is taken as rolled back. A row committed later still is
 * chained by its own process (by id) or shows in `audit:verify` as unchained.
 */
export const SWEEP_GRACE_SECONDS = 300;

interface Head {
  lastSeq: string | number;
  lastId: string | number;
  lastHash: string;
  floorId: string | number;
  markId: string | number;
  markAt: Date | null;
  now: Date;
}

/**
 * Links committed audit rows into the hash chain, outside the transactions that wrote them
 * (DESIGN.md: the audit rows are hash-chained so tampering shows). Writers only INSERT their rows;
 * every chaining transaction locks the one `audit_chain_head` row first, so chainers in any number
 * of processes run one at a time and the chain never forks. A link (`audit_chain`: seq, audit row,
 * prev_hash, hash) is append-only like the row; seq follows the order of chaining, rows of one
 * run in id order, so a row committed late with a lower id simply gets a later seq.
 *
 * Two ways in: after a writer's commit, the ids it wrote (with everything above the chained
 * maximum) in the background of that process; and `sweep` (the scheduler's, every minute), which
 * also finds rows whose process stopped between commit and chaining.
 */
export class AuditChainer {
  private readonly byTransaction = new WeakMap<QueryRunner, string[]>();
  private readonly pending = new Set<string>();
  private running: Promise<void> | null = null;

  constructor(private readonly db: DataSource, private readonly logger?: Logger) {
    // Told of every commit and rollback of this DataSource; answers at once (the chaining runs apart).
    db.subscribers.push({
      afterTransactionCommit: ({ queryRunner }) => this.settled(queryRunner, true),
      afterTransactionRollback: ({ queryRunner }) => this.settled(queryRunner, false),
    });
  }

  /** Rows inserted in `m`'s transaction: chained once it commits, forgotten if it rolls back. */
  written(m: EntityManager, ids: string[]): void {
    const qr = m.queryRunner;
    if (!qr?.isTransactionActive) {
      this.nudge(ids);
      return;
    }
    const list = this.byTransaction.get(qr);
    if (list) list.push(...ids);
    else this.byTransaction.set(qr, [...ids]);
  }

  private settled(qr: QueryRunner, committed: boolean): void {
    // A savepoint released or rolled back: the outer transaction decides.
    if (qr.isTransactionActive) return;
    const ids = this.byTransaction.get(qr);
    if (!ids) return;
    this.byTransaction.delete(qr);
    if (committed) this.nudge(ids);
  }

  private nudge(ids: string[]): void {
    for (const id of ids) this.pending.add(id);
    if (!this.running) this.running = this.drain().finally(() => { this.running = null; });
  }

  /** Runs until nothing this process wrote waits: one chaining transaction links all that came meanwhile. */
  private async drain(): Promise<void> {
    while (this.pending.size) {
      const ids = [...this.pending];
      this.pending.clear();
      try {
        await this.chain({ ids });
      } catch (err) {
        // The sweep links them later; nothing is lost but time.
        this.logger?.warn({ err: (err as Error).message, rows: ids.length }, 'audit rows not chained yet');
      }
    }
  }

  /** Resolves when this process has chained what it wrote so far (tests, graceful stop). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * Links the committed rows not linked yet: `ids` and those above the chained maximum, or with
   * `sweep` every unlinked row above the floor (then the floor moves up to what was seen at least
   * SWEEP_GRACE_SECONDS ago). Answers the rows linked.
   */
  async chain(scope: { ids: string[] } | { sweep: true }): Promise<number> {
    let total = 0;
    for (;;) {
      const { linked, full } = await runInTransaction(this.db, (m) => this.link(m, scope));
      total += linked;
      if (!full) return total;
    }
  }

  /** The scheduler's backstop: every committed row is linked within a minute or so. */
  sweep(): Promise<number> {
    return this.chain({ sweep: true });
  }

  private async link(m: EntityManager, scope: { ids: string[] } | { sweep: true }): Promise<{ linked: number; full: boolean }> {
    const [head] = (await m.query(
      'SELECT last_seq AS lastSeq, last_id AS lastId, last_hash AS lastHash, floor_id AS floorId, mark_id AS markId, mark_at AS markAt, NOW(3) AS now ' +
        'FROM audit_chain_head WHERE id = 1 FOR UPDATE',
    )) as Head[];
    if (!head) throw new Error('audit_chain_head has no row: run the migrations');
    const unlinked = 'NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.audit_id = a.id)';
    const cols = RAW_AUDIT_COLUMNS.split(', ').map((c) => `a.${c}`).join(', ');
    const rows = ('ids' in scope
      ? await m.query(
        `SELECT ${cols} FROM audit_log a WHERE (a.id > ?${scope.ids.length ? ` OR a.id IN (${scope.ids.map(() => '?').join(',')})` : ''}) AND ${unlinked} ORDER BY a.id LIMIT ${BATCH}`,
        [head.lastId, ...scope.ids],
      )
      : await m.query(`SELECT ${cols} FROM audit_log a WHERE a.id > ? AND ${unlinked} ORDER BY a.id LIMIT ${BATCH}`, [head.floorId])) as RawAuditRow[];

    let seq = BigInt(head.lastSeq);
    let prev = head.lastHash;
    let maxId = BigInt(head.lastId);
    const params: unknown[] = [];
    for (const r of rows) {
      seq += 1n;
      const hash = chainHash(prev, chainedFieldsOf(r));
      params.push(seq.toString(), String(r.id), prev, hash);
      prev = hash;
      if (BigInt(r.id) > maxId) maxId = BigInt(r.id);
    }
    if (rows.length) {
      await m.query(`INSERT INTO audit_chain (seq, audit_id, prev_hash, hash) VALUES ${rows.map(() => '(?, ?, ?, ?)').join(', ')}`, params);
      await m.query('UPDATE audit_chain_head SET last_seq = ?, last_id = ?, last_hash = ? WHERE id = 1', [seq.toString(), maxId.toString(), prev]);
    }
    const full = rows.length === BATCH;
    if ('sweep' in scope && !full) await this.moveFloor(m, head);
    return { linked: rows.length, full };
  }

  /**
   * Everything visible is linked now. Ids up to the mark taken a grace period ago that are still
   * missing belong to transactions that rolled back: the next sweeps start above them.
   */
  private async moveFloor(m: EntityManager, head: Head): Promise<void> {
    const graceOver = !head.markAt || head.now.getTime() - head.markAt.getTime() >= SWEEP_GRACE_SECONDS * 1000;
    if (!graceOver) return;
    const [{ maxId }] = (await m.query('SELECT COALESCE(MAX(id), 0) AS maxId FROM audit_log')) as Array<{ maxId: string | number }>;
    const floor = BigInt(head.floorId) > BigInt(head.markId) ? BigInt(head.floorId) : BigInt(head.markId);
    await m.query('UPDATE audit_chain_head SET floor_id = ?, mark_id = ?, mark_at = ? WHERE id = 1', [floor.toString(), String(maxId), head.now]);
  }
}
