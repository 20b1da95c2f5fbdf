import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import { shanghaiDate } from '../../shared/clock';
import { normalizeName, normalizePhone, publicId as newPublicId, randomCode } from '../../shared/crypto';
import { parsePhone } from '../../shared/phone';
import { AppError, notFound, validationError } from '../../shared/errors';
import { isDuplicateKey, runInTransaction } from '../../shared/db';
import type { Actor } from '../audit';
import { WeChatError } from '../../integrations/wechat/types';
import { Client, ConsentPurpose } from './clients.entity';
import { ClientErrors } from './clients.errors';
import { ClientsSupport, MIN_BIRTH_DATE, ProfileRow, aad, maskPhone, phoneInUse } from './clients.shared';
import type { ConsentSummary, NewClientInput, OwnProfile, ProfileUpdate } from './clients.types';

/** The client's own archive: creation (first login, demo seed, walk-ins), profile reads and edits, phone binding. */
export class ClientProfiles {
  constructor(private readonly s: ClientsSupport) {}

  /**
   * Profile rows, read together for every client whose profile is asked for in the same turn of the
   * event loop: one query (and one round trip) for a burst of mini-program launches rather than one
   * each. Nothing is cached: every read sees the row as committed when its batch runs.
   */
  private readonly profileRows = new DataLoader<number, ProfileRow | undefined>(
    async (ids) => {
      const rows: ProfileRow[] = await this.s.db.query(
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

  // ---------------------------------------------------------------- creation (login, demo seed)

  /**
   * Creates a client (as a first login or the demo seed would): personal fields encrypted, blind
   * indexes written, a fresh public id and referral code. A phone already on an active client → PHONE_IN_USE.
   */
  async createClient(input: NewClientInput, manager?: EntityManager): Promise<Client> {
    const { cipher } = this.s.deps;
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
        const repo = (manager ?? this.s.db.manager).getRepository(Client);
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
    return this.s.db.getRepository(Client).exists({ where: { openid } });
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
      const current = policyVersion === this.s.versionFor(purpose);
      if (!consents[purpose] || current) consents[purpose] = { policyVersion, current };
    }
    const { name, phone, address } = this.s.personal(row, clientId);
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
    const { cipher } = this.s.deps;
    await runInTransaction(this.s.db, async (m) => {
      const client = await this.s.lockActive(m, clientId);
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
      await this.s.deps.audit.record(actor, 'client.profile.update', { clientId, details: { fields: Object.keys(input) } }, m);
    });
    return this.getOwnProfile(clientId);
  }

  private checkBirthDate(birthDate: string, field: string): void {
    const today = shanghaiDate(this.s.deps.clock.now());
    if (birthDate > today) throw validationError([{ field, message: `${field} must not be in the future`, type: 'date.max' }]);
    if (birthDate < MIN_BIRTH_DATE) throw validationError([{ field, message: `${field} must not be before ${MIN_BIRTH_DATE}`, type: 'date.min' }]);
  }

  // ---------------------------------------------------------------- phone

  /** Binds the phone number behind a getPhoneNumber code; the phone is unique among active clients. */
  async bindPhone(clientId: number, code: string, actor: Actor): Promise<{ phone: string | null }> {
    const { cipher, wechat } = this.s.deps;
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
      await runInTransaction(this.s.db, async (m) => {
        const client = await this.s.lockActive(m, clientId);
        // Under every blind-index key: during a key rotation the holder may not be re-indexed yet.
        const holder: { id: number }[] = await m.query('SELECT id FROM clients WHERE phone_bidx IN (?) AND id <> ?', [cipher.blindIndexes('phone', phone), clientId]);
        if (holder.length) throw phoneInUse('body.code');
        await m.getRepository(Client).update({ id: clientId }, { phoneEnc: cipher.encrypt(phone, aad.client(client.publicId, 'phone')), phoneBidx: bidx });
        await this.s.deps.audit.record(actor, 'client.phone.bind', { clientId, details: { fields: ['phone'] } }, m);
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
}
