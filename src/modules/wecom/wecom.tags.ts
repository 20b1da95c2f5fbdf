import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '../../shared/logger';
import { runInTransaction } from '../../shared/db';
import { TAG_GROUPS, tagGroupOf } from '../../shared/tag-groups';
import { CorpTagGroup, WeComApi, WeComError } from '../../integrations/wecom/types';

/** The tags module's part in the sync: the client's set, and writing back what staff may change in WeCom. */
export interface ClientTagStore {
  tagsOf(clientId: number): Promise<Record<string, string[]>>;
  setDimension(m: EntityManager, clientId: number, dimension: 'project', values: string[], source: string): Promise<unknown>;
  requestSync(m: EntityManager, clientId: number, reason?: string): Promise<void>;
}

// What staff may change in WeCom and the product takes back: the projects a client is interested in
// (learned in the chat). Stage, value tier, lead grade and RFM are computed; a change to those is put back.
const STAFF_DIMENSIONS = ['project'] as const;
const GROUP_DIMENSION = new Map(Object.entries(TAG_GROUPS).map(([dimension, group]) => [group, dimension]));
// WeCom's tag names: at most 30 characters.
const MAX_TAG_CHARS = 30;

interface Relation { external_userid: string; userid: string }

/**
 * The official API's side of the one tag sync (the bot's side: src/bot/tags.ts): the client's
 * tags become corporate tags, one group per dimension, created when missing; each consultant's
 * relation with the client gets exactly them through mark_tag, and only the difference is sent.
 * Tags outside the product's groups (staff's own) are left alone.
 */
export class CorpTagSync {
  constructor(private readonly deps: { db: DataSource; corpId: string; wecom: WeComApi; log: Logger; tags: () => ClientTagStore | undefined }) {}

  /** Applies the client's set to every active relation; returns how many mark_tag calls it made. */
  async sync(clientId: number, tags: Record<string, string[]>): Promise<number> {
    const relations: Relation[] = await this.deps.db.query(
      "SELECT external_userid, userid FROM wecom_external_contacts WHERE client_id = ? AND status = 'active' ORDER BY external_userid, userid", [clientId],
    );
    if (!relations.length) return 0;
    const wanted = Object.entries(tags).flatMap(([dimension, values]) => values.map((v) => ({ group: tagGroupOf(dimension), name: [...v].slice(0, MAX_TAG_CHARS).join('') })));
    const ids = await this.ensureTags(wanted);
    const want = new Set(wanted.map((w) => ids.get(key(w.group, w.name))!));
    const managed = await this.managedTagIds();
    let calls = 0;
    for (const ext of [...new Set(relations.map((r) => r.external_userid))]) {
      const contact = await this.deps.wecom.getExternalContact(ext);
      for (const r of relations.filter((x) => x.external_userid === ext)) {
        const current = contact.followUsers.find((f) => f.userid === r.userid)?.tagIds ?? [];
        const add = [...want].filter((id) => !current.includes(id)).sort();
        const remove = current.filter((id) => managed.has(id) && !want.has(id)).sort();
        if (!add.length && !remove.length) continue;
        try {
          await this.deps.wecom.markTag({ userid: r.userid, externalUserId: ext, add, remove });
          calls++;
        } catch (err) {
          // The relation ended meanwhile (its delete event is on its way): nothing to tag.
          if (!(err instanceof WeComError) || err.errcode !== 84061) throw err;
        }
      }
    }
    return calls;
  }

  /**
   * A staff member changed a contact's tags in WeCom (edit_external_contact): the projects come
   * back into the product; a change in a computed dimension is put back by a sync.
   */
  async onContactEdited(externalUserId: string, userid: string): Promise<string> {
    const [rel]: { client_id: number | null }[] = await this.deps.db.query(
      'SELECT client_id FROM wecom_external_contacts WHERE external_userid = ? AND userid = ?', [externalUserId, userid],
    );
    const store = this.deps.tags();
    if (!rel?.client_id || !store) return 'edited';
    const clientId = Number(rel.client_id);
    const contact = await this.deps.wecom.getExternalContact(externalUserId);
    const tagIds = contact.followUsers.find((f) => f.userid === userid)?.tagIds ?? [];
    const byId = await this.cachedById(tagIds);
    const theirs: Record<string, string[]> = {};
    for (const id of tagIds) {
      const t = byId.get(id);
      const dimension = t ? GROUP_DIMENSION.get(t.group_name) : undefined;
      if (dimension) (theirs[dimension] ??= []).push(t!.tag_name);
    }
    const ours = await store.tagsOf(clientId);
    const same = (a: string[] = [], b: string[] = []) => a.length === b.length && a.every((v) => b.includes(v));
    const taken = STAFF_DIMENSIONS.filter((d) => !same(theirs[d], ours[d]));
    const putBack = Object.keys(TAG_GROUPS).filter((d) => !(STAFF_DIMENSIONS as readonly string[]).includes(d) && !same(theirs[d], ours[d]));
    if (!taken.length && !putBack.length) return 'edited';
    await runInTransaction(this.deps.db, async (m) => {
      for (const d of taken) await store.setDimension(m, clientId, d, theirs[d] ?? [], 'wecom_staff');
      if (putBack.length) await store.requestSync(m, clientId, 'wecom_edit');
    });
    return taken.length ? 'tags_taken' : 'tags_put_back';
  }

  /** WeCom says the tag library changed (change_external_tag): the cache is read again at the next sync. */
  async forgetLibrary(): Promise<void> {
    await this.deps.db.query('DELETE FROM wecom_corp_tags WHERE corp_id = ?', [this.deps.corpId]);
  }

  /** Tag ids by group and name; reads WeCom's library when one is missing, and creates what it still lacks. */
  private async ensureTags(wanted: { group: string; name: string }[]): Promise<Map<string, string>> {
    let known = await this.cached();
    const missing = () => wanted.filter((w) => !known.has(key(w.group, w.name)));
    if (missing().length) {
      await this.remember(await this.deps.wecom.getCorpTagList());
      known = await this.cached();
    }
    const byGroup = new Map<string, Set<string>>();
    for (const w of missing()) byGroup.set(w.group, (byGroup.get(w.group) ?? new Set()).add(w.name));
    for (const [group, names] of byGroup) {
      const [existing]: { group_id: string }[] = await this.deps.db.query('SELECT group_id FROM wecom_corp_tags WHERE corp_id = ? AND group_name = ? LIMIT 1', [this.deps.corpId, group]);
      await this.remember([await this.deps.wecom.addCorpTags({ groupId: existing?.group_id, groupName: group, tags: [...names] })]);
    }
    if (byGroup.size) known = await this.cached();
    const still = missing();
    if (still.length) throw new WeComError(-2, `corporate tags not available: ${still.length}`, 'add_corp_tag');
    return known;
  }

  private async remember(groups: CorpTagGroup[]): Promise<void> {
    const rows = groups.flatMap((g) => g.tags.map((t) => [this.deps.corpId, t.id, g.groupId, g.groupName, t.name]));
    if (!rows.length) return;
    await this.deps.db.query(
      `INSERT INTO wecom_corp_tags (corp_id, tag_id, group_id, group_name, tag_name) VALUES ${rows.map(() => '(?, ?, ?, ?, ?)').join(',')}
       ON DUPLICATE KEY UPDATE group_id = VALUES(group_id), group_name = VALUES(group_name), tag_name = VALUES(tag_name)`,
      rows.flat(),
    );
  }

  private async cached(): Promise<Map<string, string>> {
    const groups = Object.values(TAG_GROUPS);
    const rows: { tag_id: string; group_name: string; tag_name: string }[] = await this.deps.db.query(
      `SELECT tag_id, group_name, tag_name FROM wecom_corp_tags WHERE corp_id = ? AND group_name IN (${groups.map(() => '?').join(',')})`, [this.deps.corpId, ...groups],
    );
    return new Map(rows.map((r) => [key(r.group_name, r.tag_name), r.tag_id]));
  }

  private async cachedById(ids: string[]): Promise<Map<string, { group_name: string; tag_name: string }>> {
    if (!ids.length) return new Map();
    const read = (): Promise<{ tag_id: string; group_name: string; tag_name: string }[]> => this.deps.db.query(
      `SELECT tag_id, group_name, tag_name FROM wecom_corp_tags WHERE corp_id = ? AND tag_id IN (${ids.map(() => '?').join(',')})`, [this.deps.corpId, ...ids],
    );
    let rows = await read();
    if (rows.length < ids.length) {
      await this.remember(await this.deps.wecom.getCorpTagList());
      rows = await read();
    }
    return new Map(rows.map((r) => [r.tag_id, r]));
  }

  /** Every tag id in the product's groups: those a sync may remove. */
  private async managedTagIds(): Promise<Set<string>> {
    return new Set((await this.cached()).values());
  }
}

const key = (group: string, name: string) => `${group}\u0000${name}`;
