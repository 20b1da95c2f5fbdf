import type { DataSource, EntityManager } from 'typeorm';
import { sha256 } from '../../shared/crypto';
import type { OutboxService } from '../outbox';
import type { TagDimension } from './tags.entity';

export type TagSet = Partial<Record<TagDimension, string[]>>;

export interface TagChange {
  added: string[];
  removed: string[];
}

/**
 * The client's tags, by dimension. A change writes a `tag_sync` outbox row in the same
 * transaction so the bot mirrors the whole set onto the WeCom contact (issue 5).
 */
export class TagsService {
  constructor(private readonly deps: { db: DataSource; outbox: OutboxService }) {}

  /** Makes `values` the client's whole set for one dimension; returns what changed. */
  async setDimension(m: EntityManager, clientId: number, dimension: TagDimension, values: string[], source: string): Promise<TagChange> {
    const wanted = [...new Set(values)];
    const rows: { value: string }[] = await m.query(
      'SELECT value FROM client_tags WHERE client_id = ? AND dimension = ? FOR UPDATE', [clientId, dimension],
    );
    const current = rows.map((r) => r.value);
    const added = wanted.filter((v) => !current.includes(v));
    const removed = current.filter((v) => !wanted.includes(v));
    if (removed.length) {
      await m.query(`DELETE FROM client_tags WHERE client_id = ? AND dimension = ? AND value IN (${removed.map(() => '?').join(',')})`, [clientId, dimension, ...removed]);
    }
    if (added.length) {
      await m.query(
        `INSERT INTO client_tags (client_id, dimension, value, source) VALUES ${added.map(() => '(?, ?, ?, ?)').join(',')}`,
        added.flatMap((v) => [clientId, dimension, v, source]),
      );
    }
    if (added.length || removed.length) await this.requestSync(m, clientId);
    return { added, removed };
  }

  /** The client's tags grouped by dimension, values sorted. */
  async tagsOf(clientId: number, m?: EntityManager): Promise<TagSet> {
    const rows: { dimension: TagDimension; value: string }[] = await (m ?? this.deps.db.manager).query(
      'SELECT dimension, value FROM client_tags WHERE client_id = ? ORDER BY dimension, value', [clientId],
    );
    const set: TagSet = {};
    for (const r of rows) (set[r.dimension] ??= []).push(r.value);
    // Code-point order, whatever the column's collation: the set's hash must be stable.
    for (const values of Object.values(set)) values.sort();
    return set;
  }

  /**
   * One pending `tag_sync` row per distinct tag set: the key carries a hash of the whole set, so
   * repeating the same change adds nothing and the bot always applies the newest set.
   */
  private async requestSync(m: EntityManager, clientId: number): Promise<void> {
    const tags = await this.tagsOf(clientId, m);
    const key = `tag_sync:${clientId}:${sha256(JSON.stringify(tags)).slice(0, 32)}`;
    await this.deps.outbox.enqueue(m, { kind: 'tag_sync', dedupeKey: key, clientId, payload: { tags } });
  }
}
