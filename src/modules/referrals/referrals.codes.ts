import { AppError, notFound } from '../../shared/errors';
import { WeChatError, WXACODE_SCENE } from '../../integrations/wechat/types';
import { ReferralErrors } from './referrals.errors';
import type { CashbackLedger } from './referrals.cashback';
import type { ReferralFriends } from './referrals.friends';
import type { ReferralsSupport } from './referrals.shared';
import type { ReferralTiers } from './referrals.tiers';
import type { ReferralSummary } from './referrals.types';

/**
 * The client's own referral code 专属推荐码 and what shares it: the summary of the 推荐有礼 page
 * (share path, tier, friends, cashback, held points) and the mini-program QR code.
 */
export class ReferralCodes {
  constructor(
    private readonly s: ReferralsSupport,
    private readonly tiers: ReferralTiers,
    private readonly ledger: CashbackLedger,
    private readonly friends: ReferralFriends,
  ) {}

  /** The client's code, share path, tier in the current period, friend count and cashback. */
  async summary(clientId: number): Promise<ReferralSummary> {
    const code = await this.codeOf(clientId);
    const [tier, referredBy, friends, cashback, [points]] = await Promise.all([
      this.tiers.view(clientId),
      this.friends.statusConsentOf(clientId),
      this.friends.count(clientId),
      this.ledger.totals(clientId),
      this.s.deps.db.query(
        `SELECT (SELECT COALESCE(SUM(referrer_points), 0) FROM referral_rewards WHERE referrer_id = ? AND status = 'held')
              + (SELECT COALESCE(SUM(referee_points), 0) FROM referral_rewards WHERE referee_id = ? AND status = 'held') AS held`,
        [clientId, clientId],
      ) as Promise<{ held: number | string }[]>,
    ]);
    return {
      code,
      sharePath: `/${this.s.cfg.sharePage}?ref=${code}`,
      qrCodePath: '/api/mp/referrals/qrcode',
      tier,
      friends,
      cashback,
      heldPoints: Number(points.held),
      referredBy,
    };
  }

  /**
   * The client's mini-program code (wxacode.getUnlimited, scene `ref=CODE`), cached in Redis per
   * code, page and width; WeChat's refusals become 503 REFERRAL_QR_UNAVAILABLE with a retry hint.
   */
  async qrCode(clientId: number): Promise<{ image: Buffer; contentType: string }> {
    const code = await this.codeOf(clientId);
    const { redis, wechat } = this.s.deps;
    const { sharePage, qrWidth, qrEnvVersion, qrCheckPath, qrCacheSeconds } = this.s.cfg;
    const scene = `ref=${code}`;
    if (!WXACODE_SCENE.test(scene)) throw new Error(`referral code ${code} does not fit a wxacode scene`);
    const key = `referrals:qr:${code}:${sharePage}:${qrWidth}:${qrEnvVersion}`;
    const cached = await redis.getBuffer(key).catch(() => null);
    if (cached?.length) return { image: cached, contentType: imageType(cached) };
    let image: Buffer;
    try {
      ({ image } = await wechat.getUnlimitedQrCode({ scene, page: sharePage, width: qrWidth, envVersion: qrEnvVersion, checkPath: qrCheckPath }));
    } catch (err) {
      if (!(err instanceof WeChatError)) throw err;
      // 41030: the page is not published (REFERRAL_SHARE_PAGE / REFERRAL_QR_CHECK_PATH); 45009: WeChat's quota.
      if (!err.transient) this.s.log.error({ errcode: err.errcode, errmsg: err.errmsg }, 'wxacode.getUnlimited refused');
      const retryAfterSeconds = err.errcode === 45009 ? 3600 : err.transient ? 5 : 60;
      throw new AppError(ReferralErrors.REFERRAL_QR_UNAVAILABLE, 'The QR code cannot be made right now; please try again later', { retryAfterSeconds });
    }
    await redis.set(key, image, 'EX', qrCacheSeconds).catch((err) => this.s.log.warn({ err }, 'QR code not cached'));
    return { image, contentType: imageType(image) };
  }

  /** The active client's referral code; 404 for a deleted or unknown client. */
  private async codeOf(clientId: number): Promise<string> {
    const [row] = await this.s.deps.db.query("SELECT referral_code FROM clients WHERE id = ? AND status = 'active'", [clientId]);
    if (!row) throw notFound('Client');
    return row.referral_code;
  }
}

/** WeChat answers PNG or JPEG; the bytes say which. */
function imageType(image: Buffer): string {
  return image[0] === 0xff && image[1] === 0xd8 ? 'image/jpeg' : 'image/png';
}
