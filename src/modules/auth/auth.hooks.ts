import type { Context } from 'koa';
import { AppError, CommonErrors } from '../../shared/errors';
import type { AuthHooks, Principal, RouteSpec, StaffPrincipal } from '../../shared/http/route';
import type { AuditService } from '../audit';
import { actorFromContext } from '../audit';
import type { SessionStore } from '../../shared/sessions';
import { AuthErrors } from './auth.errors';

/** What a session that must first enrol TOTP may do: see itself, enrol, change its password, leave. */
const ENROL_ONLY_ROUTES = new Set([
  'GET /api/staff/me', 'POST /api/staff/me/totp', 'POST /api/staff/me/totp/confirm', 'POST /api/staff/me/password', 'POST /api/staff/auth/logout',
]);

/**
 * Refusals the session itself may cause on a route, whatever the route does: a staff route outside
 * the enrolment pages answers 403 STAFF_TOTP_ENROLMENT_REQUIRED to a session that must first enrol
 * TOTP (for the OpenAPI document).
 */
export function sessionErrorsOf(spec: Pick<RouteSpec, 'method' | 'path' | 'auth'>): string[] {
  return spec.auth === 'staff' && !ENROL_ONLY_ROUTES.has(`${spec.method.toUpperCase()} ${spec.path}`) ? [AuthErrors.STAFF_TOTP_ENROLMENT_REQUIRED] : [];
}

/** Bearer-token authentication for routes, and the audit row for a role that was turned away. */
export function createAuthHooks(sessions: SessionStore, audit: AuditService): AuthHooks {
  return {
    async authenticate(ctx: Context, kind): Promise<Principal> {
      const header = ctx.get('authorization');
      const match = /^Bearer (\S+)$/i.exec(header);
      if (!match) throw new AppError(CommonErrors.UNAUTHENTICATED, 'Log in first: send Authorization: Bearer <token>');
      const session = await sessions.resolve(match[1]);
      if (!session || session.kind !== kind) {
        throw new AppError(CommonErrors.TOKEN_INVALID, 'Your session has expired or is not valid; please log in again');
      }
      if (session.kind === 'staff' && session.totpEnrolOnly && !ENROL_ONLY_ROUTES.has(`${ctx.method} ${ctx.state.route as string}`)) {
        throw new AppError(AuthErrors.STAFF_TOTP_ENROLMENT_REQUIRED, 'Your role needs a second factor: turn TOTP on first (POST /api/staff/me/totp)');
      }
      return session.kind === 'client'
        ? { kind: 'client', clientId: session.clientId, publicId: session.publicId, tokenHash: session.tokenHash }
        : { kind: 'staff', staffId: session.staffId, publicId: session.publicId, role: session.role, tokenHash: session.tokenHash };
    },
    async onRoleDenied(ctx: Context, principal: StaffPrincipal, spec: RouteSpec): Promise<void> {
      await audit.record(actorFromContext(ctx), 'route.denied', {
        allowed: false,
        details: { route: `${spec.method.toUpperCase()} ${spec.path}`, role: principal.role },
      });
    },
  };
}
