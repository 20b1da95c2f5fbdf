import type { Task } from '../../shared/task';
import type { MonthlySummary } from './reports.summary';

export { MonthlySummary, change, previousMonth } from './reports.summary';
export { ReportExports } from './reports.exports';
export type { ReportExportDeps } from './reports.exports';
export { registerReportRoutes } from './reports.routes';
export type { SummaryDeps } from './reports.summary';
export * from './reports.entity';

/** The director's monthly summary on the 1st at 09:00 (Asia/Shanghai); the later runs of the 1st–3rd send what WeCom deferred. */
export const monthlySummaryTask: Task<{ monthlySummary: MonthlySummary }> = {
  id: 'monthly-summary',
  schedule: '0 9-21 1-3 * *',
  description: "Push last month's summary to each director as a WeCom notice linking into the console",
  run: async ({ services, now }) => ({ items: await services.monthlySummary.run(now) }),
};
export { StaffPerformance, STAFF_PERFORMANCE_MAX_DAYS, quarterOf, performanceRange } from './reports.staff-performance';
export type { StaffPerformanceDeps, StaffPerformanceReport, ConsultantFigures, DoctorFigures, PerformanceRow } from './reports.staff-performance';
