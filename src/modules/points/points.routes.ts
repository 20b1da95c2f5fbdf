import type { ApiRouter } from '../../shared/http/route';
import { principalOf } from '../../shared/http/route';
import type { PointsService } from './points.service';
import { actorFromContext } from '../audit';
import { adjustBody, consistencyResponse, entriesResponse, idParams, ledgerResultResponse, pageQuery, summaryResponse } from './points.schema';

const MP = ['mini-program: points'];
const STAFF = ['staff: points'];

/** HTTP ↔ PointsService. Mini-program routes act on the logged-in client only. */
export function registerPointsRoutes(api: ApiRouter, s: { points: PointsService }): void {
  const me = (ctx: Parameters<typeof principalOf>[0]) => principalOf(ctx, 'client').clientId;
  api
    .add(
      { method: 'get', path: '/api/mp/points', summary: 'Own balance and the points expiring soon', tags: MP, auth: 'client', response: summaryResponse },
      ({ ctx }) => s.points.summary(me(ctx)),
    )
    .add(
      {
        method: 'get', path: '/api/mp/points/entries', summary: 'Own points ledger, newest first', tags: MP, auth: 'client',
        query: pageQuery, response: entriesResponse,
      },
      ({ ctx, query }) => s.points.entries(me(ctx), query.page, query.pageSize),
    )
    .add(
      {
        method: 'post', path: '/api/staff/clients/:id/points/adjust', summary: 'Adjust a client\'s points with a reason (director; audited)',
        tags: STAFF, auth: 'staff', roles: ['director'], params: idParams, body: adjustBody, response: ledgerResultResponse,
        errors: ['NOT_FOUND', 'POINTS_INSUFFICIENT', 'IDEMPOTENCY_KEY_REUSED'],
      },
      async ({ ctx, params, body }) => {
        const clientId = await s.points.clientIdByPublicId(params.id);
        return s.points.adjust(actorFromContext(ctx), clientId, body.delta, body.reason, body.requestId);
      },
    )
    .add(
      {
        method: 'get', path: '/api/staff/points/consistency', summary: 'Check every balance against the sum of its ledger entries (director)',
        tags: STAFF, auth: 'staff', roles: ['director'], response: consistencyResponse,
      },
      () => s.points.checkConsistency(),
    );
}
