import type { ApiRouter } from '../../shared/http/route';
import type { CareService } from './care.service';
import { actorFromContext } from '../audit';
import { clientParams, stepsResponse, templateParams, templatePatch, templateResponse, templatesResponse } from './care.schema';

const STAFF = ['staff: follow-ups'];

/** HTTP ↔ CareService (staff side; clients see follow-ups as messages). */
export function registerCareRoutes(api: ApiRouter, s: { care: CareService }): void {
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
    );
}
