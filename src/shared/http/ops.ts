import type { Middleware } from 'koa';
import { AppError, CommonErrors } from '../errors';

// The operations endpoints: the metrics (traffic, pool use) and the API's whole map.
const OPS_PATH = /^\/(metrics|openapi\.json|docs)(\/|$)/;
const PROBE_PATH = /^\/(healthz|readyz)\/?$/;

function normalized(path: string): string {
  try {
    return decodeURIComponent(path).toLowerCase();
  } catch {
    return path.toLowerCase();
  }
}

/**
 * With an operations port (`OPS_PORT`; always in production), /metrics, /openapi.json and /docs are
 * answered only on it, and the API only on the public port: from the public side they do not
 * exist (404). The probes answer on both; on the operations port /readyz also says which
 * dependency is down (`ctx.state.ops`). Without an operations port (development, tests) all is on one port.
 */
export function opsGate(opsPort: () => number | null): Middleware {
  return (ctx, next) => {
    const port = opsPort();
    if (port === null) return next();
    const onOps = ctx.socket?.localPort === port;
    ctx.state.ops = onOps;
    const path = normalized(ctx.path);
    if (!PROBE_PATH.test(path) && OPS_PATH.test(path) !== onOps) throw new AppError(CommonErrors.NOT_FOUND, 'No such route');
    return next();
  };
}
