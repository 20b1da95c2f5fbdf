import type { Task } from '../../shared/task';
import type { ClientsService } from './clients.service';

export { ClientsService } from './clients.service';
export { aad as clientAad, readClientField, maskPhone, MEDICAL_FIELDS, MEDICAL_COLUMNS } from './clients.shared';
export type { ClientsDeps, MedicalField } from './clients.shared';
export type {
  NewClientInput, OwnProfile, ProfileUpdate, ConsentView, ConsentSummary, GrantConsentInput, MedicalHistory, PastProcedure,
  StaffListQuery, StaffListItem, StaffArchive, StaffClientAssignment, ClientDataHooks,
} from './clients.types';
export { ClientErrors } from './clients.errors';
export { ClientAccess, CLIENT_ACCESS, ACCESS_SCOPES, accessReach, mayAccess, accessibleScopes, accessFilter } from './clients.access';
export type { AccessScope, AccessReach, AccessPrincipal, AccessibleClient, AccessCheckOptions } from './clients.access';
export { CLIENT_STAGES, CONSENT_PURPOSES } from './clients.schema';
export { registerClientRoutes } from './clients.routes';
export * from './clients.entity';

/** Hourly: deletes data exports past their 24-hour life (PIPL copies are not kept longer). For allTasks(). */
export const exportsPurgeTask: Task<{ clients: ClientsService }> = {
  id: 'exports-purge',
  schedule: '20 * * * *',
  description: 'Delete data exports past their expiry',
  run: async ({ services, now }) => ({ items: await services.clients.purgeExpiredExports(now) }),
};
export { ClientImports } from './clients.import';
export type { ImportedClient } from './clients.import';
export { ClientExports } from './clients.export';
export type { ClientExportQuery } from './clients.export';
export { consultantLeadsBetween, consultantsOfClients } from './clients.performance';
