import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../config';
import { blindIndexVersionOf, FieldCipher, normalizeName } from '../shared/crypto';
import { createLogger, Logger } from '../shared/logger';
import { runInTransaction } from '../shared/db';
import { clientAad } from '../modules/clients';

/**
 * Re-indexes the blind indexes (HMAC of phone, name, openid, unionid) under the newest
 * blind-index key, after a version was added to BLIND_INDEX_KEY; part of `npm run keys:reencrypt`.
 * Lookups try every configured key, so rows are found before, during and after this runs. A value
 * is recomputed from what the row still holds in readable or decryptable form, and only when the
 * old index is indeed that value's (never guessed). Indexes of deleted accounts
 * (referral_ineligible, bindings of a deleted friend) keep their version: nothing readable is
 * left to recompute them from (PIPL deletion); they stay findable while their key is configured.
 */

export interface ReindexReport {
  [table: string]: { scanned: number; reindexed: number; kept: number };
}

interface Deps {
  db: DataSource;
  config: Config;
  logger?: Logger;
}

export async function reindexAll(deps: Deps, opts: { batchSize?: number } = {}): Promise<ReindexReport> {
  const { db, config } = deps;
  const log = deps.logger ?? createLogger(config.logLevel, { module: 'reindex' });
  const cipher = new FieldCipher(config.crypto.dataKeys, config.crypto.currentKeyVersion, config.crypto.blindIndexKeys);
  const version = cipher.currentBlindIndexVersion;
  const batch = opts.batchSize ?? 200;
  // A stored index not made under the newest key (version 1 is bare hex, later ones `<v>:…`).
  const stale = (col: string) => (version === 1 ? `t.${col} LIKE '%:%'` : `(t.${col} IS NOT NULL AND t.${col} NOT LIKE '${version}:%')`);
  /** The newest index of `plain` when `stored` is `plain`'s index under an older key; else null. */
  const renew = (kind: string, stored: string | null, plain: string | null): string | null => {
    if (!stored || plain === null || blindIndexVersionOf(stored) === version) return null;
    const all = cipher.blindIndexes(kind, plain);
    return all.includes(stored) ? all[0] : null;
  };
  const open = (blob: Buffer | null, aad: string): string | null => {
    if (!blob) return null;
    try {
      return cipher.decrypt(blob, aad);
    } catch {
      return null;
    }
  };
  const report: ReindexReport = {};

  const walk = async (
    table: string, where: string,
    each: (id: number, m: EntityManager) => Promise<'reindexed' | 'kept'>,
  ): Promise<void> => {
    const counts = { scanned: 0, reindexed: 0, kept: 0 };
    report[table] = counts;
    let after = 0;
    for (;;) {
      const rows: { id: number }[] = await db.query(`SELECT t.id FROM ${table} t WHERE t.id > ? AND (${where}) ORDER BY t.id LIMIT ?`, [after, batch]);
      if (!rows.length) break;
      for (const { id } of rows) {
        after = Number(id);
        counts.scanned++;
        try {
          counts[await runInTransaction(db, (m) => each(Number(id), m))]++;
        } catch (err) {
          // E.g. the newest index collides with another row's (a duplicate phone): left as it was.
          counts.kept++;
          log.error({ table, id, code: (err as { code?: string }).code }, 'blind index could not be renewed');
        }
      }
    }
  };

  await walk('clients', `${stale('name_bidx')} OR ${stale('phone_bidx')}`, async (id, m) => {
    const [c] = await m.query('SELECT public_id, name_enc, name_bidx, phone_enc, phone_bidx FROM clients WHERE id = ? FOR UPDATE', [id]);
    const name = open(c.name_enc, clientAad.client(c.public_id, 'name'));
    const nameBidx = renew('name', c.name_bidx, name === null ? null : normalizeName(name));
    const phoneBidx = renew('phone', c.phone_bidx, open(c.phone_enc, clientAad.client(c.public_id, 'phone')));
    if (!nameBidx && !phoneBidx) return 'kept';
    await m.query('UPDATE clients SET name_bidx = COALESCE(?, name_bidx), phone_bidx = COALESCE(?, phone_bidx), updated_at = updated_at WHERE id = ?', [nameBidx, phoneBidx, id]);
    return 'reindexed';
  });

  // A binding's indexes are its friend's openid, unionid and phone, read from the friend's archive.
  await walk('referral_bindings', `${stale('openid_bidx')} OR ${stale('unionid_bidx')} OR ${stale('phone_bidx')}`, async (id, m) => {
    const [b] = await m.query(
      `SELECT b.openid_bidx, b.unionid_bidx, b.phone_bidx, c.status, c.openid, c.unionid, c.public_id, c.phone_enc
         FROM referral_bindings b JOIN clients c ON c.id = b.referee_id WHERE b.id = ? FOR UPDATE`,
      [id],
    );
    if (!b || b.status !== 'active') return 'kept';
    const openid = renew('openid', b.openid_bidx, b.openid);
    const unionid = renew('unionid', b.unionid_bidx, b.unionid);
    const phone = renew('phone', b.phone_bidx, open(b.phone_enc, clientAad.client(b.public_id, 'phone')));
    if (!openid && !unionid && !phone) return 'kept';
    await m.query(
      'UPDATE referral_bindings SET openid_bidx = COALESCE(?, openid_bidx), unionid_bidx = COALESCE(?, unionid_bidx), phone_bidx = COALESCE(?, phone_bidx) WHERE id = ?',
      [openid, unionid, phone, id],
    );
    return 'reindexed';
  });

  // Deleted accounts' indexes: nothing to recompute them from; counted so the operator knows
  // whether the old key is still needed.
  const [{ n }] = await db.query(`SELECT COUNT(*) AS n FROM referral_ineligible t WHERE ${stale('bidx')}`);
  report.referral_ineligible = { scanned: Number(n), reindexed: 0, kept: Number(n) };
  return report;
}
