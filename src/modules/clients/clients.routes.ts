import type { ApiRouter } from '../../shared/http/route';
import type { Services } from '../../services';
// STUB: replaced by the client archive work.
export function registerClientRoutes(_api: ApiRouter, _s: Services): void {}
