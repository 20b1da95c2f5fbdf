import type { EntityManager } from 'typeorm';
import { publicId as newPublicId } from '../../shared/crypto';
import { notFound } from '../../shared/errors';
import { runInTransaction } from '../../shared/db';
import type { Actor } from '../audit';
import { ClientTouch, DataExport } from './clients.entity';
import { ClientsSupport, EXPORT_PURGE_BATCH, EXPORT_TTL_MS, aad, parseJson } from './clients.shared';
import type { ClientConsents } from './clients.consents';
import type { ClientMedical } from './clients.medical';
import type { FormerIdentifiers } from './clients.types';

/** The client's rights over their data (PIPL): a copy of everything (export) and the erasure of the account. */
export class ClientDataRights {
  constructor(private readonly s: ClientsSupport, private readonly consents: ClientConsents, private readonly medical: ClientMedical) {}

  /**
   * Builds a JSON of everything about the client, stores it encrypted for 24 hours, audits 'client.export'.
   * Only the newest export is kept: the client's earlier ones, and any expired row, go in the same transaction.
   */
  async createExport(clientId: number, actor: Actor): Promise<{ id: string; expiresAt: Date }> {
    const now = this.s.deps.clock.now();
    const pid = newPublicId();
    const expiresAt = new Date(now.getTime() + EXPORT_TTL_MS);
    await runInTransaction(this.s.db, async (m) => {
      await this.s.lockActive(m, clientId);
      await m.query('DELETE FROM data_exports WHERE client_id = ?', [clientId]);
      const payload = await this.buildExport(m, clientId, now);
      await m.getRepository(DataExport).insert({
        publicId: pid, clientId, payloadEnc: this.s.deps.cipher.encryptJson(payload, aad.exportPayload(pid)), createdAt: now, expiresAt,
      });
      await this.s.deps.audit.record(actor, 'client.export', { clientId, details: { exportId: pid } }, m);
    });
    // Other clients' expired exports go after the commit, in statements of their own: inside the
    // export's transaction their locks made concurrent exports deadlock on one another.
    await this.deleteExpiredExports(this.s.db.manager, now, EXPORT_PURGE_BATCH);
    return { id: pid, expiresAt };
  }

  private async buildExport(m: EntityManager, clientId: number, now: Date): Promise<Record<string, unknown>> {
    const row = await this.s.loadClientRow(m, { id: clientId });
    if (!row) throw notFound('Client');
    const touches = await m.getRepository(ClientTouch).find({ where: { clientId }, order: { createdAt: 'ASC', id: 'ASC' } });
    const audit: Record<string, unknown>[] = await m.query(
      'SELECT at, actor_type AS actorType, actor_role AS actorRole, action, allowed FROM audit_log WHERE client_id = ? ORDER BY id',
      [clientId],
    );
    return {
      generatedAt: now.toISOString(),
      profile: {
        id: row.publicId,
        ...this.s.personal(row, clientId),
        gender: row.gender,
        birthDate: row.birthDate,
        referralCode: row.referralCode,
        stage: row.stage,
        sourceChannel: row.sourceChannel,
        firstTouch: parseJson(row.firstTouch),
        createdAt: row.createdAt,
      },
      touches: touches.map(({ id: _id, clientId: _c, ...t }) => t),
      consents: await this.consents.consentsOf(m, clientId),
      medical: await this.medical.readMedical(m, clientId, row.publicId),
      ...(await this.hookSections(m, clientId)),
      auditLog: audit.map((a) => ({ ...a, allowed: Boolean(a.allowed) })),
    };
  }

  private async hookSections(m: EntityManager, clientId: number): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const h of this.s.dataHooks) Object.assign(out, await h.exportSections?.(m, clientId));
    return out;
  }

  /** Deletes every export past its expiry (scheduler task 'exports-purge'); returns how many rows went. */
  async purgeExpiredExports(now: Date): Promise<number> {
    let deleted = 0;
    for (;;) {
      const batch = await this.deleteExpiredExports(this.s.db.manager, now, EXPORT_PURGE_BATCH);
      deleted += batch.deleted;
      if (batch.found < EXPORT_PURGE_BATCH) return deleted;
    }
  }

  /**
   * Deletes up to `limit` expired exports. The ids come from a plain read along ix_data_exports_expires
   * and the DELETE goes by primary key, so it locks only the rows it deletes.
   */
  private async deleteExpiredExports(m: EntityManager, now: Date, limit: number): Promise<{ found: number; deleted: number }> {
    const rows: { id: number }[] = await m.query('SELECT id FROM data_exports WHERE expires_at <= ? ORDER BY expires_at, id LIMIT ?', [now, limit]);
    if (!rows.length) return { found: 0, deleted: 0 };
    const res: { affectedRows?: number } = await m.query('DELETE FROM data_exports WHERE id IN (?) AND expires_at <= ?', [rows.map((r) => r.id), now]);
    return { found: rows.length, deleted: res.affectedRows ?? 0 };
  }

  /** The client's own export by id; another client's, a missing or an expired one → the same 404. */
  async getExport(clientId: number, exportPublicId: string): Promise<unknown> {
    const row = await this.s.db.getRepository(DataExport).findOneBy({ publicId: exportPublicId, clientId });
    if (!row || row.expiresAt.getTime() <= this.s.deps.clock.now().getTime()) throw notFound('Export');
    const text = this.s.open(row.payloadEnc, aad.exportPayload(row.publicId), { clientId, exportId: row.id });
    if (text === null) throw notFound('Export');
    return JSON.parse(text);
  }

  // ---------------------------------------------------------------- deletion

  /**
   * Erases the client's personal data in one transaction (name, phone, address, blind indexes,
   * unionid, birth date, first touch, last login, consultant, touch history, medical record,
   * exports, the guardian's name and the IP on consents; openid replaced by a tombstone so the
   * WeChat user can start afresh), marks the row deleted and keeps what the law requires (consent
   * purpose, version and times as evidence, audit rows, orders). Then every session of the client ends.
   */
  async deleteOwnAccount(clientId: number, actor: Actor): Promise<void> {
    const now = this.s.deps.clock.now();
    await runInTransaction(this.s.db, async (m) => {
      const client = await this.s.lockActive(m, clientId);
      // Read before the erasure: a hook may keep a keyed hash of them (referrals: an old client is never "new" again).
      const [former]: FormerIdentifiers[] = await m.query('SELECT openid, unionid, phone_bidx AS phoneBidx FROM clients WHERE id = ?', [clientId]);
      await m.query(
        `UPDATE clients SET name_enc = NULL, name_bidx = NULL, phone_enc = NULL, phone_bidx = NULL, address_enc = NULL,
           unionid = NULL, birth_date = NULL, gender = 'unknown', first_touch = NULL, last_login_at = NULL, consultant_id = NULL,
           openid = ?, status = 'deleted', deleted_at = ? WHERE id = ?`,
        [`deleted:${client.publicId}`, now, clientId],
      );
      await m.query('DELETE FROM client_touches WHERE client_id = ?', [clientId]);
      await m.query('DELETE FROM medical_records WHERE client_id = ?', [clientId]);
      await m.query('DELETE FROM data_exports WHERE client_id = ?', [clientId]);
      for (const h of this.s.dataHooks) await h.onAccountDeleted?.(m, clientId, former);
      // Purpose, version and times stay as evidence of what was consented to and when.
      await m.query(
        'UPDATE consents SET guardian_name_enc = NULL, ip = NULL, withdrawn_at = COALESCE(withdrawn_at, ?) WHERE client_id = ?',
        [now, clientId],
      );
      await this.s.deps.audit.record(actor, 'client.delete', {
        clientId,
        details: {
          erased: [
            'name', 'phone', 'address', 'unionid', 'birthDate', 'openid', 'firstTouch', 'lastLoginAt', 'consultant', 'touches',
            'medical', 'exports', 'consent.guardianName', 'consent.ip',
          ],
        },
      }, m);
    });
    await this.s.deps.sessions.revokeAll({ kind: 'client', clientId });
  }
}
