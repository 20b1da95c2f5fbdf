import type { ApiRouter } from '../../shared/http/route';
import { TABLE_CONTENT_TYPES } from '../../shared/tabular';
import { actorFromContext } from '../audit';
import type { MarketingService } from './marketing.service';
import { addSpendBody, correctSpendBody, idParams, listSpendQuery, roiExportQuery, roiQuery, roiResponse, spendListResponse, spendView } from './marketing.schema';

const TAGS = ['staff: marketing & ROI'];
// The director records spend and reads channel ROI (DOMAIN.md, the people: 院长 sees reports).
const DIRECTOR = ['director'] as const;

/** HTTP ↔ MarketingService. */
export function registerMarketingRoutes(api: ApiRouter, marketing: MarketingService): void {
  api
    .add(
      {
        method: 'post', path: '/api/staff/marketing/spend', summary: 'Record marketing spend for a channel and month (append-only, audited)', tags: TAGS, auth: 'staff', roles: DIRECTOR,
        body: addSpendBody, status: 201, response: spendView, errors: ['VALIDATION_FAILED', 'SPEND_CHANNEL_UNKNOWN'],
      },
      ({ ctx, body }) => marketing.addSpend(actorFromContext(ctx), body),
    )
    .add(
      {
        method: 'post', path: '/api/staff/marketing/spend/:id/corrections', summary: 'Correct a spend entry: the difference to the right amount is a new entry (audited)', tags: TAGS, auth: 'staff', roles: DIRECTOR,
        params: idParams, body: correctSpendBody, status: 201, response: spendView, errors: ['VALIDATION_FAILED', 'NOT_FOUND', 'SPEND_UNCHANGED'],
      },
      ({ ctx, params, body }) => marketing.correctSpend(actorFromContext(ctx), params.id, body),
    )
    .add(
      {
        method: 'get', path: '/api/staff/marketing/spend', summary: 'Spend entries of a range of months, corrections included', tags: TAGS, auth: 'staff', roles: DIRECTOR,
        query: listSpendQuery, response: spendListResponse, errors: ['VALIDATION_FAILED'],
      },
      ({ ctx, query }) => marketing.listSpend(actorFromContext(ctx), query),
    )
    .add(
      {
        method: 'get', path: '/api/staff/reports/roi', summary: 'Channel ROI: spend, funnel, revenue net of refunds, average ticket, cost per lead, CAC and ROI per channel and month or range', tags: TAGS, auth: 'staff', roles: DIRECTOR,
        query: roiQuery, response: roiResponse, errors: ['VALIDATION_FAILED'],
      },
      ({ ctx, query }) => marketing.roiReport(actorFromContext(ctx), query),
    )
    .add(
      {
        method: 'get', path: '/api/staff/reports/roi/export', summary: 'The channel ROI report as a file: CSV (UTF-8 with BOM) or xlsx, amounts in yuan (audited)', tags: TAGS, auth: 'staff', roles: DIRECTOR,
        query: roiExportQuery, files: Object.values(TABLE_CONTENT_TYPES), errors: ['VALIDATION_FAILED'],
      },
      async ({ ctx, query }) => {
        const file = await marketing.roiExport(actorFromContext(ctx), query);
        ctx.type = file.contentType;
        ctx.attachment(file.filename);
        return file.stream;
      },
    );
}
