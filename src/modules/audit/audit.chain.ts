import { createHash } from 'node:crypto';

/** The hash before the first row of the chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields of an audit row that its hash covers: all of them but the hashes themselves. */
export interface ChainedFields {
  id: string;
  at: Date;
  actorType: string;
  actorId: number | null;
  actorRole: string | null;
  action: string;
  clientId: number | null;
  allowed: boolean;
  ip: string | null;
  requestId: string | null;
  details: unknown;
}

/** JSON with object keys sorted at every depth, so the same value always serialises the same. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** The canonical serialisation of a row (fixed field order, keys of `details` sorted). */
export function canonicalRow(r: ChainedFields): string {
  return canonicalJson([
    'v1', String(r.id), r.at.toISOString(), r.actorType, r.actorId, r.actorRole, r.action, r.clientId, Boolean(r.allowed), r.ip, r.requestId,
    r.details ?? null,
  ]);
}

/** A row's link: SHA-256 over the previous row's hash and this row's canonical serialisation. */
export function chainHash(prevHash: string, row: ChainedFields): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalRow(row)).digest('hex');
}

/** A raw `audit_log` row as mysql2 returns it (JSON as text on MariaDB, as a value on MySQL). */
export interface RawAuditRow {
  id: string | number;
  at: Date;
  actor_type: string;
  actor_id: number | null;
  actor_role: string | null;
  action: string;
  client_id: number | null;
  allowed: number | boolean;
  ip: string | null;
  request_id: string | null;
  details: unknown;
}

/** The columns of a row's content (its link, with the hashes, is in `audit_chain`). */
export const RAW_AUDIT_COLUMNS = 'id, at, actor_type, actor_id, actor_role, action, client_id, allowed, ip, request_id, details';

export function chainedFieldsOf(r: RawAuditRow): ChainedFields {
  let details: unknown = r.details;
  if (typeof details === 'string') {
    try {
      details = JSON.parse(details);
    } catch {
      // Not JSON any more: hashed as the text it is, so the link breaks rather than the check.
    }
  }
  return {
    id: String(r.id), at: r.at, actorType: r.actor_type, actorId: r.actor_id === null ? null : Number(r.actor_id), actorRole: r.actor_role,
    action: r.action, clientId: r.client_id === null ? null : Number(r.client_id), allowed: Boolean(Number(r.allowed)), ip: r.ip,
    requestId: r.request_id, details,
  };
}
