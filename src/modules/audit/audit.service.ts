import type { DataSource, EntityManager } from 'typeorm';
import type { Context } from 'koa';
import type { Clock } from '../../shared/clock';
import { AuditEntry, ActorType } from './audit.entity';
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
  constructor(private readonly db: DataSource, private readonly clock: Clock) {}

  /** Writes one row; pass the transaction's manager so the row commits (or not) with the change it records. */
  async record(actor: Actor, action: string, opts: { clientId?: number | null; allowed?: boolean; details?: Record<string, unknown> } = {}, manager?: EntityManager): Promise<void> {
    await this.recordMany(actor, [{ action, ...opts }], manager);
  }

  /**
   * Several rows of one actor in one INSERT, in the given order (ids ascending) and with the same
   * time: for a change that records more than one action (e.g. a questionnaire that also updates the
   * medical history). Same rules as `record`.
   */
  async recordMany(actor: Actor, entries: AuditRecord[], manager?: EntityManager): Promise<void> {
    if (!entries.length) return;
    const at = this.clock.now();
    await (manager ?? this.db.manager).query(
      `INSERT INTO audit_log (at, actor_type, actor_id, actor_role, action, client_id, allowed, ip, request_id, details) VALUES ${entries.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      entries.flatMap((e) => [
        at, actor.type, actor.id, actor.role, e.action, e.clientId ?? null, e.allowed ?? true, actor.ip, actor.requestId, e.details ? JSON.stringify(e.details) : null,
      ]),
    );
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
