export { StaffService } from './staff.service';
export type { StaffSummary, StaffView, LoginResult, LoginInput, MeView, NewStaff, StaffPatch, AuditFilter, AuditItem, AuditPage } from './staff.service';
export { registerStaffRoutes } from './staff.routes';
export { StaffErrors } from './staff.errors';
export { passwordIsMixed, PASSWORD_MIN_LENGTH } from './staff.schema';
export * from './staff.entity';
export { totpAad } from './staff.totp';
export { staffOfRoles } from './staff.performance';
