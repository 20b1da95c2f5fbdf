import type { EntityManager } from 'typeorm';
import type { Actor, AuditService } from '../audit';
import type { Client, ConsentPurpose, Gender } from './clients.entity';
import type { ClientAccess } from './clients.access';
import { ClientConsents } from './clients.consents';
import { ClientMedical } from './clients.medical';
import { ClientProfiles } from './clients.profile';
import { ClientDataRights } from './clients.rights';
import { ClientsDeps, ClientsSupport } from './clients.shared';
import { ClientStaffArchive } from './clients.staff';
import type {
  ClientDataHooks, ConsentView, GrantConsentInput, MedicalHistory, NewClientInput, OwnProfile, ProfileUpdate, StaffArchive,
  StaffClientAssignment, StaffListItem, StaffListQuery,
} from './clients.types';

type MedicalRead = MedicalHistory & { updatedAt: Date | null };

/**
 * The client archive 客户档案, one object on `Services`: a facade over its use cases — the client's
 * own profile and phone (`profiles`), consents, medical history, data rights (export, deletion)
 * and the staff archive. Each method below hands over to the use case that does the work, so other
 * modules depend on this one class and never on the files behind it.
 */
export class ClientsService {
  /** The one client-access rule (which staff member sees which client and which sections). */
  readonly access: ClientAccess;
  private readonly s: ClientsSupport;
  private readonly profiles: ClientProfiles;
  private readonly consents: ClientConsents;
  private readonly medical: ClientMedical;
  private readonly rights: ClientDataRights;
  private readonly staff: ClientStaffArchive;

  constructor(deps: ClientsDeps) {
    this.s = new ClientsSupport(deps);
    this.access = this.s.access;
    this.profiles = new ClientProfiles(this.s);
    this.consents = new ClientConsents(this.s);
    this.medical = new ClientMedical(this.s, this.consents);
    this.rights = new ClientDataRights(this.s, this.consents, this.medical);
    this.staff = new ClientStaffArchive(this.s, this.profiles, this.consents, this.medical);
  }

  /** Where the archive's spending figures come from (the orders module; services.ts, at start-up). */
  setConsumptionSource(source: (clientId: number) => Promise<StaffArchive['consumption']>): void {
    this.s.consumption = source;
  }

  /** Registers another module's client data hooks (services.ts, at start-up). */
  addDataHooks(hooks: ClientDataHooks): void {
    this.s.dataHooks.push(hooks);
  }

  // ---------------------------------------------------------------- the client's own archive

  createClient(input: NewClientInput, manager?: EntityManager): Promise<Client> {
    return this.profiles.createClient(input, manager);
  }

  existsByOpenid(openid: string): Promise<boolean> {
    return this.profiles.existsByOpenid(openid);
  }

  getOwnProfile(clientId: number): Promise<OwnProfile> {
    return this.profiles.getOwnProfile(clientId);
  }

  updateOwnProfile(clientId: number, input: ProfileUpdate, actor: Actor): Promise<OwnProfile> {
    return this.profiles.updateOwnProfile(clientId, input, actor);
  }

  bindPhone(clientId: number, code: string, actor: Actor): Promise<{ phone: string | null }> {
    return this.profiles.bindPhone(clientId, code, actor);
  }

  listConsents(clientId: number): Promise<ConsentView[]> {
    return this.consents.listConsents(clientId);
  }

  grantConsent(clientId: number, input: GrantConsentInput, actor: Actor): Promise<ConsentView> {
    return this.consents.grantConsent(clientId, input, actor);
  }

  withdrawConsent(clientId: number, purpose: ConsentPurpose, actor: Actor): Promise<{ withdrawn: number }> {
    return this.consents.withdrawConsent(clientId, purpose, actor);
  }

  getOwnMedical(clientId: number): Promise<MedicalRead> {
    return this.medical.getOwnMedical(clientId);
  }

  putOwnMedical(clientId: number, input: MedicalHistory, actor: Actor): Promise<MedicalRead> {
    return this.medical.putOwnMedical(clientId, input, actor);
  }

  /** Merges answers into the medical record inside the caller's transaction (see ClientMedical.mergeMedical). */
  mergeMedical(
    m: EntityManager, client: { id: number; publicId: string }, input: Partial<MedicalHistory>, actor: Actor,
    by: { type: 'client' | 'staff'; id: number }, source: string, opts: { auditInto?: Parameters<AuditService['recordMany']>[1] } = {},
  ): Promise<void> {
    return this.medical.mergeMedical(m, client, input, actor, by, source, opts);
  }

  requireHealthConsent(m: EntityManager, clientId: number, birthDate: string | null): Promise<void> {
    return this.medical.requireHealthConsent(m, clientId, birthDate);
  }

  createExport(clientId: number, actor: Actor): Promise<{ id: string; expiresAt: Date }> {
    return this.rights.createExport(clientId, actor);
  }

  purgeExpiredExports(now: Date): Promise<number> {
    return this.rights.purgeExpiredExports(now);
  }

  getExport(clientId: number, exportPublicId: string): Promise<unknown> {
    return this.rights.getExport(clientId, exportPublicId);
  }

  deleteOwnAccount(clientId: number, actor: Actor): Promise<void> {
    return this.rights.deleteOwnAccount(clientId, actor);
  }

  /**
   * Records who referred the client (referrals, at the binding, in its transaction): only a client
   * without a referrer gets one. Answers whether it was set.
   */
  async setReferrer(m: EntityManager, clientId: number, referrerId: number): Promise<boolean> {
    const res: { affectedRows?: number } = await m.query('UPDATE clients SET referrer_id = ? WHERE id = ? AND referrer_id IS NULL', [referrerId, clientId]);
    return (res.affectedRows ?? 0) > 0;
  }

  /** Takes the referrer away again when the binding is voided, if it is still this one. */
  async clearReferrer(m: EntityManager, clientId: number, referrerId: number): Promise<void> {
    await m.query('UPDATE clients SET referrer_id = NULL WHERE id = ? AND referrer_id = ?', [clientId, referrerId]);
  }

  // ---------------------------------------------------------------- staff

  assertStaffMaySee(actor: Actor, clientPublicId: string, action: string): Promise<void> {
    return this.staff.assertStaffMaySee(actor, clientPublicId, action);
  }

  listForStaff(actor: Actor, q: StaffListQuery): Promise<{ items: StaffListItem[]; page: number; pageSize: number; total: number }> {
    return this.staff.listForStaff(actor, q);
  }

  openArchive(actor: Actor, clientPublicId: string): Promise<StaffArchive> {
    return this.staff.openArchive(actor, clientPublicId);
  }

  accessForStaff(actor: Actor, clientPublicId: string, action: string, m?: EntityManager): Promise<{ id: number; publicId: string; consultantId: number | null }> {
    return this.staff.accessForStaff(actor, clientPublicId, action, m);
  }

  revealPhoneForStaff(actor: Actor, clientPublicId: string): Promise<{ phone: string | null }> {
    return this.staff.revealPhoneForStaff(actor, clientPublicId);
  }

  createForStaff(
    actor: Actor,
    input: { name: string; phone: string; gender?: Gender; birthDate?: string; address?: string; sourceChannel: string; consultantId?: string | null },
  ): Promise<StaffClientAssignment> {
    return this.staff.createForStaff(actor, input);
  }

  correctForStaff(actor: Actor, clientPublicId: string, input: { name?: string; phone?: string; gender?: Gender; birthDate?: string | null; address?: string | null }): Promise<{ id: string }> {
    return this.staff.correctForStaff(actor, clientPublicId, input);
  }

  readMedicalForStaff(actor: Actor, clientPublicId: string): Promise<MedicalRead> {
    return this.staff.readMedicalForStaff(actor, clientPublicId);
  }

  putMedicalForStaff(actor: Actor, clientPublicId: string, input: MedicalHistory): Promise<MedicalRead> {
    return this.staff.putMedicalForStaff(actor, clientPublicId, input);
  }

  updateForStaff(actor: Actor, clientPublicId: string, input: { consultantId?: string | null; stage?: string }): Promise<StaffClientAssignment> {
    return this.staff.updateForStaff(actor, clientPublicId, input);
  }
}
