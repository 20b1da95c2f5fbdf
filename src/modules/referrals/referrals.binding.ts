import type { EntityManager } from 'typeorm';
import { isDeadlock, isDuplicateKey } from '../../shared/db';
import { readClientField } from '../clients';
import type { IneligibleKind } from './referrals.entity';
import type { BindRefusal, VoidReason } from './referrals.errors';
import type { ReferralsSupport } from './referrals.shared';
import type { BindInput, BindOutcome, FormerIdentity } from './referrals.types';

const CODE = /^[2-9A-HJKMNP-Z]{8}$/;
// How far up a referrer chain the cycle check walks (chains are short; this only bounds bad data).
const MAX_CHAIN = 100;

/**
 * The binding of a friend to the referrer (one referrer per client, no self-referral, only new
 * clients: DOMAIN.md, referral): made at first login, checked again when the friend's phone becomes
 * known, and the identities of deleted accounts that may never be bound again.
 */
export class ReferralBinding {
  constructor(private readonly s: ReferralsSupport) {}

  /**
   * Binds a client who arrived with a referral code to the code's owner, inside the login's
   * transaction. Checks, in order: the code exists, its owner is active, it is not the client's
   * own, the owner's referrer chain does not contain the client, the client was created by this
   * login, this WeChat identity was never bound before, and it is not that of a deleted account (an
   * old client coming back, REFERRAL_NOT_NEW_CLIENT). Never throws, except a deadlock (the
   * login's transaction is then gone and is retried whole); anything else answers REFERRAL_UNAVAILABLE.
   */
  async bindAtLogin(m: EntityManager, input: BindInput): Promise<BindOutcome> {
    await m.query('SAVEPOINT referral_bind');
    try {
      return await this.tryBind(m, input);
    } catch (err) {
      if (isDeadlock(err)) throw err;
      await m.query('ROLLBACK TO SAVEPOINT referral_bind');
      this.s.log.error({ err, clientId: input.clientId }, 'referral binding failed; the client logs in unbound');
      return { bound: false, reason: 'REFERRAL_UNAVAILABLE' };
    }
  }

  private async tryBind(m: EntityManager, input: BindInput): Promise<BindOutcome> {
    const refuse = (reason: BindRefusal): BindOutcome => ({ bound: false, reason });
    const code = input.code.trim().toUpperCase();
    if (!CODE.test(code)) return refuse('REFERRAL_CODE_UNKNOWN');
    const [owner]: { id: number; status: string; referrer_id: number | null }[] = await m.query(
      'SELECT id, status, referrer_id FROM clients WHERE referral_code = ?', [code],
    );
    if (!owner) return refuse('REFERRAL_CODE_UNKNOWN');
    if (owner.status !== 'active') return refuse('REFERRAL_OWNER_INACTIVE');
    if (owner.id === input.clientId) return refuse('REFERRAL_SELF');
    if (await this.inChain(m, owner.referrer_id, input.clientId)) return refuse('REFERRAL_CYCLE');
    if (!input.isNew) return refuse('REFERRAL_NOT_NEW_CLIENT');

    const { cipher } = this.s.deps;
    const openidBidx = cipher.blindIndex('openid', input.openid);
    const unionidBidx = input.unionid ? cipher.blindIndex('unionid', input.unionid) : null;
    // Looked up under every blind-index key: rows indexed before a key rotation still count.
    const known = [...cipher.blindIndexes('openid', input.openid), ...(input.unionid ? cipher.blindIndexes('unionid', input.unionid) : [])];
    const seen: unknown[] = await m.query(
      'SELECT id FROM referral_bindings WHERE referee_id = ? OR openid_bidx IN (?) OR unionid_bidx IN (?)',
      [input.clientId, known, known],
    );
    if (seen.length) return refuse('REFERRAL_ALREADY_BOUND');
    // Only new clients can be bound: not an old client who deleted the account and came back.
    if (await this.ineligible(m, known)) return refuse('REFERRAL_NOT_NEW_CLIENT');
    try {
      await m.query(
        `INSERT INTO referral_bindings (referrer_id, referee_id, code, openid_bidx, unionid_bidx, phone_bidx, status, created_at)
         VALUES (?, ?, ?, ?, ?, NULL, 'active', ?)`,
        [owner.id, input.clientId, code, openidBidx, unionidBidx, this.s.now()],
      );
    } catch (err) {
      // The same identity bound at this very moment by a concurrent login (the unique indexes decide).
      if (isDuplicateKey(err)) return refuse('REFERRAL_ALREADY_BOUND');
      throw err;
    }
    await this.s.deps.clients.setReferrer(m, input.clientId, owner.id);
    this.s.log.info({ clientId: input.clientId, referrerId: owner.id }, 'referral bound');
    return { bound: true };
  }

  /**
   * A deleted account leaves the blind indexes of its openid, unionid and phone in
   * referral_ineligible, inside the deletion's transaction (only keyed hashes, nothing readable).
   */
  async markIneligible(m: EntityManager, former: FormerIdentity): Promise<void> {
    const { cipher } = this.s.deps;
    const rows: [string, IneligibleKind][] = [[cipher.blindIndex('openid', former.openid), 'openid']];
    if (former.unionid) rows.push([cipher.blindIndex('unionid', former.unionid), 'unionid']);
    if (former.phoneBidx) rows.push([former.phoneBidx, 'phone']);
    const now = this.s.now();
    // The same person may delete more than one account: the first deletion's row stays.
    await m.query(
      `INSERT INTO referral_ineligible (bidx, kind, created_at) VALUES ${rows.map(() => '(?, ?, ?)').join(', ')} ON DUPLICATE KEY UPDATE bidx = bidx`,
      rows.flatMap(([bidx, kind]) => [bidx, kind, now]),
    );
  }

  /**
   * A friend's phone becomes known (phones are bound after the first login): it must not have been
   * bound as someone's friend before, e.g. under a deleted account or another WeChat account. (It
   * cannot be the referrer's own: a phone belongs to one active client.) False when the binding was
   * voided for it.
   */
  async checkPhone(
    m: EntityManager, binding: { id: number; phone_bidx: string | null },
    referee: { public_id: string; phone_bidx: string | null; phone_enc: Buffer | null } | undefined,
  ): Promise<boolean> {
    const refereePhones = referee ? this.phoneIndexes(referee) : [];
    if (!refereePhones.length || binding.phone_bidx) return true;
    const other: unknown[] = await m.query('SELECT id FROM referral_bindings WHERE phone_bidx IN (?) AND id <> ?', [refereePhones, binding.id]);
    if (other.length) return this.voidBinding(m, binding.id, 'REFERRAL_PHONE_ALREADY_BOUND');
    // The phone of a deleted account: an old client under a new WeChat account.
    if (await this.ineligible(m, refereePhones)) return this.voidBinding(m, binding.id, 'REFERRAL_NOT_NEW_CLIENT');
    try {
      await m.query('UPDATE referral_bindings SET phone_bidx = ? WHERE id = ?', [refereePhones[0], binding.id]);
    } catch (err) {
      // A concurrent first order of another friend with the same phone won the unique index.
      if (!isDuplicateKey(err)) throw err;
      return this.voidBinding(m, binding.id, 'REFERRAL_PHONE_ALREADY_BOUND');
    }
    return true;
  }

  /**
   * The phone's blind index under every configured key, newest first (the phone decrypted from
   * the archive); the stored index alone when the phone cannot be read.
   */
  private phoneIndexes(client: { public_id: string; phone_bidx: string | null; phone_enc: Buffer | null }): string[] {
    if (!client.phone_bidx) return [];
    const phone = readClientField(this.s.deps.cipher, client.public_id, 'phone', client.phone_enc);
    return phone ? this.s.deps.cipher.blindIndexes('phone', phone) : [client.phone_bidx];
  }

  private async voidBinding(m: EntityManager, bindingId: number, reason: VoidReason): Promise<false> {
    const [b] = await m.query('SELECT referrer_id, referee_id FROM referral_bindings WHERE id = ?', [bindingId]);
    await m.query("UPDATE referral_bindings SET status = 'void', void_reason = ?, voided_at = ? WHERE id = ?", [reason, this.s.now(), bindingId]);
    await this.s.deps.clients.clearReferrer(m, Number(b.referee_id), Number(b.referrer_id));
    this.s.log.warn({ bindingId, outcome: reason }, 'referral binding voided; no rewards');
    return false;
  }

  /** True when any of these blind indexes belonged to a deleted account. */
  private async ineligible(m: EntityManager, bidxs: (string | null)[]): Promise<boolean> {
    const wanted = bidxs.filter((b): b is string => Boolean(b));
    if (!wanted.length) return false;
    const rows: unknown[] = await m.query(`SELECT bidx FROM referral_ineligible WHERE bidx IN (${wanted.map(() => '?').join(', ')}) LIMIT 1`, wanted);
    return rows.length > 0;
  }

  /** True when `clientId` is `start` or one of its referrers, up the chain. */
  private async inChain(m: EntityManager, start: number | null, clientId: number): Promise<boolean> {
    const visited = new Set<number>();
    for (let cur = start; cur !== null && !visited.has(cur) && visited.size < MAX_CHAIN;) {
      if (cur === clientId) return true;
      visited.add(cur);
      const [row]: { referrer_id: number | null }[] = await m.query('SELECT referrer_id FROM clients WHERE id = ?', [cur]);
      cur = row?.referrer_id ?? null;
    }
    return false;
  }
}
