export { AuditService, actorFromContext, SYSTEM_ACTOR } from './audit.service';
export type { Actor, AuditRecord } from './audit.service';
export { AuditEntry } from './audit.entity';
export { registerAuditRoutes } from './audit.routes';
