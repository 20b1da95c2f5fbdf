import Koa from 'koa';
import Router from '@koa/router';

/** The baseline: a bare Koa + router endpoint returning a constant, in its own process. */
const app = new Koa();
const router = new Router();
router.get('/bare', (ctx) => {
  ctx.body = { ok: true };
});
/**
 * A yardstick, not a baseline: the same constant after `us` microseconds of pure CPU work. It shows
 * what ratio to /bare any endpoint doing that much more work per request can reach on this machine.
 */
router.get('/bare/busy/:us', (ctx) => {
  const until = process.hrtime.bigint() + BigInt(Math.min(Number(ctx.params.us) || 0, 10_000)) * 1000n;
  while (process.hrtime.bigint() < until);
  ctx.body = { ok: true };
});
app.use(router.routes());
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const addr = server.address();
  process.send?.({ port: typeof addr === 'object' && addr ? addr.port : 0 });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
