import type { ApiRouter } from '../../shared/http/route';
import { principalOf } from '../../shared/http/route';
import type { StaffService } from './staff.service';
import { actorFromContext } from '../audit';
import {
  changePasswordBody, createStaffBody, listStaffQuery, loginBody, loginResponse, meView, resetPasswordBody, revokeResponse, staffIdParams,
  staffListResponse, staffView, colleaguesQuery, colleaguesResponse, totpCodeBody, totpConfirmResponse, totpStartResponse, updateStaffBody,
} from './staff.schema';

const tags = ['staff'];
const DIRECTOR = ['director'] as const;

/** Staff login and session, and account management by the director (院长). */
export function registerStaffRoutes(api: ApiRouter, s: { staff: StaffService }): void {
  api
    .add(
      {
        method: 'post', path: '/api/staff/auth/login', summary: 'Staff login: password, and for accounts with TOTP a code or a recovery code', tags, auth: 'none',
        body: loginBody, response: loginResponse,
        errors: ['VALIDATION_FAILED', 'INVALID_CREDENTIALS', 'ACCOUNT_LOCKED', 'RATE_LIMITED', 'STAFF_OTP_REQUIRED', 'STAFF_OTP_INVALID', 'CONFLICT'],
      },
      ({ body, ctx }) => s.staff.login(body, actorFromContext(ctx)),
    )
    .add(
      { method: 'post', path: '/api/staff/auth/logout', summary: 'End this staff session', tags, auth: 'staff', status: 204, errors: ['TOKEN_INVALID'] },
      async ({ ctx }) => {
        await s.staff.logout(actorFromContext(ctx), principalOf(ctx, 'staff').tokenHash);
      },
    )
    .add(
      {
        method: 'get', path: '/api/staff/me', summary: 'The logged-in staff member, and whether TOTP is on and required', tags, auth: 'staff',
        response: meView, errors: ['TOKEN_INVALID'],
      },
      ({ ctx }) => s.staff.me(principalOf(ctx, 'staff').staffId),
    )
    .add(
      {
        method: 'post', path: '/api/staff/me/totp', summary: 'Start TOTP enrolment: a secret and its otpauth:// URI for the QR', tags, auth: 'staff',
        response: totpStartResponse, errors: ['TOKEN_INVALID', 'STAFF_TOTP_ALREADY_ENABLED'],
      },
      ({ ctx }) => s.staff.startTotp(actorFromContext(ctx), principalOf(ctx, 'staff').staffId),
    )
    .add(
      {
        method: 'post', path: '/api/staff/me/totp/confirm', summary: 'Turn TOTP on with a first code; answers the recovery codes (shown once); my other sessions end',
        tags, auth: 'staff', body: totpCodeBody, response: totpConfirmResponse,
        errors: ['VALIDATION_FAILED', 'TOKEN_INVALID', 'STAFF_TOTP_CODE_WRONG', 'STAFF_TOTP_NOT_STARTED', 'STAFF_TOTP_ALREADY_ENABLED'],
      },
      ({ body, ctx }) => {
        const { staffId, tokenHash } = principalOf(ctx, 'staff');
        return s.staff.confirmTotp(actorFromContext(ctx), { staffId, tokenHash }, body.otp);
      },
    )
    .add(
      {
        method: 'delete', path: '/api/staff/me/totp', summary: 'Turn my TOTP off with a current code (not for roles that must keep it)',
        tags, auth: 'staff', body: totpCodeBody, status: 204,
        errors: ['VALIDATION_FAILED', 'TOKEN_INVALID', 'STAFF_TOTP_CODE_WRONG', 'STAFF_TOTP_NOT_ENABLED', 'STAFF_TOTP_REQUIRED', 'ACCOUNT_LOCKED'],
      },
      async ({ body, ctx }) => {
        await s.staff.disableTotp(actorFromContext(ctx), principalOf(ctx, 'staff').staffId, body.otp);
      },
    )
    .add(
      {
        method: 'post', path: '/api/staff/me/password', summary: 'Change my password; my other sessions end, this one stays', tags, auth: 'staff',
        body: changePasswordBody, response: revokeResponse,
        errors: ['VALIDATION_FAILED', 'TOKEN_INVALID', 'CURRENT_PASSWORD_WRONG', 'ACCOUNT_LOCKED', 'CONFLICT'],
      },
      ({ body, ctx }) => {
        const { staffId, tokenHash } = principalOf(ctx, 'staff');
        return s.staff.changePassword(actorFromContext(ctx), { staffId, tokenHash }, body);
      },
    )
    .add(
      {
        method: 'post', path: '/api/staff/staff', summary: 'Create a staff account (director)', tags, auth: 'staff', roles: DIRECTOR,
        body: createStaffBody, status: 201, response: staffView, errors: ['VALIDATION_FAILED', 'FORBIDDEN', 'USERNAME_TAKEN'],
      },
      ({ body, ctx }) => s.staff.create(actorFromContext(ctx), body),
    )
    .add(
      {
        method: 'get', path: '/api/staff/staff', summary: 'List staff accounts (director)', tags, auth: 'staff', roles: DIRECTOR,
        query: listStaffQuery, response: staffListResponse, errors: ['VALIDATION_FAILED', 'FORBIDDEN'],
      },
      async ({ query, ctx }) => ({ items: await s.staff.list(actorFromContext(ctx), query) }),
    )
    .add(
      {
        method: 'get', path: '/api/staff/colleagues', summary: 'Active colleagues by name and role, for pickers (all staff)', tags, auth: 'staff',
        query: colleaguesQuery, response: colleaguesResponse, errors: ['VALIDATION_FAILED'],
      },
      async ({ query }) => ({ items: await s.staff.colleagues(query) }),
    )
    .add(
      {
        method: 'patch', path: '/api/staff/staff/:id', summary: 'Change name, role or activity (director); role change or deactivation ends their sessions',
        tags, auth: 'staff', roles: DIRECTOR, params: staffIdParams, body: updateStaffBody, response: staffView,
        errors: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND', 'LAST_DIRECTOR'],
      },
      ({ params, body, ctx }) => s.staff.update(actorFromContext(ctx), params.id, body),
    )
    .add(
      {
        method: 'post', path: '/api/staff/staff/:id/revoke-sessions', summary: 'End every session of a staff member (director)',
        tags, auth: 'staff', roles: DIRECTOR, params: staffIdParams, response: revokeResponse, errors: ['FORBIDDEN', 'NOT_FOUND'],
      },
      ({ params, ctx }) => s.staff.revokeSessions(actorFromContext(ctx), params.id),
    )
    .add(
      {
        method: 'post', path: '/api/staff/staff/:id/unlock', summary: 'Lift a login lockout (director)',
        tags, auth: 'staff', roles: DIRECTOR, params: staffIdParams, response: staffView, errors: ['FORBIDDEN', 'NOT_FOUND'],
      },
      ({ params, ctx }) => s.staff.unlock(actorFromContext(ctx), params.id),
    )
    .add(
      {
        method: 'post', path: '/api/staff/staff/:id/password', summary: 'Set a new password for another staff member (director); ends their sessions and lifts a lockout',
        tags, auth: 'staff', roles: DIRECTOR, params: staffIdParams, body: resetPasswordBody, response: staffView,
        errors: ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND', 'OWN_PASSWORD_RESET'],
      },
      ({ params, body, ctx }) => s.staff.resetPassword(actorFromContext(ctx), params.id, body.newPassword),
    )
    .add(
      {
        method: 'delete', path: '/api/staff/staff/:id/totp', summary: "Reset another staff member's TOTP (director); ends their sessions",
        tags, auth: 'staff', roles: DIRECTOR, params: staffIdParams, response: staffView, errors: ['FORBIDDEN', 'NOT_FOUND', 'OWN_TOTP_RESET'],
      },
      ({ params, ctx }) => s.staff.resetTotp(actorFromContext(ctx), params.id),
    );
}
