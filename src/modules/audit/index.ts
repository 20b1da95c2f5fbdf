export { AuditService, actorFromContext, SYSTEM_ACTOR } from './audit.service';
export type { Actor, AuditRecord, ChainReport } from './audit.service';
export { AuditEntry } from './audit.entity';
export { registerAuditRoutes } from './audit.routes';
