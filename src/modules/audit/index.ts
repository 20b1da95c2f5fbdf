export { AuditService, actorFromContext, SYSTEM_ACTOR } from './audit.service';
export type { Actor } from './audit.service';
export { AuditEntry } from './audit.entity';
export { registerAuditRoutes } from './audit.routes';
