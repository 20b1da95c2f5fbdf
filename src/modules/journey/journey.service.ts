import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '../../shared/clock';
import type { Actor } from '../audit';
import type { TagsService } from '../tags';
import { CLIENT_STAGES, ClientStage, PIPELINE_ORDER, STAGE_TAGS } from './journey.stages';

export interface StageMove {
  moved: boolean;
  from: ClientStage;
  to: ClientStage;
  /** With `deferTag`, when the client moved: the stage tag the caller writes (TagsService.setDimensions). */
  tag?: { dimension: 'stage'; values: string[]; source: string };
}

export interface StageEventView {
  from: ClientStage | null;
  to: ClientStage;
  at: Date;
  reason: string | null;
}

/**
 * A client's stage (lead → surveyed → plan proposed → plan accepted → booked → post-op; dormant,
 * lost): each change is recorded with its time and mirrored as the `stage` tag.
 */
export class JourneyService {
  constructor(private readonly deps: { db: DataSource; clock: Clock; tags: TagsService }) {}

  /**
   * Moves the client to `to` inside the caller's transaction (the client row is locked). With
   * `forwardOnly` (the default) a pipeline step never moves a client back: a booked client who
   * fills the questionnaire again stays booked.
   * `lockedStage`: the stage the caller read in this transaction with the client row locked
   * (FOR UPDATE), so it is not read and locked again. `deferTag`: the stage tag is not written here
   * but returned (`tag`), for a caller that writes it with its own tag changes in one go (one read
   * of the tag set, one sync row).
   */
  async moveTo(
    m: EntityManager, clientId: number, to: ClientStage, actor: Actor,
    opts: { reason?: string; forwardOnly?: boolean; at?: Date; lockedStage?: ClientStage; deferTag?: boolean } = {},
  ): Promise<StageMove> {
    let from = opts.lockedStage;
    if (from === undefined) {
      const rows: { stage: ClientStage }[] = await m.query('SELECT stage FROM clients WHERE id = ? FOR UPDATE', [clientId]);
      if (!rows.length) throw new Error(`client ${clientId} not found`);
      from = rows[0].stage;
    }
    if (from === to || ((opts.forwardOnly ?? true) && !isForward(from, to))) return { moved: false, from, to: from };
    const at = opts.at ?? this.deps.clock.now();
    await m.query('UPDATE clients SET stage = ? WHERE id = ?', [to, clientId]);
    await m.query(
      'INSERT INTO client_stage_events (client_id, from_stage, to_stage, at, actor_type, actor_id, reason) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [clientId, from, to, at, actor.type, actor.id, opts.reason ?? null],
    );
    const tag = { dimension: 'stage' as const, values: [STAGE_TAGS[to]], source: 'stage' };
    if (opts.deferTag) return { moved: true, from, to, tag };
    await this.deps.tags.setDimension(m, clientId, tag.dimension, tag.values, tag.source);
    return { moved: true, from, to };
  }

  /**
   * Moves many clients to `to` at once (a nightly job's batch), set-based: each client not already
   * in `to` or one of `unless` gets the stage, its event and its stage tag. Answers the ids moved.
   */
  async moveManyTo(
    m: EntityManager, clientIds: number[], to: ClientStage, opts: { reason: string; at?: Date; unless?: ClientStage[] },
  ): Promise<number[]> {
    if (!clientIds.length) return [];
    const keep = [to, ...(opts.unless ?? [])];
    const moving: { id: number }[] = await m.query(
      "SELECT id FROM clients WHERE id IN (?) AND status = 'active' AND stage NOT IN (?) FOR UPDATE", [clientIds, keep],
    );
    const ids = moving.map((r) => Number(r.id));
    if (!ids.length) return [];
    await m.query(
      `INSERT INTO client_stage_events (client_id, from_stage, to_stage, at, actor_type, actor_id, reason)
       SELECT id, stage, ?, ?, 'system', NULL, ? FROM clients WHERE id IN (?)`,
      [to, opts.at ?? this.deps.clock.now(), opts.reason, ids],
    );
    await m.query('UPDATE clients SET stage = ? WHERE id IN (?)', [to, ids]);
    await this.deps.tags.setDimensionForMany(m, ids.map((clientId) => ({ clientId, values: [STAGE_TAGS[to]] })), 'stage', 'stage');
    return ids;
  }

  /** The client's stage history, oldest first. */
  async history(clientId: number, m?: EntityManager): Promise<StageEventView[]> {
    const rows: any[] = await (m ?? this.deps.db.manager).query(
      'SELECT from_stage, to_stage, at, reason FROM client_stage_events WHERE client_id = ? ORDER BY at, id', [clientId],
    );
    return rows.map((r) => ({ from: r.from_stage, to: r.to_stage, at: r.at, reason: r.reason }));
  }
}

/** Forward in the pipeline, or out of it (dormant/lost) and back into it from there. */
function isForward(from: ClientStage, to: ClientStage): boolean {
  const a = PIPELINE_ORDER.indexOf(from);
  const b = PIPELINE_ORDER.indexOf(to);
  if (a < 0 || b < 0) return true;
  return b > a;
}

export { CLIENT_STAGES };
