import DataLoader from 'dataloader';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import type { ClientStage, JourneyService } from '../journey';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import { ageOn, shanghaiDate } from '../../shared/clock';
import { FieldCipher, normalizeName, normalizePhone, publicId as newPublicId, randomCode } from '../../shared/crypto';
import { parsePhone } from '../../shared/phone';
import { AppError, CommonErrors, notFound, validationError } from '../../shared/errors';
import { isDuplicateKey, runInTransaction } from '../../shared/db';
import { createLogger, Logger } from '../../shared/logger';
import type { AuditService, Actor } from '../audit';
import type { SessionStore } from '../../shared/sessions';
import type { WeChatApi } from '../../integrations/wechat/types';
import { WeChatError } from '../../integrations/wechat/types';
import { Client, ClientTouch, Consent, ConsentPurpose, DataExport, Gender, MedicalRecord, Touch } from './clients.entity';
import { ClientErrors } from './clients.errors';
import { ClientAccess, accessibleScopes, mayAccess } from './clients.access';
import type { AccessScope } from './clients.access';

export interface ClientsDeps {
  db: DataSource;
  config: Config;
  clock: Clock;
  cipher: FieldCipher;
  audit: AuditService;
  wechat: WeChatApi;
  sessions: SessionStore;
  /** Records stage changes (with their times) and the stage tag. */
  journey: JourneyService;
  /** Module logger; one is made from config.logLevel when not given. */
  logger?: Logger;
}

export const MEDICAL_FIELDS = ['allergies', 'medications', 'pastProcedures', 'conditions'] as const;
export type MedicalField = (typeof MEDICAL_FIELDS)[number];
/** Column of each medical field (the re-encryption command walks these). */
export const MEDICAL_COLUMNS: Record<MedicalField, string> = {
  allergies: 'allergies_enc',
  medications: 'medications_enc',
  pastProcedures: 'past_procedures_enc',
  conditions: 'conditions_enc',
};

/**
 * Associated data for every encrypted column: it binds a ciphertext to its row and column, so a
 * value copied onto another row (or column) fails to decrypt. The re-encryption command uses the same.
 */
export const aad = {
  client: (clientPublicId: string, field: 'name' | 'phone' | 'address') => `clients:${clientPublicId}:${field}`,
  medical: (clientPublicId: string, field: MedicalField) => `medical:${clientPublicId}:${field}`,
  guardianName: (consentPublicId: string) => `consents:${consentPublicId}:guardian_name`,
  exportPayload: (exportPublicId: string) => `data_exports:${exportPublicId}:payload`,
};

export interface PastProcedure {
  name: string;
  year?: number;
  satisfied?: boolean;
}
export interface MedicalHistory {
  allergies: string[];
  medications: string[];
  pastProcedures: PastProcedure[];
  conditions: string[];
}
export interface ConsentSummaryItem {
  policyVersion: string;
  /** The consent is for the policy version in force now. */
  current: boolean;
}
export type ConsentSummary = Record<ConsentPurpose, ConsentSummaryItem | null>;

export interface OwnProfile {
  id: string;
  name: string | null;
  gender: Gender;
  birthDate: string | null;
  /** Masked: 138****5678. */
  phone: string | null;
  address: string | null;
  referralCode: string;
  stage: string;
  consents: ConsentSummary;
}

export interface ProfileUpdate {
  name?: string;
  gender?: Gender;
  birthDate?: string | null;
  address?: string | null;
}

export interface ConsentView {
  id: string;
  purpose: ConsentPurpose;
  policyVersion: string;
  current: boolean;
  guardianName: string | null;
  guardianRelation: string | null;
  grantedAt: Date;
  withdrawnAt: Date | null;
}

export interface GrantConsentInput {
  purpose: ConsentPurpose;
  policyVersion: string;
  guardianName?: string;
  guardianRelation?: string;
}

export interface StaffListQuery {
  phone?: string;
  name?: string;
  stage?: string;
  page: number;
  pageSize: number;
}

export interface StaffListItem {
  id: string;
  name: string | null;
  gender: Gender;
  phone: string | null;
  stage: string;
  consultant: { id: string; displayName: string } | null;
  sourceChannel: string | null;
  createdAt: Date;
}

export interface StaffArchive {
  id: string;
  status: string;
  name: string | null;
  gender: Gender;
  birthDate: string | null;
  age: number | null;
  phone: string | null;
  address: string | null;
  referralCode: string;
  stage: string;
  sourceChannel: string | null;
  firstTouch: Touch | null;
  consultant: { id: string; displayName: string } | null;
  createdAt: Date;
  lastLoginAt: Date | null;
  /** Paid orders net of refunds (DOMAIN.md, consumption), from the orders module. */
  consumption: { visits: number; lifetimeSpendFen: number; lastVisitAt: string | null };
  consents: ConsentView[];
  /** Doctors and the director only (DOMAIN.md: three-tier access). */
  medical?: MedicalHistory & { updatedAt: Date | null };
  /** The sections of this client the reader may see (client-access rule), so a console shows only those. */
  sections: AccessScope[];
}

export interface StaffClientAssignment {
  id: string;
  stage: string;
  consultant: { id: string; displayName: string } | null;
}

export interface NewClientInput {
  openid: string;
  unionid?: string | null;
  name?: string | null;
  phone?: string | null;
  gender?: Gender;
  birthDate?: string | null;
  address?: string | null;
  consultantId?: number | null;
  referrerId?: number | null;
  stage?: string;
  sourceChannel?: string | null;
  firstTouch?: Touch | null;
  /** Set when the client is created by their first login. */
  lastLoginAt?: Date | null;
}

/**
 * Client data other modules keep (questionnaire answers …), so that the client's rights over the
 * archive reach it too (PIPL): each hook runs inside the same transaction as the change.
 */
export interface ClientDataHooks {
  /** The health consent was withdrawn: erase health data. */
  onHealthWithdrawn?(m: EntityManager, clientId: number): Promise<void>;
  /** The account is being deleted: erase the module's personal data. `former`: the identifiers as they were before the erasure. */
  onAccountDeleted?(m: EntityManager, clientId: number, former: FormerIdentifiers): Promise<void>;
  /** Sections added to the client's own export, keyed by name. */
  exportSections?(m: EntityManager, clientId: number): Promise<Record<string, unknown>>;
}

/** A deleted client's WeChat identity and phone blind index, read before they are erased (for ClientDataHooks). */
export interface FormerIdentifiers {
  openid: string;
  unionid: string | null;
  phoneBidx: string | null;
}

const EXPORT_TTL_MS = 24 * 3600 * 1000;
const EXPORT_PURGE_BATCH = 500;
const MIN_BIRTH_DATE = '1900-01-01';

interface ClientRow {
  id: number;
  publicId: string;
  nameEnc: Buffer | null;
  gender: Gender;
  birthDate: string | null;
  phoneEnc: Buffer | null;
  addressEnc: Buffer | null;
  referralCode: string;
  stage: string;
  status: 'active' | 'deleted';
  sourceChannel: string | null;
  firstTouch: Touch | string | null;
  consultantId: number | null;
  consultantPublicId: string | null;
  consultantName: string | null;
  createdAt: Date;
  lastLoginAt: Date | null;
}

// Dates are formatted in SQL: the DATE column must not pass through a local-time Date.
const OWN_COLUMNS = `c.id AS id, c.public_id AS publicId, c.name_enc AS nameEnc, c.gender AS gender,
  DATE_FORMAT(c.birth_date, '%Y-%m-%d') AS birthDate, c.phone_enc AS phoneEnc, c.address_enc AS addressEnc,
  c.referral_code AS referralCode, c.stage AS stage, c.status AS status, c.source_channel AS sourceChannel,
  c.first_touch AS firstTouch, c.consultant_id AS consultantId, c.created_at AS createdAt, c.last_login_at AS lastLoginAt`;
const CLIENT_COLUMNS = `${OWN_COLUMNS}, s.public_id AS consultantPublicId, s.display_name AS consultantName`;

const PERSONAL_FIELDS = ['name', 'phone', 'address'] as const;
type PersonalField = (typeof PERSONAL_FIELDS)[number];
type ProfileRow = Pick<ClientRow, 'publicId' | 'nameEnc' | 'gender' | 'birthDate' | 'phoneEnc' | 'addressEnc' | 'referralCode' | 'stage' | 'status'> & { id: number; consents: string | null };
type PersonalColumns = { publicId: string } & Record<`${PersonalField}Enc`, Buffer | null>;

function consultantOf(row: Pick<ClientRow, 'consultantPublicId' | 'consultantName'>): { id: string; displayName: string } | null {
  return row.consultantPublicId ? { id: row.consultantPublicId, displayName: row.consultantName ?? '' } : null;
}

function phoneInUse(field: string): AppError {
  return new AppError(ClientErrors.PHONE_IN_USE, 'This phone number is already bound to another account', { field });
}

export function maskPhone(phone: string | null): string | null {
  if (!phone) return null;
  return phone.length >= 7 ? `${phone.slice(0, 3)}****${phone.slice(-4)}` : '****';
}

/**
 * The client archive 客户档案: own profile, phone binding, consents, medical history, export and
 * deletion for the client; list, search and archive reads for staff. Every staff read and every
 * change writes an audit row (DOMAIN.md, 操作日志).
 */
export class ClientsService {
  private readonly log: Logger;
  private readonly dataHooks: ClientDataHooks[] = [];
  /** The one client-access rule (which staff member sees which client and which sections). */
  readonly access: ClientAccess;

  private consumption: ((clientId: number) => Promise<StaffArchive['consumption']>) | null = null;

  /** Where the archive's spending figures come from (the orders module; services.ts, at start-up). */
  setConsumptionSource(source: (clientId: number) => Promise<StaffArchive['consumption']>): void {
    this.consumption = source;
  }

  /** Registers another module's client data hooks (services.ts, at start-up). */
  addDataHooks(hooks: ClientDataHooks): void {
    this.dataHooks.push(hooks);
  }

  constructor(private readonly deps: ClientsDeps) {
    this.log = deps.logger ?? createLogger(deps.config.logLevel, { module: 'clients' });
    this.access = new ClientAccess(deps);
  }

  /**
   * Profile rows, read together for every client whose profile is asked for in the same turn of the
   * event loop: one query (and one round trip) for a burst of mini-program launches rather than one
   * each. Nothing is cached: every read sees the row as committed when its batch runs.
   */
  private readonly profileRows = new DataLoader<number, ProfileRow | undefined>(
    async (ids) => {
      const rows: ProfileRow[] = await this.db.query(
        `SELECT c.id AS id, c.public_id AS publicId, c.name_enc AS nameEnc, c.gender AS gender, DATE_FORMAT(c.birth_date, '%Y-%m-%d') AS birthDate,
           c.phone_enc AS phoneEnc, c.address_enc AS addressEnc, c.referral_code AS referralCode, c.stage AS stage, c.status AS status,
           (SELECT GROUP_CONCAT(k.purpose, ':', k.policy_version SEPARATOR '\n') FROM consents k
             WHERE k.client_id = c.id AND k.withdrawn_at IS NULL) AS consents
         FROM clients c WHERE c.id IN (?)`,
        [ids],
      );
      const byId = new Map(rows.map((r) => [Number(r.id), r]));
      return ids.map((id) => byId.get(id));
    },
    { cache: false, maxBatchSize: 200, batchScheduleFn: (run) => setImmediate(run) },
  );

  private get db(): DataSource {
    return this.deps.db;
  }

  // ---------------------------------------------------------------- decryption that never crashes a read

  /** A value that cannot be decrypted (copied from another row, unknown key) reads as null and is logged. */
  private open(blob: Buffer | null | undefined, aadText: string, where: Record<string, unknown>): string | null {
    if (!blob) return null;
    try {
      return this.deps.cipher.decrypt(blob, aadText);
    } catch {
      this.log.error({ ...where, column: aadText.split(':').pop() }, 'stored value cannot be decrypted; answered as null');
      return null;
    }
  }

  /** The personal fields of a client row (all, or only those asked for), decrypted; each null when absent or unreadable. */
  private personal<F extends PersonalField = PersonalField>(
    row: PersonalColumns,
    clientId: number,
    fields: readonly F[] = PERSONAL_FIELDS as readonly PersonalField[] as readonly F[],
  ): Record<F, string | null> {
    const out = {} as Record<F, string | null>;
    for (const f of fields) out[f] = this.open(row[`${f}Enc`], aad.client(row.publicId, f), { clientId });
    return out;
  }

  private openJson<T>(blob: Buffer | null | undefined, aadText: string, fallback: T, where: Record<string, unknown>): T {
    const text = this.open(blob, aadText, where);
    if (text === null) return fallback;
    try {
      return JSON.parse(text) as T;
    } catch {
      this.log.error({ ...where }, 'stored value is not JSON; answered as empty');
      return fallback;
    }
  }

  private versionFor(purpose: ConsentPurpose): string {
    const p = this.deps.config.policy;
    return purpose === 'privacy' ? p.privacyVersion : purpose === 'health' ? p.healthConsentVersion : p.guardianConsentVersion;
  }

  // ---------------------------------------------------------------- creation (login, demo seed)

  /**
   * Creates a client (as a first login or the demo seed would): personal fields encrypted, blind
   * indexes written, a fresh public id and referral code. A phone already on an active client → PHONE_IN_USE.
   */
  async createClient(input: NewClientInput, manager?: EntityManager): Promise<Client> {
    const { cipher } = this.deps;
    for (let attempt = 0; ; attempt++) {
      const pid = newPublicId();
      const phone = input.phone ? normalizePhone(input.phone) : null;
      const row: Partial<Client> = {
        publicId: pid,
        openid: input.openid,
        unionid: input.unionid ?? null,
        nameEnc: input.name ? cipher.encrypt(input.name, aad.client(pid, 'name')) : null,
        nameBidx: input.name ? cipher.blindIndex('name', normalizeName(input.name)) : null,
        phoneEnc: phone ? cipher.encrypt(phone, aad.client(pid, 'phone')) : null,
        phoneBidx: phone ? cipher.blindIndex('phone', phone) : null,
        addressEnc: input.address ? cipher.encrypt(input.address, aad.client(pid, 'address')) : null,
        gender: input.gender ?? 'unknown',
        birthDate: input.birthDate ?? null,
        referralCode: randomCode(8),
        referrerId: input.referrerId ?? null,
        consultantId: input.consultantId ?? null,
        stage: input.stage ?? 'lead',
        status: 'active',
        sourceChannel: input.sourceChannel ?? null,
        firstTouch: input.firstTouch ?? null,
        lastLoginAt: input.lastLoginAt ?? null,
      };
      try {
        const repo = (manager ?? this.db.manager).getRepository(Client);
        const result = await repo.insert(row);
        return (await repo.findOneByOrFail({ id: result.identifiers[0].id as number }));
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        const msg = String((err as Error).message);
        if (msg.includes('uq_clients_phone_bidx')) throw phoneInUse('phone');
        // A referral code or public id collision is rare; try again with new ones.
        if (attempt >= 4 || !/uq_clients_(referral_code|public_id)/.test(msg)) throw err;
      }
    }
  }

  /** True when a client row (of any status) holds this openid; the demo seed asks before creating. */
  async existsByOpenid(openid: string): Promise<boolean> {
    return this.db.getRepository(Client).exists({ where: { openid } });
  }

  // ---------------------------------------------------------------- own profile

  /** The client's own profile: one query by primary key (benchmarked), consents folded in. */
  async getOwnProfile(clientId: number): Promise<OwnProfile> {
    const row = await this.profileRows.load(clientId);
    if (!row || row.status !== 'active') throw notFound('Client');
    const consents: ConsentSummary = { privacy: null, health: null, guardian: null };
    for (const part of row.consents ? row.consents.split('\n') : []) {
      const i = part.indexOf(':');
      const purpose = part.slice(0, i) as ConsentPurpose;
      const policyVersion = part.slice(i + 1);
      const current = policyVersion === this.versionFor(purpose);
      if (!consents[purpose] || current) consents[purpose] = { policyVersion, current };
    }
    const { name, phone, address } = this.personal(row, clientId);
    return {
      id: row.publicId,
      name,
      gender: row.gender,
      birthDate: row.birthDate,
      phone: maskPhone(phone),
      address,
      referralCode: row.referralCode,
      stage: row.stage,
      consents,
    };
  }

  /** Updates name, gender, birth date and address; the name's blind index follows the name. */
  async updateOwnProfile(clientId: number, input: ProfileUpdate, actor: Actor): Promise<OwnProfile> {
    if (input.birthDate) this.checkBirthDate(input.birthDate, 'body.birthDate');
    const { cipher } = this.deps;
    await runInTransaction(this.db, async (m) => {
      const client = await this.lockActive(m, clientId);
      const patch: Partial<Client> = {};
      if (input.name !== undefined) {
        const name = input.name.trim();
        patch.nameEnc = cipher.encrypt(name, aad.client(client.publicId, 'name'));
        patch.nameBidx = cipher.blindIndex('name', normalizeName(name));
      }
      if (input.gender !== undefined) patch.gender = input.gender;
      if (input.birthDate !== undefined) patch.birthDate = input.birthDate;
      if (input.address !== undefined) {
        const address = input.address?.trim() || null;
        patch.addressEnc = address ? cipher.encrypt(address, aad.client(client.publicId, 'address')) : null;
      }
      await m.getRepository(Client).update({ id: clientId }, patch);
      await this.deps.audit.record(actor, 'client.profile.update', { clientId, details: { fields: Object.keys(input) } }, m);
    });
    return this.getOwnProfile(clientId);
  }

  private checkBirthDate(birthDate: string, field: string): void {
    const today = shanghaiDate(this.deps.clock.now());
    if (birthDate > today) throw validationError([{ field, message: `${field} must not be in the future`, type: 'date.max' }]);
    if (birthDate < MIN_BIRTH_DATE) throw validationError([{ field, message: `${field} must not be before ${MIN_BIRTH_DATE}`, type: 'date.min' }]);
  }

  /** Locks the client row for the rest of the transaction; a missing or deleted client → 404. */
  private async lockActive(m: EntityManager, clientId: number): Promise<{ id: number; publicId: string; birthDate: string | null }> {
    const rows: { id: number; publicId: string; birthDate: string | null; status: string }[] = await m.query(
      `SELECT id, public_id AS publicId, DATE_FORMAT(birth_date, '%Y-%m-%d') AS birthDate, status FROM clients WHERE id = ? FOR UPDATE`,
      [clientId],
    );
    if (!rows[0] || rows[0].status !== 'active') throw notFound('Client');
    return rows[0];
  }

  // ---------------------------------------------------------------- phone

  /** Binds the phone number behind a getPhoneNumber code; the phone is unique among active clients. */
  async bindPhone(clientId: number, code: string, actor: Actor): Promise<{ phone: string | null }> {
    const { cipher, wechat } = this.deps;
    let phone: string | null;
    try {
      const res = await wechat.getPhoneNumber(code);
      // WeChat's purePhoneNumber is digits only; anything else is refused, not trimmed into a number.
      const country = res.countryCode || '86';
      phone = /^\d{1,4}$/.test(country) && /^\d+$/.test(res.purePhoneNumber) ? parsePhone(`+${country}${res.purePhoneNumber}`) : null;
    } catch (err) {
      throw this.mapWeChatError(err);
    }
    if (!phone) {
      throw new AppError(ClientErrors.PHONE_INVALID, 'WeChat gave a phone number that is not a valid mainland or international number', { field: 'body.code' });
    }
    const bidx = cipher.blindIndex('phone', phone);
    try {
      await runInTransaction(this.db, async (m) => {
        const client = await this.lockActive(m, clientId);
        // Under every blind-index key: during a key rotation the holder may not be re-indexed yet.
        const holder: { id: number }[] = await m.query('SELECT id FROM clients WHERE phone_bidx IN (?) AND id <> ?', [cipher.blindIndexes('phone', phone), clientId]);
        if (holder.length) throw phoneInUse('body.code');
        await m.getRepository(Client).update({ id: clientId }, { phoneEnc: cipher.encrypt(phone, aad.client(client.publicId, 'phone')), phoneBidx: bidx });
        await this.deps.audit.record(actor, 'client.phone.bind', { clientId, details: { fields: ['phone'] } }, m);
      });
    } catch (err) {
      if (isDuplicateKey(err)) throw phoneInUse('body.code');
      throw err;
    }
    return { phone: maskPhone(phone) };
  }

  private mapWeChatError(err: unknown): Error {
    if (!(err instanceof WeChatError)) return err as Error;
    if (err.errcode === 40029 || err.errcode === 40163) {
      return new AppError(ClientErrors.PHONE_CODE_INVALID, 'The phone-number code is invalid, used or expired; ask again', { field: 'body.code' });
    }
    if (err.errcode === 40226) return new AppError(ClientErrors.PHONE_BINDING_BLOCKED, 'WeChat refused this request for this user');
    const retryAfterSeconds = err.errcode === 45011 ? 60 : 5;
    return new AppError(ClientErrors.WECHAT_UNAVAILABLE, 'WeChat is not answering right now; please try again shortly', { retryAfterSeconds });
  }

  // ---------------------------------------------------------------- consents

  async listConsents(clientId: number): Promise<ConsentView[]> {
    const client = await this.db.getRepository(Client).findOne({ where: { id: clientId }, select: { id: true, status: true } });
    if (!client || client.status !== 'active') throw notFound('Client');
    return this.consentsOf(this.db.manager, clientId);
  }

  private async consentsOf(m: EntityManager, clientId: number): Promise<ConsentView[]> {
    const rows = await m.getRepository(Consent).find({ where: { clientId }, order: { grantedAt: 'DESC', id: 'DESC' } });
    return rows.map((r) => this.consentView(r));
  }

  private consentView(r: Consent): ConsentView {
    return {
      id: r.publicId,
      purpose: r.purpose,
      policyVersion: r.policyVersion,
      current: r.policyVersion === this.versionFor(r.purpose),
      guardianName: this.open(r.guardianNameEnc, aad.guardianName(r.publicId), { clientId: r.clientId, consentId: r.id }),
      guardianRelation: r.guardianRelation,
      grantedAt: r.grantedAt,
      withdrawnAt: r.withdrawnAt,
    };
  }

  /** Active consent of a purpose for the policy version in force now. */
  private async hasCurrentConsent(m: EntityManager, clientId: number, purpose: ConsentPurpose): Promise<boolean> {
    const rows: unknown[] = await m.query(
      'SELECT id FROM consents WHERE client_id = ? AND purpose = ? AND policy_version = ? AND withdrawn_at IS NULL LIMIT 1',
      [clientId, purpose, this.versionFor(purpose)],
    );
    return rows.length > 0;
  }

  private isMinor(birthDate: string | null): boolean {
    return birthDate !== null && ageOn(birthDate, this.deps.clock.now()) < this.deps.config.policy.guardianAgeUnder;
  }

  /**
   * Records a consent for the current policy version. Same purpose and version already active →
   * the existing consent (idempotent); an older version is withdrawn and replaced. Health consent
   * of a client under config.policy.guardianAgeUnder needs a guardian's consent first.
   */
  async grantConsent(clientId: number, input: GrantConsentInput, actor: Actor): Promise<ConsentView> {
    const currentVersion = this.versionFor(input.purpose);
    if (input.policyVersion !== currentVersion) {
      throw new AppError(ClientErrors.POLICY_VERSION_OUTDATED, 'This policy version is not the one in force; show the current policy and ask again', {
        field: 'body.policyVersion', currentVersion,
      });
    }
    return runInTransaction(this.db, async (m) => {
      const client = await this.lockActive(m, clientId);
      if (input.purpose === 'health') await this.requireGuardianIfMinor(m, clientId, client.birthDate, 'body.purpose');
      const repo = m.getRepository(Consent);
      const active = await repo.find({ where: { clientId, purpose: input.purpose, withdrawnAt: IsNull() } });
      const now = this.deps.clock.now();
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
        guardianNameEnc: input.guardianName ? this.deps.cipher.encrypt(input.guardianName.trim(), aad.guardianName(pid)) : null,
        guardianRelation: input.guardianRelation?.trim() ?? null,
        ip: actor.ip,
        grantedAt: now,
        withdrawnAt: null,
      });
      await repo.insert(row);
      await this.deps.audit.record(actor, 'client.consent.grant', { clientId, details: { purpose: input.purpose, policyVersion: currentVersion, replaced: stale.length } }, m);
      return this.consentView(row);
    });
  }

  /**
   * Withdraws the active consent of a purpose; rows stay as evidence (withdrawnAt is set).
   * Withdrawing the health consent also erases the medical history, in the same transaction.
   */
  async withdrawConsent(clientId: number, purpose: ConsentPurpose, actor: Actor): Promise<{ withdrawn: number }> {
    return runInTransaction(this.db, async (m) => {
      await this.lockActive(m, clientId);
      const res: { affectedRows?: number } = await m.query(
        'UPDATE consents SET withdrawn_at = ? WHERE client_id = ? AND purpose = ? AND withdrawn_at IS NULL',
        [this.deps.clock.now(), clientId, purpose],
      );
      const withdrawn = res.affectedRows ?? 0;
      if (withdrawn) await this.deps.audit.record(actor, 'client.consent.withdraw', { clientId, details: { purpose } }, m);
      // Product decision: withdrawing the health consent stops processing, so the health data goes too.
      if (purpose === 'health') {
        const erased: { affectedRows?: number } = await m.query('DELETE FROM medical_records WHERE client_id = ?', [clientId]);
        if (erased.affectedRows) await this.deps.audit.record(actor, 'client.medical.erase', { clientId, details: { reason: 'consent_withdrawn' } }, m);
        for (const h of this.dataHooks) await h.onHealthWithdrawn?.(m, clientId);
      }
      return { withdrawn };
    });
  }

  // ---------------------------------------------------------------- medical history

  private async readMedical(m: EntityManager, clientId: number, clientPublicId: string): Promise<MedicalHistory & { updatedAt: Date | null }> {
    const rec = await m.getRepository(MedicalRecord).findOneBy({ clientId });
    const where = { clientId };
    return {
      allergies: this.openJson(rec?.allergiesEnc, aad.medical(clientPublicId, 'allergies'), [], where),
      medications: this.openJson(rec?.medicationsEnc, aad.medical(clientPublicId, 'medications'), [], where),
      pastProcedures: this.openJson(rec?.pastProceduresEnc, aad.medical(clientPublicId, 'pastProcedures'), [], where),
      conditions: this.openJson(rec?.conditionsEnc, aad.medical(clientPublicId, 'conditions'), [], where),
      updatedAt: rec?.updatedAt ?? null,
    };
  }

  /** The client's own medical history (empty lists when none was recorded). */
  async getOwnMedical(clientId: number): Promise<MedicalHistory & { updatedAt: Date | null }> {
    const client = await this.db.getRepository(Client).findOne({ where: { id: clientId }, select: { id: true, publicId: true, status: true } });
    if (!client || client.status !== 'active') throw notFound('Client');
    return this.readMedical(this.db.manager, clientId, client.publicId);
  }

  /** Replaces the medical history; without a current health consent nothing is written (HEALTH_CONSENT_REQUIRED). */
  async putOwnMedical(clientId: number, input: MedicalHistory, actor: Actor): Promise<MedicalHistory & { updatedAt: Date | null }> {
    return this.writeMedical(clientId, input, actor, { type: 'client', id: clientId });
  }

  private async writeMedical(clientId: number, input: MedicalHistory, actor: Actor, by: { type: 'client' | 'staff'; id: number }) {
    const { cipher } = this.deps;
    return runInTransaction(this.db, async (m) => {
      const client = await this.lockActive(m, clientId);
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
      await this.deps.audit.record(actor, 'client.medical.update', { clientId, details: { fields: [...MEDICAL_FIELDS] } }, m);
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
    const open = (f: MedicalField) => this.openJson(row?.[MEDICAL_COLUMNS[f]], aad.medical(client.publicId, f), [], { clientId: client.id });
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
    const enc = (f: MedicalField) => this.deps.cipher.encryptJson(merged[f], aad.medical(client.publicId, f));
    await m.query(
      `INSERT INTO medical_records (client_id, allergies_enc, medications_enc, past_procedures_enc, conditions_enc, updated_by_type, updated_by_id)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE allergies_enc = VALUES(allergies_enc), medications_enc = VALUES(medications_enc), past_procedures_enc = VALUES(past_procedures_enc),
         conditions_enc = VALUES(conditions_enc), updated_by_type = VALUES(updated_by_type), updated_by_id = VALUES(updated_by_id)`,
      [client.id, enc('allergies'), enc('medications'), enc('pastProcedures'), enc('conditions'), by.type, by.id],
    );
    const entry = { action: 'client.medical.update', clientId: client.id, details: { fields, source } };
    if (opts.auditInto) opts.auditInto.push(entry);
    else await this.deps.audit.record(actor, entry.action, entry, m);
  }

  /**
   * Health data is accepted only with an active health consent of the current version; a client
   * under the guardian age also needs an active guardian consent (DESIGN.md, cross-cutting decisions).
   */
  async requireHealthConsent(m: EntityManager, clientId: number, birthDate: string | null): Promise<void> {
    if (!(await this.hasCurrentConsent(m, clientId, 'health'))) {
      throw new AppError(ClientErrors.HEALTH_CONSENT_REQUIRED, 'Health data needs the client’s health-data consent of the current version first', {
        requiredVersion: this.versionFor('health'),
      });
    }
    await this.requireGuardianIfMinor(m, clientId, birthDate);
  }

  /** A client under config.policy.guardianAgeUnder needs an active guardian consent of the current version. */
  private async requireGuardianIfMinor(m: EntityManager, clientId: number, birthDate: string | null, field?: string): Promise<void> {
    if (!this.isMinor(birthDate) || (await this.hasCurrentConsent(m, clientId, 'guardian'))) return;
    throw new AppError(ClientErrors.GUARDIAN_CONSENT_REQUIRED, "A guardian's consent is needed first for a client under the age of consent", {
      ...(field ? { field } : {}), guardianAgeUnder: this.deps.config.policy.guardianAgeUnder,
    });
  }

  // ---------------------------------------------------------------- export (PIPL: the client's copy of their data)

  /**
   * Builds a JSON of everything about the client, stores it encrypted for 24 hours, audits 'client.export'.
   * Only the newest export is kept: the client's earlier ones, and any expired row, go in the same transaction.
   */
  async createExport(clientId: number, actor: Actor): Promise<{ id: string; expiresAt: Date }> {
    const now = this.deps.clock.now();
    const pid = newPublicId();
    const expiresAt = new Date(now.getTime() + EXPORT_TTL_MS);
    await runInTransaction(this.db, async (m) => {
      await this.lockActive(m, clientId);
      await m.query('DELETE FROM data_exports WHERE client_id = ?', [clientId]);
      const payload = await this.buildExport(m, clientId, now);
      await m.getRepository(DataExport).insert({
        publicId: pid, clientId, payloadEnc: this.deps.cipher.encryptJson(payload, aad.exportPayload(pid)), createdAt: now, expiresAt,
      });
      await this.deps.audit.record(actor, 'client.export', { clientId, details: { exportId: pid } }, m);
    });
    // Other clients' expired exports go after the commit, in statements of their own: inside the
    // export's transaction their locks made concurrent exports deadlock on one another.
    await this.deleteExpiredExports(this.db.manager, now, EXPORT_PURGE_BATCH);
    return { id: pid, expiresAt };
  }

  private async buildExport(m: EntityManager, clientId: number, now: Date): Promise<Record<string, unknown>> {
    const row = await this.loadClientRow(m, { id: clientId });
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
        ...this.personal(row, clientId),
        gender: row.gender,
        birthDate: row.birthDate,
        referralCode: row.referralCode,
        stage: row.stage,
        sourceChannel: row.sourceChannel,
        firstTouch: parseJson(row.firstTouch),
        createdAt: row.createdAt,
      },
      touches: touches.map(({ id: _id, clientId: _c, ...t }) => t),
      consents: await this.consentsOf(m, clientId),
      medical: await this.readMedical(m, clientId, row.publicId),
      ...(await this.hookSections(m, clientId)),
      auditLog: audit.map((a) => ({ ...a, allowed: Boolean(a.allowed) })),
    };
  }

  private async hookSections(m: EntityManager, clientId: number): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const h of this.dataHooks) Object.assign(out, await h.exportSections?.(m, clientId));
    return out;
  }

  /** Deletes every export past its expiry (scheduler task 'exports-purge'); returns how many rows went. */
  async purgeExpiredExports(now: Date): Promise<number> {
    let deleted = 0;
    for (;;) {
      const batch = await this.deleteExpiredExports(this.db.manager, now, EXPORT_PURGE_BATCH);
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
    const row = await this.db.getRepository(DataExport).findOneBy({ publicId: exportPublicId, clientId });
    if (!row || row.expiresAt.getTime() <= this.deps.clock.now().getTime()) throw notFound('Export');
    const text = this.open(row.payloadEnc, aad.exportPayload(row.publicId), { clientId, exportId: row.id });
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
    const now = this.deps.clock.now();
    await runInTransaction(this.db, async (m) => {
      const client = await this.lockActive(m, clientId);
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
      for (const h of this.dataHooks) await h.onAccountDeleted?.(m, clientId, former);
      // Purpose, version and times stay as evidence of what was consented to and when.
      await m.query(
        'UPDATE consents SET guardian_name_enc = NULL, ip = NULL, withdrawn_at = COALESCE(withdrawn_at, ?) WHERE client_id = ?',
        [now, clientId],
      );
      await this.deps.audit.record(actor, 'client.delete', {
        clientId,
        details: {
          erased: [
            'name', 'phone', 'address', 'unionid', 'birthDate', 'openid', 'firstTouch', 'lastLoginAt', 'consultant', 'touches',
            'medical', 'exports', 'consent.guardianName', 'consent.ip',
          ],
        },
      }, m);
    });
    await this.deps.sessions.revokeAll({ kind: 'client', clientId });
  }

  // ---------------------------------------------------------------- staff side

  /**
   * One client row with its consultant, a plain read (a write locks the client row first through
   * ClientAccess.check; a locking join here would lock the consultant's staff row too).
   */
  private async loadClientRow(m: EntityManager, by: { id: number } | { publicId: string }): Promise<ClientRow | null> {
    const [col, value] = 'id' in by ? ['c.id', by.id] : ['c.public_id', by.publicId];
    const rows: ClientRow[] = await m.query(`SELECT ${CLIENT_COLUMNS} FROM clients c LEFT JOIN staff s ON s.id = c.consultant_id WHERE ${col} = ?`, [value]);
    return rows[0] ?? null;
  }

  /**
   * A staff read or change of one client, under the access rule for `scope` (ClientAccess.check:
   * 403 for a role that never reaches it, the same 404 for a missing, deleted or unassigned client,
   * refusals audited). Given a transaction's manager and `lock`, the row stays locked for the rest
   * of that transaction.
   */
  private async openForStaff(
    actor: Actor, clientPublicId: string, action: string, m: EntityManager = this.db.manager, opts: { lock?: boolean; scope?: 'archive' | 'health' } = {},
  ): Promise<ClientRow> {
    const { id } = await this.access.check(actor, { publicId: clientPublicId }, opts.scope ?? 'archive', { m, lock: opts.lock, action });
    return (await this.loadClientRow(m, { id }))!;
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
    this.access.requireScope(actor, 'archive');
    const scope = this.access.filter(actor, 'archive');
    const where: string[] = ["c.status = 'active'", scope.sql];
    const params: unknown[] = [...scope.params];
    if (q.phone) {
      where.push('c.phone_bidx IN (?)');
      params.push(this.deps.cipher.blindIndexes('phone', normalizePhone(q.phone)));
    }
    if (q.name) {
      where.push('c.name_bidx IN (?)');
      params.push(this.deps.cipher.blindIndexes('name', normalizeName(q.name)));
    }
    if (q.stage) {
      where.push('c.stage = ?');
      params.push(q.stage);
    }
    const clause = where.join(' AND ');
    const [{ total }]: { total: number | string }[] = await this.db.query(`SELECT COUNT(*) AS total FROM clients c WHERE ${clause}`, params);
    const rows: ClientRow[] = await this.db.query(
      `SELECT ${CLIENT_COLUMNS} FROM clients c LEFT JOIN staff s ON s.id = c.consultant_id WHERE ${clause} ORDER BY c.id DESC LIMIT ? OFFSET ?`,
      [...params, q.pageSize, (q.page - 1) * q.pageSize],
    );
    // The ids of the rows shown, so "who saw client X" can be answered from the audit log.
    await this.deps.audit.record(actor, 'client.search', {
      allowed: true,
      details: {
        filters: ['phone', 'name', 'stage'].filter((k) => q[k as keyof StaffListQuery] !== undefined), page: q.page, results: rows.length, role: actor.role,
        clientIds: rows.map((r) => r.id),
      },
    });
    return {
      items: rows.map((r) => {
        const { name, phone } = this.personal(r, r.id, ['name', 'phone']);
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
    const personal = this.personal(row, row.id);
    const archive: StaffArchive = {
      id: row.publicId,
      status: row.status,
      ...personal,
      // Masked until a staff member asks to see it (revealPhoneForStaff, audited on its own).
      phone: maskPhone(personal.phone),
      gender: row.gender,
      birthDate: row.birthDate,
      age: row.birthDate ? ageOn(row.birthDate, this.deps.clock.now()) : null,
      referralCode: row.referralCode,
      stage: row.stage,
      sourceChannel: row.sourceChannel,
      firstTouch: parseJson(row.firstTouch),
      consultant: consultantOf(row),
      createdAt: row.createdAt,
      lastLoginAt: row.lastLoginAt,
      consumption: this.consumption ? await this.consumption(row.id) : { visits: 0, lifetimeSpendFen: 0, lastVisitAt: null },
      consents: await this.consentsOf(this.db.manager, row.id),
      sections: accessibleScopes(actor, row),
    };
    if (withHealth) archive.medical = await this.readMedical(this.db.manager, row.id, row.publicId);
    await this.deps.audit.record(actor, 'client.read', {
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
    const { phone } = this.personal(row, row.id, ['phone']);
    await this.deps.audit.record(actor, 'client.phone.reveal', { clientId: row.id, details: { role: actor.role } });
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
    const bidx = this.deps.cipher.blindIndex('phone', phone);
    const created = await runInTransaction(this.db, async (m) => {
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
      const client = await this.createClient({
        openid: placeholder, name: input.name, phone, gender: input.gender ?? 'unknown', birthDate: input.birthDate ?? null,
        address: input.address || null, consultantId, sourceChannel: input.sourceChannel,
      }, m);
      await this.deps.audit.record(actor, 'client.create', { clientId: client.id, details: { fields: ['name', 'phone', ...(input.gender ? ['gender'] : []), ...(input.birthDate ? ['birthDate'] : []), ...(input.address ? ['address'] : [])], sourceChannel: input.sourceChannel, role: actor.role } }, m);
      return (await this.loadClientRow(m, { id: client.id }))!;
    });
    return { id: created.publicId, stage: created.stage, consultant: consultantOf(created) };
  }

  private async staffPublicId(m: EntityManager, staffId: number): Promise<string | null> {
    const rows: { publicId: string }[] = await m.query('SELECT public_id AS publicId FROM staff WHERE id = ?', [staffId]);
    return rows[0]?.publicId ?? null;
  }

  /** Staff correct name, phone, gender, birth date or address; audited 'client.correct' with the field names (never the values). */
  async correctForStaff(actor: Actor, clientPublicId: string, input: { name?: string; phone?: string; gender?: Gender; birthDate?: string | null; address?: string | null }): Promise<{ id: string }> {
    const { cipher } = this.deps;
    try {
      await runInTransaction(this.db, async (m) => {
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
        await this.deps.audit.record(actor, 'client.correct', { clientId: row.id, details: { fields: Object.keys(input), role: actor.role } }, m);
      });
    } catch (err) {
      if (isDuplicateKey(err)) throw phoneInUse('body.phone');
      throw err;
    }
    return { id: clientPublicId };
  }

  /** Medical history for doctors and the director (the route's role guard turns others away). Audited 'client.medical.read'. */
  async readMedicalForStaff(actor: Actor, clientPublicId: string): Promise<MedicalHistory & { updatedAt: Date | null }> {
    const row = await this.openForStaff(actor, clientPublicId, 'client.medical.read', this.db.manager, { scope: 'health' });
    const medical = await this.readMedical(this.db.manager, row.id, row.publicId);
    await this.deps.audit.record(actor, 'client.medical.read', { clientId: row.id, details: { role: actor.role } });
    return medical;
  }

  /** Doctors and the director record medical history for a client (same health-consent rule). */
  async putMedicalForStaff(actor: Actor, clientPublicId: string, input: MedicalHistory): Promise<MedicalHistory & { updatedAt: Date | null }> {
    const row = await this.openForStaff(actor, clientPublicId, 'client.medical.update', this.db.manager, { scope: 'health' });
    return this.writeMedical(row.id, input, actor, { type: 'staff', id: actor.id! });
  }

  /**
   * Assigns the dedicated consultant and/or sets the stage. The director may change any client;
   * a consultant only their own, checked on the row locked for the write. Audited 'client.update'
   * with the changed field names.
   */
  async updateForStaff(actor: Actor, clientPublicId: string, input: { consultantId?: string | null; stage?: string }): Promise<StaffClientAssignment> {
    if (actor.role !== 'director' && actor.role !== 'consultant') throw notFound('Client');
    const after = await runInTransaction(this.db, async (m) => {
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
      if (input.stage !== undefined) await this.deps.journey.moveTo(m, row.id, input.stage as ClientStage, actor, { reason: 'staff', forwardOnly: false });
      await this.deps.audit.record(actor, 'client.update', {
        clientId: row.id,
        details: { fields: Object.keys(input), ...(input.stage !== undefined ? { stage: input.stage } : {}), ...(input.consultantId !== undefined ? { consultantId: input.consultantId } : {}) },
      }, m);
      return (await this.loadClientRow(m, { id: row.id }))!;
    });
    return { id: after.publicId, stage: after.stage, consultant: consultantOf(after) };
  }
}

function parseJson<T>(value: T | string | null): T | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as T;
  } catch {
    return null;
  }
}
