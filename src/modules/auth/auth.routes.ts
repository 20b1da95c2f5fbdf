import type { ApiRouter } from '../../shared/http/route';
import type { Services } from '../../services';
// STUB: replaced by the mini-program login work.
export function registerAuthRoutes(_api: ApiRouter, _s: Services): void {}
