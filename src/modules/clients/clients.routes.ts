import type { ClientActionLimits } from '../../shared/rate-limit';
import Joi from 'joi';
import type { ApiRouter } from '../../shared/http/route';
import { principalOf } from '../../shared/http/route';
import type { ClientsService } from './clients.service';
import type { ClientExports } from './clients.export';
import { EXPORT_FILES, sendTable } from '../../shared/http/export';
import { actorFromContext } from '../audit';
import {
  bindPhoneBody, consentPurposeParams, consentResponse, deleteAccountBody, exportCreatedResponse, grantConsentBody, idParams,
  medicalBody, medicalResponse, profileResponse, staffListQuery, staffUpdateBody, updateProfileBody,
  revealPhoneResponse, staffCorrectBody, staffCreateBody, staffCreatedResponse, staffExportQuery,
} from './clients.schema';

const MP = ['mini-program: client archive'];
const STAFF = ['staff: clients'];

/** HTTP ↔ ClientsService. Mini-program routes always act on the logged-in client; no client ids in their paths. */
export function registerClientRoutes(api: ApiRouter, s: { clients: ClientsService; limits: ClientActionLimits; clientExports: ClientExports }): void {
  const clients = s.clients;
  const limits = s.limits;
  const me = (ctx: Parameters<typeof principalOf>[0]) => principalOf(ctx, 'client').clientId;

  api
    .add(
      { method: 'get', path: '/api/mp/me', summary: 'Own profile (phone masked) with a consent summary', tags: MP, auth: 'client', response: profileResponse, errors: ['NOT_FOUND'] },
      ({ ctx }) => clients.getOwnProfile(me(ctx)),
    )
    .add(
      {
        method: 'patch', path: '/api/mp/me', summary: 'Update own name, gender, birth date, address', tags: MP, auth: 'client',
        body: updateProfileBody, response: profileResponse, errors: ['VALIDATION_FAILED', 'NOT_FOUND'],
      },
      ({ ctx, body }) => clients.updateOwnProfile(me(ctx), body, actorFromContext(ctx)),
    )
    .add(
      {
        method: 'delete', path: '/api/mp/me', summary: 'Delete own account: personal data erased, legal evidence kept, sessions ended', tags: MP, auth: 'client',
        body: deleteAccountBody, status: 204, errors: ['VALIDATION_FAILED', 'NOT_FOUND'],
      },
      ({ ctx }) => clients.deleteOwnAccount(me(ctx), actorFromContext(ctx)),
    )
    .add(
      {
        method: 'post', path: '/api/mp/me/phone', summary: 'Bind a phone number through a getPhoneNumber code', tags: MP, auth: 'client',
        body: bindPhoneBody, response: Joi.object({ phone: Joi.string() }),
        errors: ['PHONE_CODE_INVALID', 'PHONE_INVALID', 'PHONE_IN_USE', 'PHONE_BINDING_BLOCKED', 'WECHAT_UNAVAILABLE', 'RATE_LIMITED'],
      },
      // Each attempt spends WeChat quota (getuserphonenumber), so it is limited before WeChat is asked.
      async ({ ctx, body }) => {
        await limits.hit('phoneBinding', { client: me(ctx), ip: ctx.ip });
        return clients.bindPhone(me(ctx), body.code, actorFromContext(ctx));
      },
    )
    .add(
      { method: 'get', path: '/api/mp/me/consents', summary: 'Own consents, newest first (withdrawn ones included)', tags: MP, auth: 'client', response: Joi.array().items(consentResponse) },
      ({ ctx }) => clients.listConsents(me(ctx)),
    )
    .add(
      {
        method: 'post', path: '/api/mp/me/consents', summary: 'Give a consent for the current policy version', tags: MP, auth: 'client', status: 201,
        body: grantConsentBody, response: consentResponse, errors: ['POLICY_VERSION_OUTDATED', 'GUARDIAN_CONSENT_REQUIRED', 'VALIDATION_FAILED'],
      },
      ({ ctx, body }) => clients.grantConsent(me(ctx), body, actorFromContext(ctx)),
    )
    .add(
      {
        method: 'delete', path: '/api/mp/me/consents/:purpose', summary: 'Withdraw a consent (kept as evidence); withdrawing the health consent erases the medical history', tags: MP, auth: 'client',
        params: consentPurposeParams, response: Joi.object({ withdrawn: Joi.number() }),
      },
      ({ ctx, params }) => clients.withdrawConsent(me(ctx), params.purpose, actorFromContext(ctx)),
    )
    .add(
      { method: 'get', path: '/api/mp/me/medical', summary: 'Own medical history', tags: MP, auth: 'client', response: medicalResponse },
      ({ ctx }) => clients.getOwnMedical(me(ctx)),
    )
    .add(
      {
        method: 'put', path: '/api/mp/me/medical', summary: 'Replace own medical history (needs the health-data consent)', tags: MP, auth: 'client',
        body: medicalBody, response: medicalResponse, errors: ['HEALTH_CONSENT_REQUIRED', 'GUARDIAN_CONSENT_REQUIRED', 'VALIDATION_FAILED'],
      },
      ({ ctx, body }) => clients.putOwnMedical(me(ctx), body, actorFromContext(ctx)),
    )
    .add(
      {
        method: 'post', path: '/api/mp/me/exports', summary: 'Export all own data as JSON (kept 24 hours)', tags: MP, auth: 'client', status: 201,
        response: exportCreatedResponse, errors: ['RATE_LIMITED'],
      },
      async ({ ctx }) => {
        await limits.hit('dataExport', { client: me(ctx), ip: ctx.ip });
        return clients.createExport(me(ctx), actorFromContext(ctx));
      },
    )
    .add(
      { method: 'get', path: '/api/mp/me/exports/:id', summary: 'Fetch an own export', tags: MP, auth: 'client', params: idParams, errors: ['NOT_FOUND'] },
      ({ ctx, params }) => clients.getExport(me(ctx), params.id),
    )
    .add(
      {
        method: 'get', path: '/api/staff/clients', summary: 'List and search clients (phone and name: exact match)', tags: STAFF, auth: 'staff',
        query: staffListQuery, errors: ['VALIDATION_FAILED'],
      },
      ({ ctx, query }) => clients.listForStaff(actorFromContext(ctx), query),
    )
    .add(
      {
        // Before /:id, which would take "export" for an id.
        method: 'get', path: '/api/staff/clients/export', summary: 'The client list as a file (CSV with BOM or xlsx): same filters and reach as the list, phones masked but for the director; audited',
        tags: STAFF, auth: 'staff', query: staffExportQuery, files: EXPORT_FILES, errors: ['VALIDATION_FAILED'],
      },
      ({ ctx, query }) => {
        const { format, ...filters } = query;
        return sendTable(ctx, format, s.clientExports.exportForStaff(actorFromContext(ctx), filters, format));
      },
    )
    .add(
      {
        method: 'post', path: '/api/staff/clients', summary: 'Enter a walk-in or phone client (duplicate phone: 409 naming the client when visible)', tags: STAFF, auth: 'staff',
        roles: ['director', 'consultant', 'customer_service'], status: 201, body: staffCreateBody, response: staffCreatedResponse,
        errors: ['VALIDATION_FAILED', 'PHONE_IN_USE', 'CONSULTANT_NOT_FOUND', 'FORBIDDEN'],
      },
      ({ ctx, body }) => clients.createForStaff(actorFromContext(ctx), body),
    )
    .add(
      {
        method: 'post', path: '/api/staff/clients/:id/phone/reveal', summary: 'The full phone number behind the mask (each look audited)', tags: STAFF, auth: 'staff',
        params: idParams, response: revealPhoneResponse, errors: ['NOT_FOUND'],
      },
      ({ ctx, params }) => clients.revealPhoneForStaff(actorFromContext(ctx), params.id),
    )
    .add(
      {
        method: 'post', path: '/api/staff/clients/:id/corrections', summary: 'Correct name, phone, gender, birth date or address (audited by field)', tags: STAFF, auth: 'staff',
        roles: ['director', 'consultant', 'customer_service'], params: idParams, body: staffCorrectBody, response: Joi.object({ id: Joi.string() }),
        errors: ['VALIDATION_FAILED', 'NOT_FOUND', 'PHONE_IN_USE'],
      },
      ({ ctx, params, body }) => clients.correctForStaff(actorFromContext(ctx), params.id, body),
    )
    .add(
      { method: 'get', path: '/api/staff/clients/:id', summary: 'Open a client archive (health section for doctors and the director)', tags: STAFF, auth: 'staff', params: idParams, errors: ['NOT_FOUND'] },
      ({ ctx, params }) => clients.openArchive(actorFromContext(ctx), params.id),
    )
    .add(
      {
        method: 'patch', path: '/api/staff/clients/:id', summary: 'Assign the consultant or set the stage', tags: STAFF, auth: 'staff', roles: ['director', 'consultant'],
        params: idParams, body: staffUpdateBody, errors: ['NOT_FOUND', 'FORBIDDEN', 'CONSULTANT_NOT_FOUND', 'VALIDATION_FAILED'],
      },
      ({ ctx, params, body }) => clients.updateForStaff(actorFromContext(ctx), params.id, body),
    )
    .add(
      {
        method: 'get', path: '/api/staff/clients/:id/medical', summary: 'A client’s medical history', tags: STAFF, auth: 'staff', roles: ['doctor', 'director'],
        params: idParams, response: medicalResponse, errors: ['NOT_FOUND', 'FORBIDDEN'],
      },
      ({ ctx, params }) => clients.readMedicalForStaff(actorFromContext(ctx), params.id),
    )
    .add(
      {
        method: 'put', path: '/api/staff/clients/:id/medical', summary: 'Record a client’s medical history (needs the client’s health-data consent)', tags: STAFF, auth: 'staff',
        roles: ['doctor', 'director'], params: idParams, body: medicalBody, response: medicalResponse,
        errors: ['NOT_FOUND', 'FORBIDDEN', 'HEALTH_CONSENT_REQUIRED', 'VALIDATION_FAILED'],
      },
      ({ ctx, params, body }) => clients.putMedicalForStaff(actorFromContext(ctx), params.id, body),
    );
}
