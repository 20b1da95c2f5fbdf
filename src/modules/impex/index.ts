import type { Task } from '../../shared/task';
import type { ImpexService } from './impex.service';

export { ImpexService, IMPORT_STALE_MS, IMPORT_RETENTION_DAYS, reportAad as importReportAad } from './impex.service';
export type { ImpexDeps, ImportJobView, UploadMeta, FileImportOptions } from './impex.service';
export type { PassReport, ImportCounts } from './impex.engine';
export { ImportErrors } from './impex.errors';
export { IMPORT_KINDS, FIELDS, guessMapping } from './impex.kinds';
export type { ImportKind, ColumnMapping, RowProblem } from './impex.kinds';
export { registerImpexRoutes } from './impex.routes';
export * from './impex.entity';

/** Every 5 minutes: imports whose process died are marked failed (to be started again); old uploads and reports are purged. For allTasks(). */
export const importsSweepTask: Task<{ impex: ImpexService }> = {
  id: 'imports-sweep',
  schedule: '*/5 * * * *',
  description: 'Mark imports without a heartbeat as failed; delete uploads and problem reports past their retention',
  run: async ({ services, now }) => {
    const r = await services.impex.sweep(now);
    return { items: r.failed + r.purged };
  },
};
