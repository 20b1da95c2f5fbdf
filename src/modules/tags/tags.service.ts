import type { DataSource, EntityManager } from 'typeorm';
import { publicId } from '../../shared/crypto';
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
    return (await this.setDimensions(m, clientId, { [dimension]: values }, source))[dimension] ?? { added: [], removed: [] };
  }

  /**
   * Several dimensions at once, in a handful of statements and at most one sync row: each given
   * dimension becomes exactly its values; dimensions not given are left alone.
   */
  async setDimensions(m: EntityManager, clientId: number, sets: TagSet, source: string): Promise<Partial<Record<TagDimension, TagChange>>> {
    const dims = Object.keys(sets) as TagDimension[];
    if (!dims.length) return {};
    const rows: { dimension: TagDimension; value: string }[] = await m.query(
      `SELECT dimension, value FROM client_tags WHERE client_id = ? AND dimension IN (${dims.map(() => '?').join(',')}) FOR UPDATE`,
      [clientId, ...dims],
    );
    const changes: Partial<Record<TagDimension, TagChange>> = {};
    const removals: [TagDimension, string][] = [];
    const additions: [TagDimension, string][] = [];
    for (const dim of dims) {
      const wanted = [...new Set(sets[dim] ?? [])];
      const current = rows.filter((r) => r.dimension === dim).map((r) => r.value);
      const added = wanted.filter((v) => !current.includes(v));
      const removed = current.filter((v) => !wanted.includes(v));
      changes[dim] = { added, removed };
      removals.push(...removed.map((v) => [dim, v] as [TagDimension, string]));
      additions.push(...added.map((v) => [dim, v] as [TagDimension, string]));
    }
    if (removals.length) {
      await m.query(
        `DELETE FROM client_tags WHERE client_id = ? AND (${removals.map(() => '(dimension = ? AND value = ?)').join(' OR ')})`,
        [clientId, ...removals.flat()],
      );
    }
    if (additions.length) {
      await m.query(
        `INSERT INTO client_tags (client_id, dimension, value, source) VALUES ${additions.map(() => '(?, ?, ?, ?)').join(',')}`,
        additions.flatMap(([dim, v]) => [clientId, dim, v, source]),
      );
    }
    if (removals.length || additions.length) await this.requestSync(m, clientId);
    return changes;
  }

  /** The account is deleted (PIPL): its tags go with it. */
  readonly clientDataHooks = {
    onAccountDeleted: async (m: EntityManager, clientId: number): Promise<void> => {
      await m.query('DELETE FROM client_tags WHERE client_id = ?', [clientId]);
    },
  };

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
   * Asks the bot to mirror the client's tags onto their WeCom contact. The row carries no copy of
   * the tags: the bot sends the set as it is when the row goes out. One pending row is enough; it is
   * locked by id (no gap lock on an empty range) so a drain cannot claim it, and read the old set,
   * before this transaction commits. `reason` says who asked, for the record.
   */
  async requestSync(m: EntityManager, clientId: number, reason = 'tags'): Promise<void> {
    const [candidate]: { id: string }[] = await m.query(
      "SELECT id FROM outbox_messages WHERE client_id = ? AND kind = 'tag_sync' AND status = 'pending' ORDER BY id DESC LIMIT 1",
      [clientId],
    );
    if (candidate) {
      const [still] = await m.query("SELECT id FROM outbox_messages WHERE id = ? AND status = 'pending' FOR UPDATE", [candidate.id]);
      if (still) return;
    }
    await this.deps.outbox.enqueue(m, { kind: 'tag_sync', dedupeKey: `tag_sync:${clientId}:${publicId()}`, clientId, payload: { reason } });
  }
}
