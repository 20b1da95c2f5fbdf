export { AuditService, actorFromContext, SYSTEM_ACTOR } from './audit.service';
export type { Actor, AuditRecord, ChainReport } from './audit.service';
export { AuditEntry } from './audit.entity';
export { registerAuditRoutes } from './audit.routes';
export { AuditExports } from './audit.export';
export type { AuditPageReader, AuditSearch } from './audit.export';
export { GENESIS_HASH, RAW_AUDIT_COLUMNS, chainHash, chainedFieldsOf } from './audit.chain';
export type { ChainedFields, RawAuditRow } from './audit.chain';
