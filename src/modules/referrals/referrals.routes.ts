import type { ApiRouter } from '../../shared/http/route';
import { principalOf } from '../../shared/http/route';
import type { ReferralsService } from './referrals.service';
import {
  cashbackResponse, consistencyResponse, friendsResponse, leaderboardQuery, leaderboardResponse, noQuery, pageQuery, statusConsentBody, statusConsentView, summaryResponse,
} from './referrals.schema';

const MP = ['mini-program: referrals'];
const STAFF = ['staff: referrals'];

/** HTTP ↔ ReferralsService. Mini-program routes take no client id: each acts on the logged-in client only. */
export function registerReferralRoutes(api: ApiRouter, s: { referrals: ReferralsService }): void {
  const me = (ctx: Parameters<typeof principalOf>[0]) => principalOf(ctx, 'client').clientId;
  api
    .add(
      {
        method: 'get', path: '/api/mp/referrals/me', summary: 'Own referral code, share path, tier and cashback',
        tags: MP, auth: 'client', query: noQuery, response: summaryResponse, errors: ['NOT_FOUND'],
      },
      ({ ctx }) => s.referrals.summary(me(ctx)),
    )
    .add(
      {
        method: 'get', path: '/api/mp/referrals/qrcode', summary: 'Own mini-program code (wxacode) as an image; scanning it opens the share page with the code',
        tags: MP, auth: 'client', query: noQuery, errors: ['NOT_FOUND', 'REFERRAL_QR_UNAVAILABLE'],
      },
      async ({ ctx }) => {
        const { image, contentType } = await s.referrals.qrCode(me(ctx));
        ctx.type = contentType;
        ctx.set('Cache-Control', 'private, max-age=86400');
        return image;
      },
    )
    .add(
      {
        method: 'get', path: '/api/mp/referrals/friends', summary: 'Friends bound through own code who agreed to share their status (masked name, coarse status), newest first; the others as a count',
        tags: MP, auth: 'client', query: pageQuery, response: friendsResponse,
      },
      ({ ctx, query }) => s.referrals.friends(me(ctx), query.page, query.pageSize),
    )
    .add(
      {
        method: 'put', path: '/api/mp/referrals/status-consent', summary: 'As a referred friend: let the referrer see my status (joined / reward pending / reward earned), or not',
        tags: MP, auth: 'client', body: statusConsentBody, response: statusConsentView, errors: ['NOT_FOUND', 'VALIDATION_FAILED'],
      },
      ({ ctx, body }) => s.referrals.setStatusConsent(me(ctx), body.sharesStatus),
    )
    .add(
      {
        method: 'get', path: '/api/mp/referrals/cashback', summary: 'Own cashback 返现: balance, held amount and monthly totals, newest first (no single reward)',
        tags: MP, auth: 'client', query: pageQuery, response: cashbackResponse,
      },
      ({ ctx, query }) => s.referrals.cashback(me(ctx), query.page, query.pageSize),
    )
    .add(
      {
        method: 'get', path: '/api/mp/referrals/leaderboard', summary: 'Referral leaderboard 冲榜 of the current month or quarter: top with masked names, and own rank',
        tags: MP, auth: 'client', query: leaderboardQuery, response: leaderboardResponse,
      },
      ({ ctx, query }) => s.referrals.leaderboard(me(ctx), query.period),
    )
    .add(
      {
        method: 'get', path: '/api/staff/referrals/consistency', summary: 'Check every cashback balance and released reward against the cashback ledger (director)',
        tags: STAFF, auth: 'staff', roles: ['director'], query: noQuery, response: consistencyResponse,
      },
      () => s.referrals.checkConsistency(),
    );
}
