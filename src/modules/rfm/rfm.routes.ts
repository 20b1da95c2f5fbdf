import type { ApiRouter } from '../../shared/http/route';
import { previousInstants } from '../../shared/clock';
import type { RfmService } from './rfm.service';
import { dormantReportResponse, reportQuery, segmentsResponse } from './rfm.schema';

const STAFF = ['staff: reports'];

/** HTTP ↔ RfmService (director's reports). */
export function registerRfmRoutes(api: ApiRouter, s: { rfm: RfmService }): void {
  api
    .add(
      { method: 'get', path: '/api/staff/reports/rfm/segments', summary: 'Clients per RFM segment (director)', tags: STAFF, auth: 'staff', roles: ['director'], response: segmentsResponse },
      async () => ({ items: await s.rfm.segments() }),
    )
    .add(
      {
        method: 'get', path: '/api/staff/reports/dormant', summary: 'Dormant clients contacted in a period and how many came back (director)',
        tags: STAFF, auth: 'staff', roles: ['director'], query: reportQuery, response: dormantReportResponse,
      },
      async ({ query }) => {
        const now = await s.rfm.dormantReport(query.from, query.to);
        const p = previousInstants(query.from, query.to);
        const before = await s.rfm.dormantReport(p.from, p.to);
        return { ...now, previous: { from: before.from, to: before.to, tiers: before.tiers } };
      },
    );
}
