import type { DataSource, EntityManager } from 'typeorm';
import { AppError, CommonErrors, notFound } from '../../shared/errors';
import type { Actor, AuditService } from '../audit';

/**
 * The sections of a client a staff member may be allowed to see or act on:
 * - `archive`: who the client is and where they stand — name, phone, gender, birth date, stage,
 *   consultant, consents, intent answers without health, plan options and price, appointments,
 *   complaint and survey cases;
 * - `health`: medical history, health answers and safety flags, the doctor's analysis and risk plan,
 *   and which procedures (projects) were bought or done — DOMAIN.md's medical data;
 * - `contact`: the WeCom link and chat messages, and which clients a post was delivered to;
 * - `money`: orders, refunds, points and vouchers.
 */
export const ACCESS_SCOPES = ['archive', 'health', 'contact', 'money'] as const;
export type AccessScope = (typeof ACCESS_SCOPES)[number];

/** How far a role reaches in one scope: every client, only the clients it is the dedicated consultant of, or none. */
export type AccessReach = 'all' | 'own' | 'none';

/** The staff roles (as in staff.entity; named here because the staff module depends on this one). */
type RoleName = 'director' | 'doctor' | 'consultant' | 'customer_service';

/**
 * 院长级 / 医师级 / 客服级 (DOMAIN.md, the people):
 * - director 院长: every section of every client;
 * - doctor 医师: archive and health of every client (they review any client's questionnaire and write
 *   plans), money to read (orders, amounts); no WeCom chats — those belong to the consultant;
 * - consultant 咨询师: archive, contact and money of their own clients only (the client's dedicated
 *   consultant), never health — not even which procedures were bought;
 * - customer service 客服: archive of every client (callbacks, complaints, appointments for anyone)
 *   and money (they take payments at the front desk), no health and no WeCom chats.
 * A client without a dedicated consultant is nobody's own: only roles reaching all clients see them.
 * What a role may *do* (write plans, record orders, approve posts) stays on each route's `roles`;
 * this table decides only which clients and sections it may see or act on.
 */
export const CLIENT_ACCESS: Readonly<Record<RoleName, Readonly<Record<AccessScope, AccessReach>>>> = {
  director: { archive: 'all', health: 'all', contact: 'all', money: 'all' },
  doctor: { archive: 'all', health: 'all', contact: 'none', money: 'all' },
  consultant: { archive: 'own', health: 'none', contact: 'own', money: 'own' },
  customer_service: { archive: 'all', health: 'none', contact: 'none', money: 'all' },
};

/** Who asks: a staff actor; the system itself (scheduler, imports, demo seed) reaches all, a client nothing. */
export type AccessPrincipal = Pick<Actor, 'type' | 'id' | 'role'>;

/** How far this principal reaches in a scope. Pure. */
export function accessReach(who: AccessPrincipal, scope: AccessScope): AccessReach {
  if (who.type === 'system') return 'all';
  if (who.type !== 'staff' || !who.role || who.id === null) return 'none';
  return Object.hasOwn(CLIENT_ACCESS, who.role) ? CLIENT_ACCESS[who.role as RoleName][scope] : 'none';
}

/** May this staff member see this section of this client (given the client's dedicated consultant)? Pure. */
export function mayAccess(who: AccessPrincipal, client: { consultantId: number | null }, scope: AccessScope): boolean {
  const reach = accessReach(who, scope);
  return reach === 'all' || (reach === 'own' && client.consultantId !== null && client.consultantId === who.id);
}

/** Every section this staff member may see of this client. Pure. */
export function accessibleScopes(who: AccessPrincipal, client: { consultantId: number | null }): AccessScope[] {
  return ACCESS_SCOPES.filter((s) => mayAccess(who, client, s));
}

/**
 * The rule as a SQL condition on the client's consultant column, for lists that filter in the
 * database: `1 = 1` (every client), `<column> = ?` (own clients) or `1 = 0` (none).
 */
export function accessFilter(who: AccessPrincipal, scope: AccessScope, consultantColumn = 'c.consultant_id'): { sql: string; params: unknown[] } {
  const reach = accessReach(who, scope);
  if (reach === 'all') return { sql: '1 = 1', params: [] };
  if (reach === 'own') return { sql: `${consultantColumn} = ?`, params: [who.id] };
  return { sql: '1 = 0', params: [] };
}

/** An active client a check let through. */
export interface AccessibleClient {
  id: number;
  publicId: string;
  consultantId: number | null;
}

export interface AccessCheckOptions {
  /** Run inside this transaction (default: outside any). */
  m?: EntityManager;
  /** Lock the client row FOR UPDATE for the rest of `m`'s transaction. */
  lock?: boolean;
  /** The audit action a refusal is recorded under (default `client.access`). */
  action?: string;
  /** Records kept after an account's deletion (cases, orders) are still checked against its consultant of record. */
  includeDeleted?: boolean;
  /** The 404 to answer when the client is missing, deleted or out of reach (default: "Client not found"). */
  notFound?: AppError;
}

/**
 * The one client-access rule with what it needs loaded: the client's dedicated consultant.
 * `check` answers 403 FORBIDDEN when the role never reaches the scope, and 404 when the client is
 * missing, deleted, or not one of the consultant's own — the same 404 either way, so ids cannot be
 * probed. A refusal about an existing client is audited (outside any transaction, so it survives
 * the rollback). Every module asks this (exported from the clients module's index.ts).
 */
export class ClientAccess {
  constructor(private readonly deps: { db: DataSource; audit: AuditService }) {}

  reach(who: AccessPrincipal, scope: AccessScope): AccessReach {
    return accessReach(who, scope);
  }

  may(who: AccessPrincipal, client: { consultantId: number | null }, scope: AccessScope): boolean {
    return mayAccess(who, client, scope);
  }

  filter(who: AccessPrincipal, scope: AccessScope, consultantColumn?: string): { sql: string; params: unknown[] } {
    return accessFilter(who, scope, consultantColumn);
  }

  /** Throws 403 FORBIDDEN when this role never reaches the scope (before reading anything). */
  requireScope(who: AccessPrincipal, scope: AccessScope): void {
    if (accessReach(who, scope) === 'none') throw new AppError(CommonErrors.FORBIDDEN, 'Your role may not see this part of a client');
  }

  /**
   * A list's reach as SQL conditions (403 when the role never reaches the scope), narrowed to one
   * client when a public id is asked for — checked first, so an unknown or unreachable client is the
   * same 404 (audited under `action`) rather than an empty list. For lists and their exports.
   */
  async listConditions(actor: Actor, scope: AccessScope, opts: { client?: string; clientColumn: string; consultantColumn?: string; action: string }): Promise<{ conds: string[]; params: unknown[] }> {
    this.requireScope(actor, scope);
    const reach = accessFilter(actor, scope, opts.consultantColumn);
    const conds = [reach.sql];
    const params = [...reach.params];
    if (opts.client !== undefined) {
      const client = await this.check(actor, { publicId: opts.client }, scope, { action: opts.action });
      conds.push(`${opts.clientColumn} = ?`);
      params.push(client.id);
    }
    return { conds, params };
  }

  /** Loads the client (by internal or public id) and applies the rule; see the class comment. */
  async check(actor: Actor, client: { id: number } | { publicId: string }, scope: AccessScope, opts: AccessCheckOptions = {}): Promise<AccessibleClient> {
    this.requireScope(actor, scope);
    const m = opts.m ?? this.deps.db.manager;
    const [col, value] = 'id' in client ? ['id', client.id] : ['public_id', client.publicId];
    const [row]: { id: number; public_id: string; consultant_id: number | null; status: string }[] = await m.query(
      `SELECT id, public_id, consultant_id, status FROM clients WHERE ${col} = ?${opts.lock ? ' FOR UPDATE' : ''}`, [value],
    );
    const refusal = opts.notFound ?? notFound('Client');
    if (!row || (row.status !== 'active' && !opts.includeDeleted)) throw refusal;
    const found: AccessibleClient = { id: Number(row.id), publicId: row.public_id, consultantId: row.consultant_id === null ? null : Number(row.consultant_id) };
    if (!mayAccess(actor, found, scope)) {
      await this.deps.audit.record(actor, opts.action ?? 'client.access', {
        clientId: found.id, allowed: false, details: { reason: 'not_assigned', role: actor.role, scope },
      });
      throw refusal;
    }
    return found;
  }
}
