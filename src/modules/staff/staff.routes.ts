import type { ApiRouter } from '../../shared/http/route';
import type { Services } from '../../services';
// STUB: replaced by the staff accounts work.
export function registerStaffRoutes(_api: ApiRouter, _s: Services): void {}
