export { ImpexService, reportAad as importReportAad } from './impex.service';
export type { ImpexDeps, ImportJobView, UploadMeta, FileImportOptions } from './impex.service';
export type { PassReport, ImportCounts } from './impex.engine';
export { ImportErrors } from './impex.errors';
export { IMPORT_KINDS, FIELDS, guessMapping } from './impex.kinds';
export type { ImportKind, ColumnMapping, RowProblem } from './impex.kinds';
export { registerImpexRoutes } from './impex.routes';
export * from './impex.entity';
