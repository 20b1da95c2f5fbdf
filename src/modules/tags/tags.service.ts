import type { DataSource, EntityManager } from 'typeorm';
import { publicId } from '../../shared/crypto';
import type { OutboxService } from '../outbox';
import type { TagDimension } from './tags.entity';

export type TagSet = Partial<Record<TagDimension, string[]>>;

/** A tag as stored: its value and who set it (questionnaire, staff, stage, spend …). */
export interface TagRow {
  dimension: TagDimension;
  value: string;
  source: string;
}

/** Tags read under lock in one transaction (TagsService.lockDimensions). */
export interface LockedTags {
  readonly clientId: number;
  readonly manager: EntityManager;
  readonly dimensions: TagDimension[];
  readonly rows: TagRow[];
}

export interface TagChange {
  added: string[];
  removed: string[];
}

/**
 * The client's tags, by dimension. A change writes a `tag_sync` outbox row in the same
 * transaction so the bot mirrors the whole set onto the WeCom contact.
 */
export class TagsService {
  constructor(private readonly deps: { db: DataSource; outbox: OutboxService }) {}

  /** Makes `values` the client's whole set for one dimension; returns what changed. */
  async setDimension(m: EntityManager, clientId: number, dimension: TagDimension, values: string[], source: string): Promise<TagChange> {
    return (await this.setDimensions(m, clientId, { [dimension]: values }, source))[dimension] ?? { added: [], removed: [] };
  }

  /**
   * One dimension for many clients at once, set-based (a nightly job's batch): each client's set for
   * `dimension` becomes its `values`. No tag sync is asked for here: the caller knows which clients
   * have a WeCom contact and asks for theirs (outbox 'tag_sync') in the same transaction.
   */
  async setDimensionForMany(m: EntityManager, rows: { clientId: number; values: string[] }[], dimension: TagDimension, source: string): Promise<void> {
    if (!rows.length) return;
    await m.query('DELETE FROM client_tags WHERE dimension = ? AND client_id IN (?)', [dimension, rows.map((r) => r.clientId)]);
    const tags = rows.flatMap((r) => r.values.map((value) => [r.clientId, dimension, value, source]));
    if (tags.length) await m.query('INSERT INTO client_tags (client_id, dimension, value, source) VALUES ?', [tags]);
  }

  /**
   * The client's tags of `dimensions`, with their sources, locked (FOR UPDATE) in the caller's
   * transaction: for a caller that decides from the current tags what to set, then passes them to
   * one setDimensions call as `current` so the set is read once (that call changes the set: read
   * again for another).
   */
  async lockDimensions(m: EntityManager, clientId: number, dimensions: readonly TagDimension[]): Promise<LockedTags> {
    const rows: TagRow[] = dimensions.length
      ? await m.query(
        `SELECT dimension, value, source FROM client_tags WHERE client_id = ? AND dimension IN (${dimensions.map(() => '?').join(',')}) FOR UPDATE`,
        [clientId, ...dimensions],
      )
      : [];
    return { clientId, manager: m, dimensions: [...dimensions], rows };
  }

  /**
   * Several dimensions at once, in a handful of statements and at most one sync row: each given
   * dimension becomes exactly its values; dimensions not given are left alone. `source` is one for
   * all, or one per given dimension. `current`: what lockDimensions returned in this transaction
   * for (at least) these dimensions, so they are not read again.
   */
  async setDimensions(
    m: EntityManager, clientId: number, sets: TagSet, source: string | Partial<Record<TagDimension, string>>, opts: { current?: LockedTags } = {},
  ): Promise<Partial<Record<TagDimension, TagChange>>> {
    const dims = Object.keys(sets) as TagDimension[];
    if (!dims.length) return {};
    const sourceOf = new Map(dims.map((dim) => [dim, typeof source === 'string' ? source : source[dim]]));
    if ([...sourceOf.values()].includes(undefined)) throw new Error('setDimensions needs a source for every dimension it sets');
    const locked = opts.current ?? await this.lockDimensions(m, clientId, dims);
    if (locked.clientId !== clientId || locked.manager !== m || dims.some((d) => !locked.dimensions.includes(d))) {
      throw new Error('the tags passed as current were not locked for this client, transaction and dimensions');
    }
    const changes: Partial<Record<TagDimension, TagChange>> = {};
    const removals: [TagDimension, string][] = [];
    const additions: [TagDimension, string][] = [];
    for (const dim of dims) {
      const wanted = [...new Set(sets[dim] ?? [])];
      const current = locked.rows.filter((r) => r.dimension === dim).map((r) => r.value);
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
        additions.flatMap(([dim, v]) => [clientId, dim, v, sourceOf.get(dim)]),
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
