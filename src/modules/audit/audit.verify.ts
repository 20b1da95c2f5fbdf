import type { DataSource } from 'typeorm';
import { GENESIS_HASH, RAW_AUDIT_COLUMNS, chainHash, chainedFieldsOf, type RawAuditRow } from './audit.chain';

/** What `verifyChain` found; `head` is worth keeping outside the database to compare later runs with. */
export interface ChainReport {
  ok: boolean;
  /** Links walked. */
  rows: number;
  head: { seq: string; id: string; hash: string } | null;
  broken: {
    id: string | null;
    reason: 'prev_hash_mismatch' | 'hash_mismatch' | 'row_missing' | 'head_mismatch' | 'no_head' | 'unchained';
  } | null;
  /** Rows not linked yet (written in the last moments: the chainer is on its way; older ones break the report). */
  unchained: number;
}

/** Unlinked rows older than this are a finding of `verifyChain` (the sweep links rows within a minute or two). */
export const UNCHAINED_BOUND_SECONDS = 900;
/** How far ahead of the verifier's clock an unlinked row may be dated (clocks of several servers) before it is a finding. */
export const FUTURE_SKEW_SECONDS = 300;

type LinkRow = RawAuditRow & { seq: string | number; audit_id: string | number; prev_hash: string; hash: string; found: string | number | null };

/** AuditService.verifyChain: reads only, so `npm run audit:verify` needs no chainer. */
export async function verifyAuditChain(db: DataSource, now: Date, opts: { batchSize?: number; unchainedBoundSeconds?: number } = {}): Promise<ChainReport> {
  const batchSize = opts.batchSize ?? 2000;
  const [h] = (await db.query('SELECT last_seq AS lastSeq, last_id AS lastId, last_hash AS lastHash FROM audit_chain_head WHERE id = 1')) as Array<{
    lastSeq: string | number; lastId: string | number; lastHash: string;
  }>;
  if (!h) return { ok: false, rows: 0, head: null, broken: { id: null, reason: 'no_head' }, unchained: 0 };
  const head = { seq: String(h.lastSeq), id: String(h.lastId), hash: h.lastHash };
  const fail = (rows: number, id: string | null, reason: NonNullable<ChainReport['broken']>['reason']): ChainReport =>
    ({ ok: false, rows, head, broken: { id, reason }, unchained: 0 });

  const cols = RAW_AUDIT_COLUMNS.split(', ').map((c) => `a.${c}`).join(', ');
  let prev = GENESIS_HASH;
  let seq = '0';
  let lastAuditId: string | null = null;
  let rows = 0;
  for (;;) {
    const batch = (await db.query(
      `SELECT c.seq, c.audit_id, c.prev_hash, c.hash, a.id AS found, ${cols} FROM audit_chain c LEFT JOIN audit_log a ON a.id = c.audit_id ` +
        'WHERE c.seq > ? AND c.seq <= ? ORDER BY c.seq LIMIT ?',
      [seq, head.seq, batchSize],
    )) as LinkRow[];
    for (const r of batch) {
      const id = String(r.audit_id);
      if (r.found === null) return fail(rows, id, 'row_missing');
      if (r.prev_hash !== prev) return fail(rows, id, 'prev_hash_mismatch');
      if (r.hash !== chainHash(prev, chainedFieldsOf({ ...r, id: r.audit_id }))) return fail(rows, id, 'hash_mismatch');
      prev = r.hash;
      seq = String(r.seq);
      lastAuditId = id;
      rows++;
    }
    if (batch.length < batchSize) break;
  }
  if (seq !== head.seq || prev !== head.hash) return fail(rows, lastAuditId, 'head_mismatch');

  // Rows with no link: the chainer's backlog, or rows it never got to (a row committed long after its id was taken, or a chainer that never ran).
  // A row dated in the future is no backlog: it was written around the product (its own clock cannot have put it there).
  const bound = new Date(now.getTime() - (opts.unchainedBoundSeconds ?? UNCHAINED_BOUND_SECONDS) * 1000);
  const future = new Date(now.getTime() + FUTURE_SKEW_SECONDS * 1000);
  const [u] = (await db.query(
    'SELECT COUNT(*) AS n, MIN(CASE WHEN a.at < ? OR a.at > ? THEN a.id END) AS oldest FROM audit_log a WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.audit_id = a.id)',
    [bound, future],
  )) as Array<{ n: string | number; oldest: string | number | null }>;
  const unchained = Number(u.n);
  if (u.oldest !== null) return { ...fail(rows, String(u.oldest), 'unchained'), unchained };
  return { ok: true, rows, head, broken: null, unchained };
}
