import { EXPORT_FILES, sendTable } from '../../shared/http/export';
import type { ApiRouter } from '../../shared/http/route';
import { actorFromContext } from '../audit';
import type { StaffPerformance } from './reports.staff-performance';
import { staffPerformanceExportQuery, staffPerformanceQuery, staffPerformanceResponse } from './reports.schema';

const TAGS = ['staff: reports'];
// A review of colleagues side by side (DOMAIN.md: the director reviews staff quarterly); a consultant or doctor sees no one's row.
const DIRECTOR = ['director'] as const;

/** HTTP ↔ the staff performance report. */
export function registerReportRoutes(api: ApiRouter, staffPerformance: StaffPerformance): void {
  api
    .add(
      {
        method: 'get', path: '/api/staff/reports/staff-performance',
        summary: 'Staff performance: per consultant leads, conversion, revenue and their clients\' satisfaction; per doctor plans, acceptance, treatments and NPS; beside the previous period (director, audited)',
        tags: TAGS, auth: 'staff', roles: DIRECTOR, query: staffPerformanceQuery, response: staffPerformanceResponse, errors: ['VALIDATION_FAILED'],
      },
      ({ ctx, query }) => staffPerformance.report(actorFromContext(ctx), query),
    )
    .add(
      {
        method: 'get', path: '/api/staff/reports/staff-performance/export',
        summary: 'The staff performance report as a file (CSV with BOM or xlsx): a line per person and period, amounts in yuan (director, audited)',
        tags: TAGS, auth: 'staff', roles: DIRECTOR, query: staffPerformanceExportQuery, files: EXPORT_FILES, errors: ['VALIDATION_FAILED'],
      },
      async ({ ctx, query }) => {
        const { format, ...range } = query;
        return sendTable(ctx, format, await staffPerformance.export(actorFromContext(ctx), { ...range, format }));
      },
    );
}
