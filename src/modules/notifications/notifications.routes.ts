import type { ApiRouter } from '../../shared/http/route';
import { principalOf } from '../../shared/http/route';
import type { WorkKind, WorkStream } from './notifications.service';

/** A comment line now and then keeps proxies from closing a quiet stream and finds dead connections. */
const HEARTBEAT_MS = 15_000;
/**
 * A stream ends after five minutes and the browser opens a new one with its token: a session ended
 * meanwhile (logout, password change, deactivation) is then refused (401) instead of being told on.
 */
const MAX_STREAM_MS = 5 * 60_000;

/**
 * GET /api/staff/me/stream: server-sent events read with fetch(), which (unlike EventSource) can
 * send the Authorization header. `event: ready` once the stream listens, then `event: work` with
 * `{"kind":"task"|"case"|"lead"}` when something new may be for this staff member.
 */
export function registerNotificationRoutes(api: ApiRouter, s: { workStream: WorkStream }): void {
  api.add(
    {
      method: 'get', path: '/api/staff/me/stream', summary: 'Server-sent events: new tasks, cases and A-grade leads for me (a nudge to reload; no data)',
      tags: ['staff'], auth: 'staff', status: 200, files: ['text/event-stream'], errors: ['TOKEN_INVALID'],
    },
    async ({ ctx }) => {
      const { staffId, role } = principalOf(ctx, 'staff');
      // The answer is written by hand: Koa would pipe a stream body and report a browser leaving as an error.
      ctx.respond = false;
      const res = ctx.res;
      ctx.req.socket.setTimeout(0);
      ctx.req.socket.setNoDelay(true);
      // nginx would otherwise buffer the events.
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', 'X-Accel-Buffering': 'no' });
      const write = (text: string) => { if (!res.writableEnded && !res.destroyed) res.write(text); };
      let stop = () => {};
      const end = () => {
        stop();
        clearInterval(heartbeat);
        clearTimeout(lifetime);
        if (!res.writableEnded) res.end();
      };
      const heartbeat = setInterval(() => write(': ping\n\n'), HEARTBEAT_MS);
      const lifetime = setTimeout(end, MAX_STREAM_MS);
      res.once('close', end);
      stop = await s.workStream.subscribe({ staffId, role, send: (kind: WorkKind) => write(`event: work\ndata: ${JSON.stringify({ kind })}\n\n`), end });
      if (res.destroyed) return end();
      write('retry: 5000\nevent: ready\ndata: {}\n\n');
    },
  );
}
