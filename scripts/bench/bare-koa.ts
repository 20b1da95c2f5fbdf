import Koa from 'koa';
import Router from '@koa/router';

/** The baseline: a bare Koa + router endpoint returning a constant, in its own process. */
const app = new Koa();
const router = new Router();
router.get('/bare', (ctx) => {
  ctx.body = { ok: true };
});
app.use(router.routes());
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const addr = server.address();
  process.send?.({ port: typeof addr === 'object' && addr ? addr.port : 0 });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
