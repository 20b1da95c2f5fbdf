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
    const repo = (manager ?? this.db.manager).getRepository(AuditEntry);
    await repo.insert({
      at: this.clock.now(),
      actorType: actor.type,
      actorId: actor.id,
      actorRole: actor.role,
      action,
      clientId: opts.clientId ?? null,
      allowed: opts.allowed ?? true,
      ip: actor.ip,
      requestId: actor.requestId,
      details: (opts.details ?? null) as never,
    });
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
