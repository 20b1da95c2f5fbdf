import type { ApiRouter } from '../../shared/http/route';
import type { CareService } from './care.service';
import { actorFromContext } from '../audit';
import { EXPORT_FILES, sendTable } from '../../shared/http/export';
import type { TreatmentExports } from './care.export';
import {
  clientParams, recordTreatmentBody, recordTreatmentResponse, stepsResponse, templateParams, templatePatch, templateResponse, templatesResponse,
  treatmentExportQuery, treatmentParams, treatmentResponse, treatmentsResponse,
} from './care.schema';

const STAFF = ['staff: follow-ups'];
const TREATMENTS = ['staff: treatments'];
// Treatments are medical history (DOMAIN.md, three tiers): doctors and the director.
const CLINICAL = ['director', 'doctor'] as const;

/** HTTP ↔ CareService (staff side; clients see follow-ups as messages). */
export function registerCareRoutes(api: ApiRouter, s: { care: CareService; treatmentExports: TreatmentExports }): void {
  api
    .add(
      { method: 'get', path: '/api/staff/care/templates', summary: 'Follow-up plans: every step with its timing and message', tags: STAFF, auth: 'staff', response: templatesResponse },
      async () => ({ items: await s.care.listTemplates() }),
    )
    .add(
      {
        method: 'patch', path: '/api/staff/care/templates/:id', summary: 'Edit a follow-up step\'s message, timing or whether it runs (director, customer service; audited)',
        tags: STAFF, auth: 'staff', roles: ['director', 'customer_service'], params: templateParams, body: templatePatch, response: templateResponse,
        errors: ['NOT_FOUND', 'FOLLOWUP_OFFSET_FIXED'],
      },
      ({ ctx, params, body }) => s.care.updateTemplate(actorFromContext(ctx), params.id, body),
    )
    .add(
      {
        // The steps name the procedures: medical history, for doctors and the director (DOMAIN.md, three tiers).
        method: 'get', path: '/api/staff/clients/:id/followups', summary: 'A client\'s follow-up steps (director, doctor; audited)',
        tags: STAFF, auth: 'staff', roles: ['director', 'doctor'], params: clientParams, response: stepsResponse, errors: ['NOT_FOUND'],
      },
      async ({ ctx, params }) => ({ items: await s.care.stepsOfClient(actorFromContext(ctx), params.id) }),
    )
    .add(
      {
        method: 'post', path: '/api/staff/treatments', summary: 'Record a treatment performed; starts its follow-up plan; retry-safe by requestId (director, doctor; audited)',
        tags: TREATMENTS, auth: 'staff', roles: [...CLINICAL], body: recordTreatmentBody, status: 201, response: recordTreatmentResponse,
        errors: ['NOT_FOUND', 'TREATMENT_ORDER_REFUNDED', 'TREATMENT_NOT_IN_ORDER', 'TREATMENT_DOCTOR_INVALID', 'TREATMENT_IN_FUTURE', 'TREATMENT_REQUEST_REUSED'],
      },
      ({ ctx, body }) => s.care.recordTreatment(actorFromContext(ctx), body),
    )
    .add(
      {
        method: 'post', path: '/api/staff/treatments/:id/cancel', summary: 'Cancel a treatment recorded by mistake and its pending follow-ups (director, doctor; audited)',
        tags: TREATMENTS, auth: 'staff', roles: [...CLINICAL], params: treatmentParams, response: treatmentResponse, errors: ['NOT_FOUND'],
      },
      ({ ctx, params }) => s.care.cancelTreatment(actorFromContext(ctx), params.id),
    )
    .add(
      {
        method: 'get', path: '/api/staff/clients/:id/treatments', summary: 'A client\'s treatments, newest first (director, doctor; audited)',
        tags: TREATMENTS, auth: 'staff', roles: [...CLINICAL], params: clientParams, response: treatmentsResponse, errors: ['NOT_FOUND'],
      },
      async ({ ctx, params }) => ({ items: await s.care.treatmentsOfClient(actorFromContext(ctx), params.id) }),
    )
    .add(
      {
        method: 'get', path: '/api/staff/treatments/export', summary: 'Treatments as a file (CSV with BOM or xlsx): one client\'s or all, by day performed and status; no notes (director, doctor; audited)',
        tags: TREATMENTS, auth: 'staff', roles: [...CLINICAL], query: treatmentExportQuery, files: EXPORT_FILES, errors: ['NOT_FOUND'],
      },
      async ({ ctx, query }) => {
        const { format, ...filters } = query;
        return sendTable(ctx, format, await s.treatmentExports.exportForStaff(actorFromContext(ctx), filters, format));
      },
    );
}
