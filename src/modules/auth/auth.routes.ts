import type { ApiRouter } from '../../shared/http/route';
import { principalOf } from '../../shared/http/route';
import { CommonErrors } from '../../shared/errors';
import type { MpAuthService } from './auth.service';
import { AuthErrors } from './auth.errors';
import { loginBody, loginResponse } from './auth.schema';
import type { LaunchQuery } from './auth.service';

export function registerAuthRoutes(api: ApiRouter, s: { mpAuth: MpAuthService }): void {
  api
    .add(
      {
        method: 'post',
        path: '/api/mp/auth/login',
        summary: 'Mini-program login with a wx.login code (plus the launch query on first launch); returns our session token',
        tags: ['mp: auth'],
        auth: 'none',
        body: loginBody,
        response: loginResponse,
        errors: [
          CommonErrors.VALIDATION_FAILED, CommonErrors.MALFORMED_JSON, CommonErrors.RATE_LIMITED,
          AuthErrors.LOGIN_CODE_INVALID, AuthErrors.LOGIN_CODE_USED, AuthErrors.WECHAT_BLOCKED_USER,
          AuthErrors.LOGIN_ACCOUNT_DELETED, AuthErrors.WECHAT_UNAVAILABLE,
        ],
      },
      ({ body, ctx }) => {
        const { code, launch } = body as { code: string; launch?: LaunchQuery | null };
        return s.mpAuth.login({ code, launch, ip: ctx.ip });
      },
    )
    .add(
      {
        method: 'post',
        path: '/api/mp/auth/logout',
        summary: 'Ends the current mini-program session (the token stops working)',
        tags: ['mp: auth'],
        auth: 'client',
        status: 204,
        errors: [CommonErrors.UNAUTHENTICATED, CommonErrors.TOKEN_INVALID],
      },
      async ({ ctx }) => {
        await s.mpAuth.logout(principalOf(ctx, 'client'));
      },
    );
}
