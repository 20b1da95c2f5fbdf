import Joi from 'joi';
import type { ApiRouter } from '../../shared/http/route';
import { EXPORT_FILES, exportFormat, sendTable } from '../../shared/http/export';
import { actorFromContext } from '../audit';
import { appointmentReportQuery, metricsQuery } from '../consultations';
import { satisfactionReportQuery } from '../feedback';
import { dormantReportQuery } from '../rfm';
import type { ReportExports } from './reports.exports';
import type { StaffPerformance } from './reports.staff-performance';
import { staffPerformanceExportQuery, staffPerformanceQuery, staffPerformanceResponse } from './reports.schema';

const TAGS = ['staff: reports'];
// Reports compare colleagues and the whole hospital (DOMAIN.md: the director reviews staff quarterly): the director's.
const DIRECTOR = ['director'] as const;
const withFormat = (query: Joi.ObjectSchema) => query.keys({ format: exportFormat });
const FILE = 'as a file: CSV (UTF-8 with BOM) or xlsx, for the same query as the report (director; audited)';

/**
 * The staff performance report, and the director's reports as files: each beside its report's own
 * route, with that route's query and a `format`.
 */
export function registerReportRoutes(api: ApiRouter, s: { reportExports: ReportExports; staffPerformance: StaffPerformance }): void {
  const { reportExports: exports, staffPerformance } = s;
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
    )
    .add(
      {
        method: 'get', path: '/api/staff/metrics/pipeline/export', summary: `Process metrics per channel ${FILE}`, tags: TAGS, auth: 'staff', roles: DIRECTOR,
        query: withFormat(metricsQuery), files: EXPORT_FILES, errors: ['METRICS_RANGE_INVALID'],
      },
      async ({ ctx, query }) => {
        const { format, ...q } = query;
        return sendTable(ctx, format, await exports.pipeline(actorFromContext(ctx), q, format));
      },
    )
    .add(
      {
        method: 'get', path: '/api/staff/reports/satisfaction/export', summary: `NPS and indicator averages overall, per doctor and per project ${FILE}`, tags: TAGS, auth: 'staff', roles: DIRECTOR,
        query: withFormat(satisfactionReportQuery), files: EXPORT_FILES, errors: ['VALIDATION_FAILED'],
      },
      async ({ ctx, query }) => {
        const { format, ...q } = query;
        return sendTable(ctx, format, await exports.satisfaction(actorFromContext(ctx), q, format));
      },
    )
    .add(
      {
        method: 'get', path: '/api/staff/reports/rfm/segments/export', summary: `Clients per RFM segment ${FILE}`, tags: TAGS, auth: 'staff', roles: DIRECTOR,
        query: withFormat(Joi.object()), files: EXPORT_FILES,
      },
      async ({ ctx, query }) => sendTable(ctx, query.format, await exports.rfmSegments(actorFromContext(ctx), query.format)),
    )
    .add(
      {
        method: 'get', path: '/api/staff/reports/dormant/export', summary: `Dormant clients contacted, how many came back and what they spent, per step ${FILE}`, tags: TAGS, auth: 'staff', roles: DIRECTOR,
        query: withFormat(dormantReportQuery), files: EXPORT_FILES, errors: ['VALIDATION_FAILED'],
      },
      async ({ ctx, query }) => {
        const { format, ...q } = query;
        return sendTable(ctx, format, await exports.dormant(actorFromContext(ctx), q, format));
      },
    )
    .add(
      {
        method: 'get', path: '/api/staff/reports/appointments/export', summary: `Appointments per doctor and kind ${FILE}`, tags: TAGS, auth: 'staff', roles: DIRECTOR,
        query: withFormat(appointmentReportQuery), files: EXPORT_FILES, errors: ['METRICS_RANGE_INVALID'],
      },
      async ({ ctx, query }) => {
        const { format, ...q } = query;
        return sendTable(ctx, format, await exports.appointments(actorFromContext(ctx), q, format));
      },
    )
    .add(
      {
        method: 'get', path: '/api/staff/reports/consistency/export', summary: `积分与返现对账: points and cashback balances checked against their ledgers ${FILE}`, tags: TAGS, auth: 'staff', roles: DIRECTOR,
        query: withFormat(Joi.object()), files: EXPORT_FILES,
      },
      async ({ ctx, query }) => sendTable(ctx, query.format, await exports.consistency(actorFromContext(ctx), query.format)),
    );
}
