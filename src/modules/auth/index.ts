export { SessionStore } from './sessions';
export { MpAuthService } from './auth.service';
export { registerAuthRoutes } from './auth.routes';
