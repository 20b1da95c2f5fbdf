import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type Koa from 'koa';

/** An answer that /openapi.json does not describe. */
export interface Violation {
  request: string;
  status: number;
  problem: string;
}

const found: Violation[] = [];

/** The violations seen since the last call (test/helpers/openapi-setup.ts fails the test that caused them). */
export function takeViolations(): Violation[] {
  return found.splice(0);
}

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/**
 * Checks every answer of `app` against its own OpenAPI document, as a client generated from the
 * document would see it: the status must be one the operation lists, and a JSON body must match
 * that status's schema. Installed in front of every other middleware, so it sees the final answer.
 */
export function checkResponsesAgainstOpenApi(app: Koa, openapi: () => unknown): void {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const compiled = new Map<object, ValidateFunction>();
  type Operation = { responses: Record<string, { content?: Record<string, { schema?: object }> }> };
  app.middleware.unshift(async (ctx, next) => {
    await next();
    const route = ctx.state.route as string | undefined;
    const method = ctx.method.toLowerCase();
    if (!route || method === 'head' || method === 'options') return;
    // The console's static files (HTML, JS, CSS) are not API operations.
    if (route === '/console' || route.startsWith('/console/')) return;
    const request = `${ctx.method} ${route}`;
    const doc = openapi() as { paths: Record<string, Record<string, Operation>> };
    const op = doc.paths[toOpenApiPath(route)]?.[method];
    if (!op) return void found.push({ request, status: ctx.status, problem: 'the route is not in the document' });
    const documented = op.responses[String(ctx.status)];
    if (!documented) {
      return void found.push({ request, status: ctx.status, problem: `status ${ctx.status} is not documented (only ${Object.keys(op.responses).join(', ')})` });
    }
    const body = ctx.body as unknown;
    if (ctx.status === 204) {
      if (body !== undefined && body !== null && body !== '') found.push({ request, status: ctx.status, problem: '204 with a body' });
      return;
    }
    const schema = documented.content?.['application/json']?.schema;
    if (!schema || !/json/.test(ctx.response.type) || body === null || typeof body !== 'object' || Buffer.isBuffer(body) || typeof (body as { pipe?: unknown }).pipe === 'function') return;
    let validate = compiled.get(schema);
    if (!validate) {
      validate = ajv.compile(schema);
      compiled.set(schema, validate);
    }
    // As the client receives it: dates as strings, undefined fields gone.
    const wire = JSON.parse(JSON.stringify(body));
    if (!validate(wire)) {
      for (const e of validate.errors ?? []) found.push({ request, status: ctx.status, problem: `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}` });
    }
  });
}
