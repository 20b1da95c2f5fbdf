import type { EntityManager } from 'typeorm';
import type { ClientStage } from '../journey';
import { ageOn } from '../../shared/clock';
import { normalizeName, normalizePhone, publicId as newPublicId } from '../../shared/crypto';
import { AppError, CommonErrors, notFound } from '../../shared/errors';
import { isDuplicateKey, runInTransaction } from '../../shared/db';
import type { Actor } from '../audit';
import { Client, Gender } from './clients.entity';
import { ClientErrors } from './clients.errors';
import { accessibleScopes, mayAccess } from './clients.access';
import { CLIENT_COLUMNS, ClientRow, ClientsSupport, aad, consultantOf, maskPhone, parseJson, phoneInUse } from './clients.shared';
import type { ClientConsents } from './clients.consents';
import type { ClientMedical } from './clients.medical';
import type { ClientProfiles } from './clients.profile';
import type { MedicalHistory, StaffArchive, StaffClientAssignment, StaffListItem, StaffListQuery } from './clients.types';

/**
 * The archive for staff: search and list, one client's archive (health only where the access rule
 * allows), walk-in clients, corrections, the phone behind the mask, assignment. Every read and
 * change is audited (DOMAIN.md, 操作日志).
 */
export class ClientStaffArchive {
  constructor(
    private readonly s: ClientsSupport, private readonly profile: ClientProfiles, private readonly consents: ClientConsents, private readonly medical: ClientMedical,
  ) {}


  /**
   * A staff read or change of one client, under the access rule for `scope` (ClientAccess.check:
   * 403 for a role that never reaches it, the same 404 for a missing, deleted or unassigned client,
   * refusals audited). Given a transaction's manager and `lock`, the row stays locked for the rest
   * of that transaction.
   */
  private async openForStaff(
    actor: Actor, clientPublicId: string, action: string, m: EntityManager = this.s.db.manager, opts: { lock?: boolean; scope?: 'archive' | 'health' } = {},
  ): Promise<ClientRow> {
    const { id } = await this.s.access.check(actor, { publicId: clientPublicId }, opts.scope ?? 'archive', { m, lock: opts.lock, action });
    return (await this.s.loadClientRow(m, { id }))!;
  }

  /**
   * The one access rule, for modules that reach a client another way (e.g. the WeCom sidebar by
   * external contact): passes when the staff member may see the active client, else the same
   * audited 404 as an archive read.
   */
  async assertStaffMaySee(actor: Actor, clientPublicId: string, action: string): Promise<void> {
    await this.openForStaff(actor, clientPublicId, action);
  }

  /** Lists and searches clients (phone and name through blind indexes); one 'client.search' audit row. */
  async listForStaff(actor: Actor, q: StaffListQuery): Promise<{ items: StaffListItem[]; page: number; pageSize: number; total: number }> {
    this.s.access.requireScope(actor, 'archive');
    const scope = this.s.access.filter(actor, 'archive');
    const where: string[] = ["c.status = 'active'", scope.sql];
    const params: unknown[] = [...scope.params];
    if (q.phone) {
      where.push('c.phone_bidx IN (?)');
      params.push(this.s.deps.cipher.blindIndexes('phone', normalizePhone(q.phone)));
    }
    if (q.name) {
      where.push('c.name_bidx IN (?)');
      params.push(this.s.deps.cipher.blindIndexes('name', normalizeName(q.name)));
    }
    if (q.stage) {
      where.push('c.stage = ?');
      params.push(q.stage);
    }
    const clause = where.join(' AND ');
    const [{ total }]: { total: number | string }[] = await this.s.db.query(`SELECT COUNT(*) AS total FROM clients c WHERE ${clause}`, params);
    const rows: ClientRow[] = await this.s.db.query(
      `SELECT ${CLIENT_COLUMNS} FROM clients c LEFT JOIN staff s ON s.id = c.consultant_id WHERE ${clause} ORDER BY c.id DESC LIMIT ? OFFSET ?`,
      [...params, q.pageSize, (q.page - 1) * q.pageSize],
    );
    // The ids of the rows shown, so "who saw client X" can be answered from the audit log.
    await this.s.deps.audit.record(actor, 'client.search', {
      allowed: true,
      details: {
        filters: ['phone', 'name', 'stage'].filter((k) => q[k as keyof StaffListQuery] !== undefined), page: q.page, results: rows.length, role: actor.role,
        clientIds: rows.map((r) => r.id),
      },
    });
    return {
      items: rows.map((r) => {
        const { name, phone } = this.s.personal(r, r.id, ['name', 'phone']);
        return {
          id: r.publicId,
          name,
          gender: r.gender,
          phone: maskPhone(phone),
          stage: r.stage,
          consultant: consultantOf(r),
          sourceChannel: r.sourceChannel,
          createdAt: r.createdAt,
        };
      }),
      page: q.page,
      pageSize: q.pageSize,
      total: Number(total),
    };
  }

  /** Opens one archive: basic, consumption, consents; health only for doctors and the director. Audited 'client.read'. */
  async openArchive(actor: Actor, clientPublicId: string): Promise<StaffArchive> {
    const row = await this.openForStaff(actor, clientPublicId, 'client.read');
    const withHealth = mayAccess(actor, row, 'health');
    const personal = this.s.personal(row, row.id);
    const archive: StaffArchive = {
      id: row.publicId,
      status: row.status,
      ...personal,
      // Masked until a staff member asks to see it (revealPhoneForStaff, audited on its own).
      phone: maskPhone(personal.phone),
      gender: row.gender,
      birthDate: row.birthDate,
      age: row.birthDate ? ageOn(row.birthDate, this.s.deps.clock.now()) : null,
      referralCode: row.referralCode,
      stage: row.stage,
      sourceChannel: row.sourceChannel,
      firstTouch: parseJson(row.firstTouch),
      consultant: consultantOf(row),
      createdAt: row.createdAt,
      lastLoginAt: row.lastLoginAt,
      consumption: this.s.consumption ? await this.s.consumption(row.id) : { visits: 0, lifetimeSpendFen: 0, lastVisitAt: null },
      consents: await this.consents.consentsOf(this.s.db.manager, row.id),
      sections: accessibleScopes(actor, row),
    };
    if (withHealth) archive.medical = await this.medical.readMedical(this.s.db.manager, row.id, row.publicId);
    await this.s.deps.audit.record(actor, 'client.read', {
      clientId: row.id,
      details: { role: actor.role, sections: ['basic', 'consumption', 'consents', ...(withHealth ? ['medical'] : [])] },
    });
    return archive;
  }

  /**
   * The one staff access check on a client (who may see which client), for other modules' staff
   * endpoints: the client's ids when the actor may see them, else the same 404 as a missing client,
   * the refusal audited under `action`.
   */
  async accessForStaff(actor: Actor, clientPublicId: string, action: string, m?: EntityManager): Promise<{ id: number; publicId: string; consultantId: number | null }> {
    const row = await this.openForStaff(actor, clientPublicId, action, m);
    return { id: row.id, publicId: row.publicId, consultantId: row.consultantId };
  }

  /** The full phone number behind the archive's mask; each look is its own audit row ('client.phone.reveal'). */
  async revealPhoneForStaff(actor: Actor, clientPublicId: string): Promise<{ phone: string | null }> {
    const row = await this.openForStaff(actor, clientPublicId, 'client.phone.reveal');
    const { phone } = this.s.personal(row, row.id, ['phone']);
    await this.s.deps.audit.record(actor, 'client.phone.reveal', { clientId: row.id, details: { role: actor.role } });
    return { phone };
  }

  /**
   * A walk-in or phone enquiry entered by staff. The phone's blind index finds a duplicate: an
   * existing client with this phone is a 409 naming the client when the actor may see it. The row
   * carries no WeChat identity (openid `staff:<publicId>`, a placeholder no WeChat login can
   * match); the person's own WeChat account never takes it over by claiming the phone — linking
   * needs the phone verified through WeChat (getPhoneNumber), and until then it is refused as in use.
   */
  async createForStaff(
    actor: Actor,
    input: { name: string; phone: string; gender?: Gender; birthDate?: string; address?: string; sourceChannel: string; consultantId?: string | null },
  ): Promise<StaffClientAssignment> {
    const staffId = actor.id;
    if (actor.type !== 'staff' || staffId === null || !actor.role) throw notFound('Client');
    const phone = normalizePhone(input.phone);
    const bidx = this.s.deps.cipher.blindIndex('phone', phone);
    const created = await runInTransaction(this.s.db, async (m) => {
      const holder: { id: number; publicId: string; consultantId: number | null }[] = await m.query(
        "SELECT id, public_id AS publicId, consultant_id AS consultantId FROM clients WHERE phone_bidx = ? AND status = 'active'",
        [bidx],
      );
      if (holder[0]) {
        const visible = mayAccess(actor, holder[0], 'archive');
        throw new AppError(ClientErrors.PHONE_IN_USE, 'A client with this phone number exists already', {
          field: 'body.phone', ...(visible ? { clientId: holder[0].publicId } : { ownedByAnotherConsultant: true }),
        });
      }
      let consultantId: number | null = null;
      if (actor.role === 'consultant') {
        if (input.consultantId && input.consultantId !== (await this.staffPublicId(m, staffId))) {
          throw new AppError(CommonErrors.FORBIDDEN, 'A consultant enters clients for themselves', { field: 'body.consultantId' });
        }
        consultantId = staffId;
      } else if (input.consultantId) {
        const staff: { id: number }[] = await m.query("SELECT id FROM staff WHERE public_id = ? AND role = 'consultant' AND active = 1", [input.consultantId]);
        if (!staff[0]) throw new AppError(ClientErrors.CONSULTANT_NOT_FOUND, 'No active consultant has this id', { field: 'body.consultantId' });
        consultantId = staff[0].id;
      }
      // Not a WeChat openid (those start with "o"): no WeChat login can ever match it.
      const placeholder = `staff:${newPublicId()}`;
      const client = await this.profile.createClient({
        openid: placeholder, name: input.name, phone, gender: input.gender ?? 'unknown', birthDate: input.birthDate ?? null,
        address: input.address || null, consultantId, sourceChannel: input.sourceChannel,
      }, m);
      await this.s.deps.audit.record(actor, 'client.create', { clientId: client.id, details: { fields: ['name', 'phone', ...(input.gender ? ['gender'] : []), ...(input.birthDate ? ['birthDate'] : []), ...(input.address ? ['address'] : [])], sourceChannel: input.sourceChannel, role: actor.role } }, m);
      return (await this.s.loadClientRow(m, { id: client.id }))!;
    });
    return { id: created.publicId, stage: created.stage, consultant: consultantOf(created) };
  }

  private async staffPublicId(m: EntityManager, staffId: number): Promise<string | null> {
    const rows: { publicId: string }[] = await m.query('SELECT public_id AS publicId FROM staff WHERE id = ?', [staffId]);
    return rows[0]?.publicId ?? null;
  }

  /** Staff correct name, phone, gender, birth date or address; audited 'client.correct' with the field names (never the values). */
  async correctForStaff(actor: Actor, clientPublicId: string, input: { name?: string; phone?: string; gender?: Gender; birthDate?: string | null; address?: string | null }): Promise<{ id: string }> {
    const { cipher } = this.s.deps;
    try {
      await runInTransaction(this.s.db, async (m) => {
        const row = await this.openForStaff(actor, clientPublicId, 'client.correct', m, { lock: true });
        const patch: Partial<Client> = {};
        if (input.name !== undefined) {
          patch.nameEnc = cipher.encrypt(input.name, aad.client(row.publicId, 'name'));
          patch.nameBidx = cipher.blindIndex('name', normalizeName(input.name));
        }
        if (input.phone !== undefined) {
          const phone = normalizePhone(input.phone);
          const bidx = cipher.blindIndex('phone', phone);
          const holder: { id: number }[] = await m.query('SELECT id FROM clients WHERE phone_bidx = ? AND id <> ?', [bidx, row.id]);
          if (holder.length) throw phoneInUse('body.phone');
          patch.phoneEnc = cipher.encrypt(phone, aad.client(row.publicId, 'phone'));
          patch.phoneBidx = bidx;
        }
        if (input.gender !== undefined) patch.gender = input.gender;
        if (input.birthDate !== undefined) patch.birthDate = input.birthDate;
        if (input.address !== undefined) patch.addressEnc = input.address ? cipher.encrypt(input.address, aad.client(row.publicId, 'address')) : null;
        await m.getRepository(Client).update({ id: row.id }, patch);
        await this.s.deps.audit.record(actor, 'client.correct', { clientId: row.id, details: { fields: Object.keys(input), role: actor.role } }, m);
      });
    } catch (err) {
      if (isDuplicateKey(err)) throw phoneInUse('body.phone');
      throw err;
    }
    return { id: clientPublicId };
  }

  /** Medical history for doctors and the director (the route's role guard turns others away). Audited 'client.medical.read'. */
  async readMedicalForStaff(actor: Actor, clientPublicId: string): Promise<MedicalHistory & { updatedAt: Date | null }> {
    const row = await this.openForStaff(actor, clientPublicId, 'client.medical.read', this.s.db.manager, { scope: 'health' });
    const medical = await this.medical.readMedical(this.s.db.manager, row.id, row.publicId);
    await this.s.deps.audit.record(actor, 'client.medical.read', { clientId: row.id, details: { role: actor.role } });
    return medical;
  }

  /** Doctors and the director record medical history for a client (same health-consent rule). */
  async putMedicalForStaff(actor: Actor, clientPublicId: string, input: MedicalHistory): Promise<MedicalHistory & { updatedAt: Date | null }> {
    const row = await this.openForStaff(actor, clientPublicId, 'client.medical.update', this.s.db.manager, { scope: 'health' });
    return this.medical.writeMedical(row.id, input, actor, { type: 'staff', id: actor.id! });
  }

  /**
   * Assigns the dedicated consultant and/or sets the stage. The director may change any client;
   * a consultant only their own, checked on the row locked for the write. Audited 'client.update'
   * with the changed field names.
   */
  async updateForStaff(actor: Actor, clientPublicId: string, input: { consultantId?: string | null; stage?: string }): Promise<StaffClientAssignment> {
    if (actor.role !== 'director' && actor.role !== 'consultant') throw notFound('Client');
    const after = await runInTransaction(this.s.db, async (m) => {
      const row = await this.openForStaff(actor, clientPublicId, 'client.update', m, { lock: true });
      const patch: Partial<Client> = {};
      if (input.consultantId !== undefined) {
        if (input.consultantId === null) patch.consultantId = null;
        else {
          const staff: { id: number }[] = await m.query(
            "SELECT id FROM staff WHERE public_id = ? AND role = 'consultant' AND active = 1",
            [input.consultantId],
          );
          if (!staff[0]) {
            throw new AppError(ClientErrors.CONSULTANT_NOT_FOUND, 'No active consultant has this id', { field: 'body.consultantId' });
          }
          patch.consultantId = staff[0].id;
        }
      }
      if (Object.keys(patch).length) await m.getRepository(Client).update({ id: row.id }, patch);
      // Staff may move a client anywhere (e.g. back from lost); the move is still recorded.
      if (input.stage !== undefined) await this.s.deps.journey.moveTo(m, row.id, input.stage as ClientStage, actor, { reason: 'staff', forwardOnly: false });
      await this.s.deps.audit.record(actor, 'client.update', {
        clientId: row.id,
        details: { fields: Object.keys(input), ...(input.stage !== undefined ? { stage: input.stage } : {}), ...(input.consultantId !== undefined ? { consultantId: input.consultantId } : {}) },
      }, m);
      return (await this.s.loadClientRow(m, { id: row.id }))!;
    });
    return { id: after.publicId, stage: after.stage, consultant: consultantOf(after) };
  }
}
