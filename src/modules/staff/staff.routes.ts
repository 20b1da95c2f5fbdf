import type { ApiRouter } from '../../shared/http/route';
import { principalOf } from '../../shared/http/route';
import type { StaffService } from './staff.service';
import { actorFromContext } from '../audit';
import {
  changePasswordBody, createStaffBody, listStaffQuery, loginBody, loginResponse, resetPasswordBody, revokeResponse, staffIdParams,
  staffListResponse, staffSummaryView, staffView, updateStaffBody,
} from './staff.schema';
import Joi from 'joi';

const tags = ['staff'];
const DIRECTOR = ['director'] as const;

/** Staff login and session, and account management by the director (院长). */
export function registerStaffRoutes(api: ApiRouter, s: { staff: StaffService }): void {
  api
    .add(
      {
        method: 'post', path: '/api/staff/auth/login', summary: 'Staff password login', tags, auth: 'none',
        body: loginBody, response: loginResponse, errors: ['VALIDATION_FAILED', 'INVALID_CREDENTIALS', 'ACCOUNT_LOCKED', 'RATE_LIMITED', 'CONFLICT'],
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
        method: 'get', path: '/api/staff/me', summary: 'The logged-in staff member', tags, auth: 'staff',
        response: staffSummaryView.keys({ active: Joi.boolean() }), errors: ['TOKEN_INVALID'],
      },
      ({ ctx }) => s.staff.me(principalOf(ctx, 'staff').staffId),
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
    );
}
