import type { DataSource, EntityManager } from 'typeorm';
import type { Context } from 'koa';
import type { Clock } from '../../shared/clock';
import { runInTransaction } from '../../shared/db';
import { AuditEntry, ActorType } from './audit.entity';
import { AuditChainer } from './audit.chainer';
import { verifyAuditChain, type ChainReport } from './audit.verify';
import type { Logger } from '../../shared/logger';
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

/** 操作日志: writes only. There is deliberately no update or delete method. */
export class AuditService {
  readonly chainer: AuditChainer;

  constructor(private readonly db: DataSource, private readonly clock: Clock, logger?: Logger) {
    this.chainer = new AuditChainer(db, logger);
  }

  /** Writes one row; pass the transaction's manager so the row commits (or not) with the change it records. */
  async record(actor: Actor, action: string, opts: { clientId?: number | null; allowed?: boolean; details?: Record<string, unknown> } = {}, manager?: EntityManager): Promise<void> {
    await this.recordMany(actor, [{ action, ...opts }], manager);
  }

  /**
   * Several rows of one actor in one INSERT, in the given order (ids ascending) and with the same
   * time: for a change that records more than one action (e.g. a questionnaire that also updates the
   * medical history). Same rules as `record`.
   *
   * The rows are only appended here, unlinked: nothing in the caller's transaction waits for other
   * writers. Once it commits, this process's chainer links them into the hash chain (DESIGN.md:
   * the audit rows are hash-chained so tampering shows); the scheduler's sweep links any a stopped
   * process left (audit.chainer.ts).
   */
  async recordMany(actor: Actor, entries: AuditRecord[], manager?: EntityManager): Promise<void> {
    if (!entries.length) return;
    const at = this.clock.now();
    const params: unknown[] = [];
    for (const e of entries) {
      // Stored as JSON text: undefined members drop out, as they do in the hash (chainedFieldsOf reads it back).
      const details = e.details ? JSON.stringify(e.details) : null;
      params.push(at, actor.type, actor.id, actor.role, e.action, e.clientId ?? null, e.allowed ?? true, actor.ip, actor.requestId, details);
    }
    await runInTransaction(this.db, async (m) => {
      const res = (await m.query(
        'INSERT INTO audit_log (at, actor_type, actor_id, actor_role, action, client_id, allowed, ip, request_id, details) ' +
          `VALUES ${entries.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        params,
      )) as { insertId: number | string };
      // One multi-row INSERT takes consecutive ids (InnoDB's "simple insert"); were they not, the chained-maximum rule and the sweep still find them.
      const first = BigInt(res.insertId);
      this.chainer.written(m, entries.map((_, i) => (first + BigInt(i)).toString()));
    }, { manager });
  }

  /**
   * Walks the chain in link order (seq) and reports the first broken link: a row whose content no
   * longer hashes to its link (changed), a link whose prev_hash is not the hash before it (a link
   * removed, inserted or moved), a link whose row is gone, a head that is not the last link (the
   * tail removed); then rows left unlinked for longer than `unchainedBoundSeconds`. Links made
   * while it runs, past the head read at the start, are not looked at.
   */
  verifyChain(opts: { batchSize?: number; unchainedBoundSeconds?: number } = {}): Promise<ChainReport> {
    return verifyAuditChain(this.db, this.clock.now(), opts);
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
