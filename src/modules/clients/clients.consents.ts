import { EntityManager, IsNull } from 'typeorm';
import { ageOn } from '../../shared/clock';
import { publicId as newPublicId } from '../../shared/crypto';
import { AppError, notFound } from '../../shared/errors';
import { runInTransaction } from '../../shared/db';
import type { Actor } from '../audit';
import { Client, Consent, ConsentPurpose } from './clients.entity';
import { ClientErrors } from './clients.errors';
import { ClientsSupport, aad } from './clients.shared';
import type { ConsentView, GrantConsentInput } from './clients.types';

/** Consents (privacy, health data, a minor's guardian) for the policy version in force; withdrawing health erases health data. */
export class ClientConsents {
  constructor(private readonly s: ClientsSupport) {}

  async listConsents(clientId: number): Promise<ConsentView[]> {
    const client = await this.s.db.getRepository(Client).findOne({ where: { id: clientId }, select: { id: true, status: true } });
    if (!client || client.status !== 'active') throw notFound('Client');
    return this.consentsOf(this.s.db.manager, clientId);
  }

  async consentsOf(m: EntityManager, clientId: number): Promise<ConsentView[]> {
    const rows = await m.getRepository(Consent).find({ where: { clientId }, order: { grantedAt: 'DESC', id: 'DESC' } });
    return rows.map((r) => this.consentView(r));
  }

  private consentView(r: Consent): ConsentView {
    return {
      id: r.publicId,
      purpose: r.purpose,
      policyVersion: r.policyVersion,
      current: r.policyVersion === this.s.versionFor(r.purpose),
      guardianName: this.s.open(r.guardianNameEnc, aad.guardianName(r.publicId), { clientId: r.clientId, consentId: r.id }),
      guardianRelation: r.guardianRelation,
      grantedAt: r.grantedAt,
      withdrawnAt: r.withdrawnAt,
    };
  }

  /** Active consent of a purpose for the policy version in force now. */
  async hasCurrentConsent(m: EntityManager, clientId: number, purpose: ConsentPurpose): Promise<boolean> {
    const rows: unknown[] = await m.query(
      'SELECT id FROM consents WHERE client_id = ? AND purpose = ? AND policy_version = ? AND withdrawn_at IS NULL LIMIT 1',
      [clientId, purpose, this.s.versionFor(purpose)],
    );
    return rows.length > 0;
  }

  isMinor(birthDate: string | null): boolean {
    return birthDate !== null && ageOn(birthDate, this.s.deps.clock.now()) < this.s.deps.config.policy.guardianAgeUnder;
  }

  /**
   * Records a consent for the current policy version. Same purpose and version already active →
   * the existing consent (idempotent); an older version is withdrawn and replaced. Health consent
   * of a client under config.policy.guardianAgeUnder needs a guardian's consent first.
   */
  async grantConsent(clientId: number, input: GrantConsentInput, actor: Actor): Promise<ConsentView> {
    const currentVersion = this.s.versionFor(input.purpose);
    if (input.policyVersion !== currentVersion) {
      throw new AppError(ClientErrors.POLICY_VERSION_OUTDATED, 'This policy version is not the one in force; show the current policy and ask again', {
        field: 'body.policyVersion', currentVersion,
      });
    }
    return runInTransaction(this.s.db, async (m) => {
      const client = await this.s.lockActive(m, clientId);
      if (input.purpose === 'health') await this.requireGuardianIfMinor(m, clientId, client.birthDate, 'body.purpose');
      const repo = m.getRepository(Consent);
      const active = await repo.find({ where: { clientId, purpose: input.purpose, withdrawnAt: IsNull() } });
      const now = this.s.deps.clock.now();
      // Granting again is harmless; a guardian consent is re-recorded since the guardian may have changed.
      const same = active.find((c) => c.policyVersion === currentVersion && input.purpose !== 'guardian');
      if (same) return this.consentView(same);
      const stale = active.map((c) => c.id);
      if (stale.length) await repo.update(stale, { withdrawnAt: now });
      const pid = newPublicId();
      const row = repo.create({
        publicId: pid,
        clientId,
        purpose: input.purpose,
        policyVersion: currentVersion,
        guardianNameEnc: input.guardianName ? this.s.deps.cipher.encrypt(input.guardianName.trim(), aad.guardianName(pid)) : null,
        guardianRelation: input.guardianRelation?.trim() ?? null,
        ip: actor.ip,
        grantedAt: now,
        withdrawnAt: null,
      });
      await repo.insert(row);
      await this.s.deps.audit.record(actor, 'client.consent.grant', { clientId, details: { purpose: input.purpose, policyVersion: currentVersion, replaced: stale.length } }, m);
      return this.consentView(row);
    });
  }

  /**
   * Withdraws the active consent of a purpose; rows stay as evidence (withdrawnAt is set).
   * Withdrawing the health consent also erases the medical history, in the same transaction.
   */
  async withdrawConsent(clientId: number, purpose: ConsentPurpose, actor: Actor): Promise<{ withdrawn: number }> {
    return runInTransaction(this.s.db, async (m) => {
      await this.s.lockActive(m, clientId);
      const res: { affectedRows?: number } = await m.query(
        'UPDATE consents SET withdrawn_at = ? WHERE client_id = ? AND purpose = ? AND withdrawn_at IS NULL',
        [this.s.deps.clock.now(), clientId, purpose],
      );
      const withdrawn = res.affectedRows ?? 0;
      if (withdrawn) await this.s.deps.audit.record(actor, 'client.consent.withdraw', { clientId, details: { purpose } }, m);
      // Product decision: withdrawing the health consent stops processing, so the health data goes too.
      if (purpose === 'health') {
        const erased: { affectedRows?: number } = await m.query('DELETE FROM medical_records WHERE client_id = ?', [clientId]);
        if (erased.affectedRows) await this.s.deps.audit.record(actor, 'client.medical.erase', { clientId, details: { reason: 'consent_withdrawn' } }, m);
        for (const h of this.s.dataHooks) await h.onHealthWithdrawn?.(m, clientId);
      }
      return { withdrawn };
    });
  }

  /** A client under config.policy.guardianAgeUnder needs an active guardian consent of the current version. */
  async requireGuardianIfMinor(m: EntityManager, clientId: number, birthDate: string | null, field?: string): Promise<void> {
    if (!this.isMinor(birthDate) || (await this.hasCurrentConsent(m, clientId, 'guardian'))) return;
    throw new AppError(ClientErrors.GUARDIAN_CONSENT_REQUIRED, "A guardian's consent is needed first for a client under the age of consent", {
      ...(field ? { field } : {}), guardianAgeUnder: this.s.deps.config.policy.guardianAgeUnder,
    });
  }
}
