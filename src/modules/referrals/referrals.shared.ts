import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import type { FieldCipher } from '../../shared/crypto';
import { runInTransaction } from '../../shared/db';
import { createLogger, Logger } from '../../shared/logger';
import type { Redis } from '../../shared/redis';
import type { WeChatApi } from '../../integrations/wechat/types';
import { readClientField } from '../clients';
import type { ClientsService } from '../clients';
import type { PointsService } from '../points';
import type { OutboxService } from '../outbox';
import type { RewardsService } from '../rewards';
import type { RewardStatus } from './referrals.entity';
import { CONVERTED, type ReferralPeriod } from './referrals.rules';
import type { CashbackWallet } from './referrals.types';

export interface ReferralsDeps {
  db: DataSource;
  redis: Redis;
  config: Config;
  clock: Clock;
  cipher: FieldCipher;
  points: PointsService;
  wechat: WeChatApi;
  /** The client's referrer is the clients module's column: set and cleared through it. */
  clients: Pick<ClientsService, 'setReferrer' | 'clearReferrer'>;
  /** 冲榜 prizes: the voucher engine and the outbox that tells the winners (without them no prizes are awarded). */
  rewards?: Pick<RewardsService, 'issueByRule'>;
  outbox?: Pick<OutboxService, 'enqueueMany'>;
  /** The stored-value ledger 储值 that released cashback is credited to and clawed back from. */
  wallet: CashbackWallet;
  /** Module logger; one is made from config.logLevel when not given. */
  logger?: Logger;
}

/** A reward row as read under its lock (SELECT *). */
export interface RewardRow {
  id: number;
  referrer_id: number;
  referee_id: number;
  order_no: string;
  amount_paid_fen: number;
  refunded_fen: number;
  stored_value_fen: number;
  rate_bp: number;
  cashback_fen: number;
  clawed_fen: number;
  conversion: number;
  referrer_points: number;
  referee_points: number;
  status: RewardStatus;
  hold_until: Date;
}

/** A transaction's manager or the data source: either answers a query. */
export type Queryable = Pick<EntityManager, 'query'>;

export const DAY_MS = 86400_000;

/** What the binding, reward, cashback, leaderboard and view use cases share: deps, logger, config, transactions, reads. */
export class ReferralsSupport {
  readonly log: Logger;

  constructor(readonly deps: ReferralsDeps) {
    this.log = deps.logger ?? createLogger(deps.config.logLevel, { module: 'referrals' });
  }

  get cfg(): Config['referrals'] {
    return this.deps.config.referrals;
  }

  now(): Date {
    return this.deps.clock.now();
  }

  /** A short READ COMMITTED transaction, retried on deadlock. */
  tx<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return runInTransaction(this.deps.db, work);
  }

  /** A name that cannot be decrypted reads as no name (logged), never as an error. */
  nameOf(clientPublicId: string, blob: Buffer | null): string | null {
    return readClientField(this.deps.cipher, clientPublicId, 'name', blob, () => {
      this.log.error({ clientPublicId }, 'client name cannot be decrypted; shown masked as a WeChat user');
    });
  }

  /**
   * Converted referrals per active referrer in a period (the leaderboards' and the prizes' figure),
   * most first (ties by client id); one referrer's only when `referrerId` is given.
   */
  async convertedCounts(q: Queryable, period: ReferralPeriod, periodKey: string, referrerId?: number): Promise<{ clientId: number; score: number }[]> {
    const rows: { referrer_id: number; n: number | string }[] = await q.query(
      `SELECT r.referrer_id, COUNT(*) AS n FROM referral_rewards r JOIN clients c ON c.id = r.referrer_id AND c.status = 'active'
        WHERE r.period_${period} = ? AND r.conversion = 1 AND r.${CONVERTED} ${referrerId !== undefined ? 'AND r.referrer_id = ?' : ''}
        GROUP BY r.referrer_id ORDER BY n DESC, r.referrer_id`,
      referrerId !== undefined ? [periodKey, referrerId] : [periodKey],
    );
    return rows.map((r) => ({ clientId: Number(r.referrer_id), score: Number(r.n) }));
  }
}
