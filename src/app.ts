import fs from 'node:fs';
import path from 'node:path';
import Koa from 'koa';
import cors from '@koa/cors';
import { bodyParser } from '@koa/bodyparser';
import helmet from 'koa-helmet';
import Joi from 'joi';
import { createAccessLogger } from './shared/logger';
// Only the path helper: the package's main module loads the whole Swagger UI bundle.
import getAbsoluteFSPath from 'swagger-ui-dist/absolute-path';
import pkg from '../package.json';
import type { Deps, Services } from './services';
import { createServices } from './services';
import { ApiRouter } from './shared/http/route';
import { edge } from './shared/http/middleware';
import { opsGate } from './shared/http/ops';
import { HttpMetrics } from './shared/http/metrics';
import { buildOpenApi, swaggerUiHtml } from './shared/http/openapi';
import { poolStats } from './shared/db';
import { AppError, CommonErrors } from './shared/errors';
import { createAuthHooks, registerAuthRoutes } from './modules/auth';
import { registerClientRoutes } from './modules/clients';
import { registerStaffRoutes } from './modules/staff';
import { registerAuditRoutes } from './modules/audit';
import { registerPointsRoutes } from './modules/points';
import { registerRewardRoutes } from './modules/rewards';
import { registerFeedbackRoutes } from './modules/feedback';
import { registerCommunityRoutes } from './modules/community';
import { registerContactRoutes } from './modules/contacts';
import { registerRfmRoutes } from './modules/rfm';
import { registerCareRoutes } from './modules/care';
import { registerOrderRoutes } from './modules/orders';
import { registerReferralRoutes } from './modules/referrals';
import { registerConsultationRoutes } from './modules/consultations';
import { registerQuestionnaireRoutes } from './modules/questionnaires';
import { registerWorklistRoutes } from './modules/worklist';
import { registerDeliveryRoutes } from './modules/delivery';
import { registerSchedulerRoutes } from './scheduler/routes';
import { serveConsole } from './shared/http/console-static';
import { registerNoteRoutes } from './modules/notes';
import { registerMarketingRoutes } from './modules/marketing';
import { registerReportRoutes } from './modules/reports';
import { registerImpexRoutes } from './modules/impex';
import { registerWeComRoutes } from './modules/wecom';
import { registerWalletRoutes } from './modules/wallet';
import { registerPhotoRoutes } from './modules/photos';
import { registerNotificationRoutes } from './modules/notifications';


export interface AppHandle {
  app: Koa;
  api: ApiRouter;
  services: Services;
  metrics: HttpMetrics;
  openapi(): ReturnType<typeof buildOpenApi>;
}

/** The Koa app with its middleware and routers. It never listens; main.ts and tests do that. */
export function createApp(deps: Deps, services: Services = createServices(deps)): AppHandle {
  const { config, db, logger } = deps;
  const app = new Koa({ proxy: config.http.trustProxy, maxIpsCount: config.http.trustProxyHops });
  const api = new ApiRouter(createAuthHooks(services.sessions, services.audit));
  const metrics = new HttpMetrics(() => poolStats(db));
  // Routes cannot change after createApp, so the document is built once, on first use.
  let doc: ReturnType<typeof buildOpenApi> | undefined;
  const openapi = () => (doc ??= buildOpenApi(api.specs, { title: '美颜客户管理 API (mini-program + staff)', version: pkg.version, serverUrl: config.publicUrl }));

  registerSystemRoutes(api, deps, metrics, openapi);
  registerAuthRoutes(api, services);
  registerClientRoutes(api, services);
  registerStaffRoutes(api, services);
  registerAuditRoutes(api, services);
  registerPointsRoutes(api, services);
  registerRewardRoutes(api, services);
  registerFeedbackRoutes(api, services);
  registerCommunityRoutes(api, services);
  registerContactRoutes(api, services);
  registerRfmRoutes(api, services);
  registerCareRoutes(api, services);
  registerOrderRoutes(api, services);
  registerReferralRoutes(api, services);
  registerConsultationRoutes(api, services);
  registerQuestionnaireRoutes(api, services);
  registerWorklistRoutes(api, services);
  registerDeliveryRoutes(api, services);
  registerSchedulerRoutes(api, services);
  registerNoteRoutes(api, services.notes);
  registerMarketingRoutes(api, services.marketing);
  registerReportRoutes(api, services.staffPerformance);
  registerImpexRoutes(api, services.impex);
  registerWeComRoutes(api, services.wecomOfficial);
  registerWalletRoutes(api, services);
  registerPhotoRoutes(api, services);
  registerNotificationRoutes(api, services);

  app.use(edge({ logger, access: createAccessLogger(config.logLevel), metrics, headers: securityHeaders() }));
  app.use(
    cors({
      origin: (ctx) => {
        const origin = ctx.get('origin');
        return config.http.corsOrigins.includes(origin) ? origin : '';
      },
      allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', 'Idempotency-Key'],
      exposeHeaders: ['X-Request-Id', 'Retry-After'],
      maxAge: 600,
    }),
  );
  app.use(opsGate(() => config.ops.port));
  app.use(mpMethodOverride());
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: config.http.bodyLimit, encoding: 'utf-8', parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'] }));
  app.use(api.middleware());
  app.use(serveConsole());
  return { app, api, services, metrics, openapi };
}

/**
 * Security headers, worked out once (helmet building them per request cost a third of a bare
 * endpoint's throughput). JSON answers — the whole API, often personal or health data — get the
 * set OWASP recommends for REST services: never cached, never framed or sniffed, loading nothing.
 * The Swagger UI page and its assets get helmet's full set for HTML, whose CSP lets the page's
 * own script run.
 */
function securityHeaders(): (path: string) => Record<string, string> {
  const page: Record<string, string> = {};
  const fake = { setHeader: (k: string, v: string) => { page[k] = String(v); }, removeHeader: (k: string) => { delete page[k]; } };
  const h = helmet({ contentSecurityPolicy: { directives: { 'script-src': ["'self'", "'unsafe-inline'"] } } });
  void h({ req: {}, res: fake } as unknown as Koa.Context, async () => undefined);
  if (!Object.keys(page).length) throw new Error('could not work out the security headers');
  const api: Record<string, string> = {
    'Cache-Control': 'no-store',
    'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
    'Strict-Transport-Security': page['Strict-Transport-Security'] ?? 'max-age=31536000; includeSubDomains',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
  };
  return (path) => (path === '/docs' || path.startsWith('/docs/') ? page : api);
}

/**
 * wx.request cannot send PATCH: the mini-program sends POST with `X-HTTP-Method-Override: PATCH`,
 * honoured only for that pair and only under /api/mp/.
 */
function mpMethodOverride(): Koa.Middleware {
  return (ctx, next) => {
    if (ctx.method === 'POST' && ctx.path.startsWith('/api/mp/') && ctx.get('x-http-method-override').toUpperCase() === 'PATCH') ctx.method = 'PATCH';
    return next();
  };
}

/** 'ok' when the check settles well within a second, else 'down'; the timer never outlives the check. */
async function answers(check: Promise<unknown>, withinMs = 1000): Promise<'ok' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('timeout')), withinMs); });
  try {
    await Promise.race([check, timeout]);
    return 'ok';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

function registerSystemRoutes(api: ApiRouter, deps: Deps, metrics: HttpMetrics, openapi: () => object): void {
  const docsDir = getAbsoluteFSPath();
  const ok = Joi.object({ status: Joi.string() });
  api
    .add({ method: 'get', path: '/healthz', summary: 'Process is alive', tags: ['system'], auth: 'none', response: ok }, () => ({ status: 'ok' }))
    .add(
      { method: 'get', path: '/readyz', summary: 'MySQL and Redis answer (503 when one does not)', tags: ['system'], auth: 'none', errors: ['NOT_READY'] },
      async ({ ctx }) => {
        const [mysql, redis] = await Promise.all([answers(deps.db.query('SELECT 1')), answers(deps.redis.ping())]);
        // Which dependency is down is for operators (the operations port), not for anyone on the internet.
        const detail = ctx.state.ops === true ? { mysql, redis } : undefined;
        if (mysql !== 'ok' || redis !== 'ok') throw new AppError(CommonErrors.NOT_READY, 'Not ready', detail);
        return { status: 'ready', ...detail };
      },
    )
    .add({ method: 'get', path: '/metrics', summary: 'Prometheus metrics', tags: ['system'], auth: 'none' }, async ({ ctx }) => {
      ctx.type = metrics.registry.contentType;
      return metrics.registry.metrics();
    })
    .add({ method: 'get', path: '/openapi.json', summary: 'This OpenAPI 3 document', tags: ['system'], auth: 'none' }, () => openapi())
    .add({ method: 'get', path: '/docs', summary: 'Swagger UI', tags: ['system'], auth: 'none' }, ({ ctx }) => {
      ctx.type = 'html';
      return swaggerUiHtml('/openapi.json');
    })
    .add(
      {
        method: 'get', path: '/docs/:asset', summary: 'Swagger UI assets', tags: ['system'], auth: 'none',
        params: Joi.object({ asset: Joi.string().valid('swagger-ui.css', 'swagger-ui-bundle.js').required() }), errors: ['NOT_FOUND'],
      },
      ({ params, ctx }) => {
        ctx.type = path.extname(params.asset);
        ctx.set('Cache-Control', 'public, max-age=86400');
        return fs.createReadStream(path.join(docsDir, params.asset));
      },
    );
}
