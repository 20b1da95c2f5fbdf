import { notFound } from '../../shared/errors';
import { maskName } from './referrals.rules';
import type { ReferralsSupport } from './referrals.shared';
import type { FriendStatus, FriendsView, StatusConsentView } from './referrals.types';

/** The referrer's friends, and each friend's consent to be seen by the referrer. */
export class ReferralFriends {
  constructor(private readonly s: ReferralsSupport) {}

  /**
   * The client's friends, newest first. Only friends who agreed at binding (or later) are listed,
   * with a masked name and a coarse status: joined, reward pending (held in the refund window),
   * reward earned (released). Whether a friend bought anything, what and for how much never shows;
   * the others are a count (PIPL art. 23, 28–29; DOMAIN.md, referral).
   */
  async friends(clientId: number, page: number, pageSize: number): Promise<FriendsView> {
    const { db } = this.s.deps;
    const [rows, [others]] = await Promise.all([
      db.query(
        `SELECT b.created_at, c.public_id, c.name_enc, c.status,
                EXISTS (SELECT 1 FROM referral_rewards r WHERE r.binding_id = b.id AND r.status = 'released') AS earned,
                EXISTS (SELECT 1 FROM referral_rewards r WHERE r.binding_id = b.id AND r.status = 'held') AS pending
           FROM referral_bindings b JOIN clients c ON c.id = b.referee_id
          WHERE b.referrer_id = ? AND b.status = 'active' AND b.shares_status = 1
          ORDER BY b.id DESC LIMIT ? OFFSET ?`,
        [clientId, pageSize + 1, (page - 1) * pageSize],
      ) as Promise<{ created_at: Date; public_id: string; name_enc: Buffer | null; status: string; earned: number; pending: number }[]>,
      db.query(
        "SELECT COUNT(*) AS n FROM referral_bindings WHERE referrer_id = ? AND status = 'active' AND shares_status = 0", [clientId],
      ) as Promise<{ n: number | string }[]>,
    ]);
    const items = rows.slice(0, pageSize).map((r) => {
      const status: FriendStatus = Number(r.earned) ? 'reward_earned' : Number(r.pending) ? 'reward_pending' : 'joined';
      const name = r.status === 'active' ? maskName(this.s.nameOf(r.public_id, r.name_enc)) : '已注销用户';
      return { name, boundAt: r.created_at, status };
    });
    return { items, page, hasMore: rows.length > pageSize, others: Number(others.n) };
  }

  /** How many friends the client has bound (active bindings, consent or not). */
  async count(clientId: number): Promise<number> {
    const [row] = await this.s.deps.db.query("SELECT COUNT(*) AS n FROM referral_bindings WHERE referrer_id = ? AND status = 'active'", [clientId]);
    return Number(row.n);
  }

  /**
   * A referred client's answer to "may my referrer see my status (joined, reward pending, reward
   * earned)?" — asked right after binding, changeable at any time. 404 when the client was not
   * referred (or the binding was voided).
   */
  async setStatusConsent(clientId: number, sharesStatus: boolean): Promise<StatusConsentView> {
    const now = this.s.now();
    const res = await this.s.deps.db.query(
      "UPDATE referral_bindings SET shares_status = ?, status_consent_at = ? WHERE referee_id = ? AND status = 'active'", [sharesStatus, now, clientId],
    );
    if (Number(res.affectedRows) !== 1) throw notFound('Referral');
    this.s.log.info({ clientId, sharesStatus }, 'referral status consent recorded');
    return { sharesStatus, decidedAt: now };
  }

  /** A referred client's current answer; null when the client was not referred. */
  async statusConsentOf(clientId: number): Promise<StatusConsentView | null> {
    const [row]: { shares_status: number; status_consent_at: Date | null }[] = await this.s.deps.db.query(
      "SELECT shares_status, status_consent_at FROM referral_bindings WHERE referee_id = ? AND status = 'active'", [clientId],
    );
    return row ? { sharesStatus: Boolean(Number(row.shares_status)), decidedAt: row.status_consent_at } : null;
  }
}
