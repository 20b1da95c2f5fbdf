import type { EntityManager } from 'typeorm';
import { AppError, notFound } from '../../shared/errors';
import { runInTransaction } from '../../shared/db';
import type { Actor, AuditService } from '../audit';
import { Client, MedicalRecord } from './clients.entity';
import { ClientErrors } from './clients.errors';
import { ClientsSupport, MEDICAL_COLUMNS, MEDICAL_FIELDS, MedicalField, aad } from './clients.shared';
import type { ClientConsents } from './clients.consents';
import type { MedicalHistory } from './clients.types';

/** The medical history 病史 (health data): only with the current health consent, encrypted per field. */
export class ClientMedical {
  constructor(private readonly s: ClientsSupport, private readonly consents: ClientConsents) {}

  async readMedical(m: EntityManager, clientId: number, clientPublicId: string): Promise<MedicalHistory & { updatedAt: Date | null }> {
    const rec = await m.getRepository(MedicalRecord).findOneBy({ clientId });
    const where = { clientId };
    return {
      allergies: this.s.openJson(rec?.allergiesEnc, aad.medical(clientPublicId, 'allergies'), [], where),
      medications: this.s.openJson(rec?.medicationsEnc, aad.medical(clientPublicId, 'medications'), [], where),
      pastProcedures: this.s.openJson(rec?.pastProceduresEnc, aad.medical(clientPublicId, 'pastProcedures'), [], where),
      conditions: this.s.openJson(rec?.conditionsEnc, aad.medical(clientPublicId, 'conditions'), [], where),
      updatedAt: rec?.updatedAt ?? null,
    };
  }

  /** The client's own medical history (empty lists when none was recorded). */
  async getOwnMedical(clientId: number): Promise<MedicalHistory & { updatedAt: Date | null }> {
    const client = await this.s.db.getRepository(Client).findOne({ where: { id: clientId }, select: { id: true, publicId: true, status: true } });
    if (!client || client.status !== 'active') throw notFound('Client');
    return this.readMedical(this.s.db.manager, clientId, client.publicId);
  }

  /** Replaces the medical history; without a current health consent nothing is written (HEALTH_CONSENT_REQUIRED). */
  async putOwnMedical(clientId: number, input: MedicalHistory, actor: Actor): Promise<MedicalHistory & { updatedAt: Date | null }> {
    return this.writeMedical(clientId, input, actor, { type: 'client', id: clientId });
  }

  async writeMedical(clientId: number, input: MedicalHistory, actor: Actor, by: { type: 'client' | 'staff'; id: number }) {
    const { cipher } = this.s.deps;
    return runInTransaction(this.s.db, async (m) => {
      const client = await this.s.lockActive(m, clientId);
      await this.requireHealthConsent(m, clientId, client.birthDate);
      const enc = (f: MedicalField) => cipher.encryptJson(input[f], aad.medical(client.publicId, f));
      await m.getRepository(MedicalRecord).upsert(
        {
          clientId,
          allergiesEnc: enc('allergies'),
          medicationsEnc: enc('medications'),
          pastProceduresEnc: enc('pastProcedures'),
          conditionsEnc: enc('conditions'),
          updatedByType: by.type,
          updatedById: by.id,
        },
        ['clientId'],
      );
      await this.s.deps.audit.record(actor, 'client.medical.update', { clientId, details: { fields: [...MEDICAL_FIELDS] } }, m);
      return this.readMedical(m, clientId, client.publicId);
    });
  }

  /**
   * writeMedical inside the caller's transaction, for answers that arrive with something else (the
   * intent questionnaire): the given lists are merged into the record, nothing is removed (taking an
   * entry out is a doctor's decision). The caller holds the client row lock and has checked
   * requireHealthConsent. Audited 'client.medical.update' with `source`; with `auditInto` the row is
   * added there for the caller to write with its own (AuditService.recordMany) instead.
   */
  async mergeMedical(
    m: EntityManager, client: { id: number; publicId: string }, input: Partial<MedicalHistory>, actor: Actor,
    by: { type: 'client' | 'staff'; id: number }, source: string, opts: { auditInto?: Parameters<AuditService['recordMany']>[1] } = {},
  ): Promise<void> {
    const fields = MEDICAL_FIELDS.filter((f) => input[f] !== undefined);
    if (!fields.length) return;
    // Plain SQL, not the repository: this runs on every questionnaire submission.
    const [row]: Partial<Record<string, Buffer | null>>[] = await m.query(
      'SELECT allergies_enc, medications_enc, past_procedures_enc, conditions_enc FROM medical_records WHERE client_id = ?', [client.id],
    );
    const open = (f: MedicalField) => this.s.openJson(row?.[MEDICAL_COLUMNS[f]], aad.medical(client.publicId, f), [], { clientId: client.id });
    const current: MedicalHistory = {
      allergies: open('allergies'), medications: open('medications'), pastProcedures: open('pastProcedures'), conditions: open('conditions'),
    };
    const merged: MedicalHistory = {
      allergies: [...new Set([...current.allergies, ...(input.allergies ?? [])])],
      medications: [...new Set([...current.medications, ...(input.medications ?? [])])],
      conditions: [...new Set([...current.conditions, ...(input.conditions ?? [])])],
      // The same procedure again: the newer answer's satisfaction wins.
      pastProcedures: [...new Map([...current.pastProcedures, ...(input.pastProcedures ?? [])].map((p) => [p.name, p])).values()],
    };
    const enc = (f: MedicalField) => this.s.deps.cipher.encryptJson(merged[f], aad.medical(client.publicId, f));
    await m.query(
      `INSERT INTO medical_records (client_id, allergies_enc, medications_enc, past_procedures_enc, conditions_enc, updated_by_type, updated_by_id)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE allergies_enc = VALUES(allergies_enc), medications_enc = VALUES(medications_enc), past_procedures_enc = VALUES(past_procedures_enc),
         conditions_enc = VALUES(conditions_enc), updated_by_type = VALUES(updated_by_type), updated_by_id = VALUES(updated_by_id)`,
      [client.id, enc('allergies'), enc('medications'), enc('pastProcedures'), enc('conditions'), by.type, by.id],
    );
    const entry = { action: 'client.medical.update', clientId: client.id, details: { fields, source } };
    if (opts.auditInto) opts.auditInto.push(entry);
    else await this.s.deps.audit.record(actor, entry.action, entry, m);
  }

  /**
   * Health data is accepted only with an active health consent of the current version; a client
   * under the guardian age also needs an active guardian consent (DESIGN.md, cross-cutting decisions).
   */
  async requireHealthConsent(m: EntityManager, clientId: number, birthDate: string | null): Promise<void> {
    if (!(await this.consents.hasCurrentConsent(m, clientId, 'health'))) {
      throw new AppError(ClientErrors.HEALTH_CONSENT_REQUIRED, 'Health data needs the client’s health-data consent of the current version first', {
        requiredVersion: this.s.versionFor('health'),
      });
    }
    await this.consents.requireGuardianIfMinor(m, clientId, birthDate);
  }
}
