export { MpAuthService } from './auth.service';
export type { LaunchQuery, LoginInput, LoginResult } from './auth.service';
export { AuthErrors } from './auth.errors';
export { registerAuthRoutes } from './auth.routes';
export { createAuthHooks, sessionErrorsOf } from './auth.hooks';
