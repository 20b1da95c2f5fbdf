import type { DataSource, EntityManager } from 'typeorm';
import type { Context } from 'koa';
import type { Clock } from '../../shared/clock';
import { runInTransaction } from '../../shared/db';
import { AuditEntry, ActorType } from './audit.entity';
import { GENESIS_HASH, RAW_AUDIT_COLUMNS, chainHash, chainedFieldsOf, type RawAuditRow } from './audit.chain';
import type { Principal } from '../../shared/http/route';

export interface AuditInput {
  actorType: ActorType;
  actorId: number | null;
  actorRole?: string | null;
  action: string;
  clientId?: number | null;
  allowed: boolean;
  ip?: string | null;
  requestId?: string | null;
  details?: Record<string, unknown> | null;
}

/** One row to write for an actor (see AuditService.recordMany). */
export interface AuditRecord {
  action: string;
  clientId?: number | null;
  allowed?: boolean;
  details?: Record<string, unknown>;
}

/** Who did it, from where: the audit fields of a request, for services that never see `ctx`. */
export interface Actor {
  type: ActorType;
  id: number | null;
  role: string | null;
  ip: string | null;
  requestId: string | null;
}

export function actorFromContext(ctx: Context): Actor {
  const p = ctx.state.principal as Principal | undefined;
  return {
    type: p ? p.kind : 'system',
    id: p ? (p.kind === 'client' ? p.clientId : p.staffId) : null,
    role: p?.kind === 'staff' ? p.role : p?.kind === 'client' ? 'client' : null,
    ip: ctx.ip ?? null,
    requestId: (ctx.state.requestId as string | undefined) ?? null,
  };
}

export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, role: 'system', ip: null, requestId: null };

/** What `verifyChain` found; `head` is worth keeping outside the database to compare later runs with. */
export interface ChainReport {
  ok: boolean;
  rows: number;
  head: { id: string; hash: string } | null;
  broken: { id: string | null; reason: 'prev_hash_mismatch' | 'hash_mismatch' | 'head_mismatch' | 'no_head' } | null;
}

/** 操作日志: writes only. There is deliberately no update or delete method. */
export class AuditService {
  constructor(private readonly db: DataSource, private readonly clock: Clock) {}

  /** Writes one row; pass the transaction's manager so the row commits (or not) with the change it records. */
  async record(actor: Actor, action: string, opts: { clientId?: number | null; allowed?: boolean; details?: Record<string, unknown> } = {}, manager?: EntityManager): Promise<void> {
    await this.recordMany(actor, [{ action, ...opts }], manager);
  }

  /**
   * Several rows of one actor in one INSERT, in the given order (ids ascending) and with the same
   * time: for a change that records more than one action (e.g. a questionnaire that also updates the
   * medical history). Same rules as `record`.
   *
   * Each row carries the hash of the row before it (DESIGN.md: the audit rows are hash-chained so
   * tampering shows). Appends are serialised by the chain head row, locked `FOR UPDATE` inside the
   * caller's transaction and held until it commits: the next writer reads the head only after this
   * one's rows are committed (or rolled back with the head), so two writers never link to the same
   * row and the ids follow the chain without gaps.
   */
  async recordMany(actor: Actor, entries: AuditRecord[], manager?: EntityManager): Promise<void> {
    if (!entries.length) return;
    // Outside a transaction the head lock would end with the SELECT and the chain could fork:
    // runInTransaction joins the caller's transaction or opens one.
    await runInTransaction(this.db, (tx) => this.append(actor, entries, tx), { manager });
  }

  private async append(actor: Actor, entries: AuditRecord[], m: EntityManager): Promise<void> {
    const at = this.clock.now();
    const [head] = (await m.query('SELECT last_id AS lastId, last_hash AS lastHash FROM audit_chain_head WHERE id = 1 FOR UPDATE')) as Array<{
      lastId: string | number; lastHash: string;
    }>;
    if (!head) throw new Error('audit_chain_head has no row: run the migrations');
    let id = BigInt(head.lastId);
    let prev = head.lastHash;
    const params: unknown[] = [];
    for (const e of entries) {
      id += 1n;
      // Hashed as it will read back: details through JSON, so undefined members drop out alike.
      const details = e.details ? (JSON.parse(JSON.stringify(e.details)) as Record<string, unknown>) : null;
      const row = {
        id: id.toString(), at, actorType: actor.type, actorId: actor.id, actorRole: actor.role, action: e.action, clientId: e.clientId ?? null,
        allowed: e.allowed ?? true, ip: actor.ip, requestId: actor.requestId, details,
      };
      const hash = chainHash(prev, row);
      params.push(row.id, at, actor.type, actor.id, actor.role, e.action, row.clientId, row.allowed, actor.ip, actor.requestId,
        details ? JSON.stringify(details) : null, prev, hash);
      prev = hash;
    }
    await m.query(
      'INSERT INTO audit_log (id, at, actor_type, actor_id, actor_role, action, client_id, allowed, ip, request_id, details, prev_hash, hash) ' +
        `VALUES ${entries.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      params,
    );
    await m.query('UPDATE audit_chain_head SET last_id = ?, last_hash = ? WHERE id = 1', [id.toString(), prev]);
  }

  /**
   * Walks the chain in id order and reports the first broken link: a row whose stored hash is not
   * the hash of its own content (changed), whose prev_hash is not the hash of the row before it
   * (a row removed or inserted), or a head that names a row that is not the last one (the tail
   * removed). Rows appended while it runs, past the head read at the start, are not looked at.
   */
  async verifyChain(opts: { batchSize?: number } = {}): Promise<ChainReport> {
    const batchSize = opts.batchSize ?? 2000;
    const [head] = (await this.db.query('SELECT last_id AS lastId, last_hash AS lastHash FROM audit_chain_head WHERE id = 1')) as Array<{
      lastId: string | number; lastHash: string;
    }>;
    if (!head) return { ok: false, rows: 0, head: null, broken: { id: null, reason: 'no_head' } };
    const lastId = String(head.lastId);
    let prev = GENESIS_HASH;
    let prevId: string | null = null;
    let rows = 0;
    for (;;) {
      const batch = (await this.db.query(
        `SELECT ${RAW_AUDIT_COLUMNS} FROM audit_log WHERE id > ? AND id <= ? ORDER BY id LIMIT ?`,
        [prevId ?? 0, lastId, batchSize],
      )) as RawAuditRow[];
      for (const r of batch) {
        const id = String(r.id);
        if (r.prev_hash !== prev) return { ok: false, rows, head: { id: lastId, hash: head.lastHash }, broken: { id, reason: 'prev_hash_mismatch' } };
        if (r.hash !== chainHash(prev, chainedFieldsOf(r))) {
          return { ok: false, rows, head: { id: lastId, hash: head.lastHash }, broken: { id, reason: 'hash_mismatch' } };
        }
        prev = r.hash;
        prevId = id;
        rows++;
      }
      if (batch.length < batchSize) break;
    }
    if ((prevId ?? '0') !== lastId || prev !== head.lastHash) {
      return { ok: false, rows, head: { id: lastId, hash: head.lastHash }, broken: { id: lastId, reason: 'head_mismatch' } };
    }
    return { ok: true, rows, head: { id: lastId, hash: head.lastHash }, broken: null };
  }

  async list(filter: { clientId?: number; actorId?: number; action?: string; from?: Date; to?: Date; limit: number; beforeId?: string }): Promise<AuditEntry[]> {
    const qb = this.db.getRepository(AuditEntry).createQueryBuilder('a').orderBy('a.id', 'DESC').limit(filter.limit);
    if (filter.clientId !== undefined) qb.andWhere('a.client_id = :clientId', { clientId: filter.clientId });
    if (filter.actorId !== undefined) qb.andWhere("a.actor_type = 'staff' AND a.actor_id = :actorId", { actorId: filter.actorId });
    if (filter.action) qb.andWhere('a.action = :action', { action: filter.action });
    if (filter.from) qb.andWhere('a.at >= :from', { from: filter.from });
    if (filter.to) qb.andWhere('a.at < :to', { to: filter.to });
    if (filter.beforeId) qb.andWhere('a.id < :beforeId', { beforeId: filter.beforeId });
    return qb.getMany();
  }
}
