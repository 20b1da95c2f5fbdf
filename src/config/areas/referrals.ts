import Joi from 'joi';
import { area, int, oneOf, pagePath, setting } from '../setting';

/** "0:500,3:1000,6:1500" → tiers by converted referrals, ascending; the first must start at 0, rates at most 100%. */
function parseTiers(spec: string, problems: string[]): { minConverted: number; rateBp: number }[] {
  const tiers = spec.split(',').map((part) => {
    const [min, bp] = part.split(':').map(Number);
    return { minConverted: min, rateBp: bp };
  });
  if (tiers[0]?.minConverted !== 0) problems.push('"REFERRAL_TIERS" must start with a tier at 0 converted referrals');
  if (tiers.some((t, i) => i > 0 && t.minConverted <= tiers[i - 1].minConverted)) problems.push('"REFERRAL_TIERS" thresholds must increase');
  if (tiers.some((t) => t.rateBp > 10000)) problems.push('"REFERRAL_TIERS" rates are basis points (at most 10000 = 100%)');
  return tiers;
}

export const referrals = area('Referrals 转介绍: cashback, holds, QR code, leaderboards', {
  tiers: setting('REFERRAL_TIERS', Joi.string().pattern(/^\d{1,5}:\d{1,4}(,\d{1,5}:\d{1,4})*$/, 'converted:basisPoints list'), {
    default: '0:500,3:1000,6:1500',
    doc: 'Cashback tiers: "converted referrals so far in the period:rate in basis points", ascending from 0\n(500 = 5%). A referral converts when the friend\'s first order is paid (and not refunded in full).',
    map: parseTiers,
  }),
  tierPeriod: oneOf('REFERRAL_TIER_PERIOD', ['month', 'quarter'], {
    default: 'month', doc: 'The period the tier counts converted referrals over, on the Asia/Shanghai calendar: month | quarter',
  }),
  holdDays: int('REFERRAL_HOLD_DAYS', { min: 0, max: 365, default: 7, doc: 'Days a reward (cashback and both sides\' points) is held for the refund window before release' }),
  refereePoints: int('REFERRAL_REFEREE_POINTS', {
    min: 0, max: 100000, default: 100, doc: 'Points for the referred friend on their first paid order (the referrer\'s are POINTS_REFERRAL × multiplier)',
  }),
  sharePage: setting('REFERRAL_SHARE_PAGE', pagePath(), {
    default: 'pages/index/index', doc: 'Mini-program page the share card and the QR code open (no leading /, no query; the code travels as ref=CODE)',
  }),
  qrWidth: int('REFERRAL_QR_WIDTH', { min: 280, max: 1280, default: 430, doc: 'Width of the QR code (wxacode.getUnlimited, 280–1280 px)' }),
  qrEnvVersion: oneOf('REFERRAL_QR_ENV_VERSION', ['release', 'trial', 'develop'], {
    default: 'release', doc: 'Which mini-program version the QR code opens: release | trial | develop',
  }),
  qrCheckPath: setting('REFERRAL_QR_CHECK_PATH', Joi.boolean(), {
    default: true, doc: 'Let WeChat check that the page is published (turn off to make codes for an unpublished version)',
  }),
  qrCacheSeconds: int('REFERRAL_QR_CACHE_DAYS', { min: 1, max: 30, default: 7, doc: 'Days a client\'s QR image stays cached in Redis', map: (days) => days * 86400 }),
  leaderboardSize: int('REFERRAL_LEADERBOARD_SIZE', { min: 1, max: 100, default: 10, doc: 'How many entries of a leaderboard clients see' }),
  prizeTopN: int('REFERRAL_PRIZE_TOP_N', {
    min: 0, max: 100, default: 3,
    doc: '冲榜 prizes: the top N referrers of each month and quarter get its voucher (table voucher_rules: leaderboard_month, leaderboard_quarter), once, after the period\'s refund window (REFERRAL_HOLD_DAYS); 0 = no prizes',
  }),
});
