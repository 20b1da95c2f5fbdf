import { DataSource, EntityManager } from 'typeorm';
import type { JourneyService } from '../journey';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import type { FieldCipher } from '../../shared/crypto';
import { AppError, notFound } from '../../shared/errors';
import { createLogger, Logger } from '../../shared/logger';
import type { AuditService } from '../audit';
import type { SessionStore } from '../../shared/sessions';
import type { WeChatApi } from '../../integrations/wechat/types';
import type { ConsentPurpose, Gender, Touch } from './clients.entity';
import { ClientErrors } from './clients.errors';
import { ClientAccess } from './clients.access';
import type { ClientDataHooks, StaffArchive } from './clients.types';

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


export interface ClientRow {
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
export const OWN_COLUMNS = `c.id AS id, c.public_id AS publicId, c.name_enc AS nameEnc, c.gender AS gender,
  DATE_FORMAT(c.birth_date, '%Y-%m-%d') AS birthDate, c.phone_enc AS phoneEnc, c.address_enc AS addressEnc,
  c.referral_code AS referralCode, c.stage AS stage, c.status AS status, c.source_channel AS sourceChannel,
  c.first_touch AS firstTouch, c.consultant_id AS consultantId, c.created_at AS createdAt, c.last_login_at AS lastLoginAt`;
export const CLIENT_COLUMNS = `${OWN_COLUMNS}, s.public_id AS consultantPublicId, s.display_name AS consultantName`;

export const PERSONAL_FIELDS = ['name', 'phone', 'address'] as const;
export type PersonalField = (typeof PERSONAL_FIELDS)[number];
export type ProfileRow = Pick<ClientRow, 'publicId' | 'nameEnc' | 'gender' | 'birthDate' | 'phoneEnc' | 'addressEnc' | 'referralCode' | 'stage' | 'status'> & { id: number; consents: string | null };
export type PersonalColumns = { publicId: string } & Record<`${PersonalField}Enc`, Buffer | null>;

export function consultantOf(row: Pick<ClientRow, 'consultantPublicId' | 'consultantName'>): { id: string; displayName: string } | null {
  return row.consultantPublicId ? { id: row.consultantPublicId, displayName: row.consultantName ?? '' } : null;
}

export function phoneInUse(field: string): AppError {
  return new AppError(ClientErrors.PHONE_IN_USE, 'This phone number is already bound to another account', { field });
}

export function maskPhone(phone: string | null): string | null {
  if (!phone) return null;
  return phone.length >= 7 ? `${phone.slice(0, 3)}****${phone.slice(-4)}` : '****';
}


export const EXPORT_TTL_MS = 24 * 3600 * 1000;
export const EXPORT_PURGE_BATCH = 500;
export const MIN_BIRTH_DATE = '1900-01-01';

export function parseJson<T>(value: T | string | null): T | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as T;
  } catch {
    return null;
  }
}

/**
 * What the clients module's use cases share: dependencies, the access rule, the hooks other modules
 * registered, and reads that never crash on a value that cannot be decrypted.
 */
export class ClientsSupport {
  readonly log: Logger;
  readonly dataHooks: ClientDataHooks[] = [];
  /** The one client-access rule (which staff member sees which client and which sections). */
  readonly access: ClientAccess;
  /** Where the archive's spending figures come from (the orders module, set at start-up). */
  consumption: ((clientId: number) => Promise<StaffArchive['consumption']>) | null = null;

  constructor(readonly deps: ClientsDeps) {
    this.log = deps.logger ?? createLogger(deps.config.logLevel, { module: 'clients' });
    this.access = new ClientAccess(deps);
  }

  get db(): DataSource {
    return this.deps.db;
  }

  /** A value that cannot be decrypted (copied from another row, unknown key) reads as null and is logged. */
  open(blob: Buffer | null | undefined, aadText: string, where: Record<string, unknown>): string | null {
    if (!blob) return null;
    try {
      return this.deps.cipher.decrypt(blob, aadText);
    } catch {
      this.log.error({ ...where, column: aadText.split(':').pop() }, 'stored value cannot be decrypted; answered as null');
      return null;
    }
  }

  /** The personal fields of a client row (all, or only those asked for), decrypted; each null when absent or unreadable. */
  personal<F extends PersonalField = PersonalField>(
    row: PersonalColumns,
    clientId: number,
    fields: readonly F[] = PERSONAL_FIELDS as readonly PersonalField[] as readonly F[],
  ): Record<F, string | null> {
    const out = {} as Record<F, string | null>;
    for (const f of fields) out[f] = this.open(row[`${f}Enc`], aad.client(row.publicId, f), { clientId });
    return out;
  }

  openJson<T>(blob: Buffer | null | undefined, aadText: string, fallback: T, where: Record<string, unknown>): T {
    const text = this.open(blob, aadText, where);
    if (text === null) return fallback;
    try {
      return JSON.parse(text) as T;
    } catch {
      this.log.error({ ...where }, 'stored value is not JSON; answered as empty');
      return fallback;
    }
  }

  versionFor(purpose: ConsentPurpose): string {
    const p = this.deps.config.policy;
    return purpose === 'privacy' ? p.privacyVersion : purpose === 'health' ? p.healthConsentVersion : p.guardianConsentVersion;
  }
  /** Locks the client row for the rest of the transaction; a missing or deleted client → 404. */
  async lockActive(m: EntityManager, clientId: number): Promise<{ id: number; publicId: string; birthDate: string | null }> {
    const rows: { id: number; publicId: string; birthDate: string | null; status: string }[] = await m.query(
      `SELECT id, public_id AS publicId, DATE_FORMAT(birth_date, '%Y-%m-%d') AS birthDate, status FROM clients WHERE id = ? FOR UPDATE`,
      [clientId],
    );
    if (!rows[0] || rows[0].status !== 'active') throw notFound('Client');
    return rows[0];
  }
  /**
   * One client row with its consultant, a plain read (a write locks the client row first through
   * ClientAccess.check; a locking join here would lock the consultant's staff row too).
   */
  async loadClientRow(m: EntityManager, by: { id: number } | { publicId: string }): Promise<ClientRow | null> {
    const [col, value] = 'id' in by ? ['c.id', by.id] : ['c.public_id', by.publicId];
    const rows: ClientRow[] = await m.query(`SELECT ${CLIENT_COLUMNS} FROM clients c LEFT JOIN staff s ON s.id = c.consultant_id WHERE ${col} = ?`, [value]);
    return rows[0] ?? null;
  }}

/**
 * A client's name, phone or address from a row another module read (a join for a list, a message's
 * salutation): the encryption scheme stays here. Null when absent; when the value cannot be
 * decrypted (copied from another row, unknown key) `onUnreadable` is told and null is answered.
 */
export function readClientField(
  cipher: FieldCipher, clientPublicId: string, field: 'name' | 'phone' | 'address', blob: Buffer | null | undefined, onUnreadable?: () => void,
): string | null {
  if (!blob) return null;
  try {
    return cipher.decrypt(blob, aad.client(clientPublicId, field));
  } catch {
    onUnreadable?.();
    return null;
  }
}
