import j2s from 'joi-to-swagger';
import Joi from 'joi';
import type { RouteSpec } from './route';
import { statusOf } from '../errors';

const errorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
};

type JsonSchema = { [k: string]: unknown };

/**
 * joi-to-swagger writes `.allow(null)` on alternatives as `nullable` beside `anyOf`, which OpenAPI
 * 3.0 validators ignore without a `type` (so null is refused); each branch carries it instead.
 */
function nullableIntoBranches(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(nullableIntoBranches);
  if (!s || typeof s !== 'object') return s;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(s as JsonSchema)) out[k] = nullableIntoBranches(v);
  // `.valid(…).allow(null)`: OpenAPI 3.0 needs null among the enum values as well as `nullable`.
  if (out.nullable === true && Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  // `.unknown(true)`: other keys are allowed; said outright, or openapi-typescript types the object as having no other keys.
  if (out.type === 'object' && out.additionalProperties === undefined) out.additionalProperties = true;
  if (out.nullable === true && Array.isArray(out.anyOf) && out.type === undefined) {
    out.anyOf = (out.anyOf as JsonSchema[]).map((b) => ({ ...b, nullable: true }));
    delete out.nullable;
  }
  return out;
}

/** The OpenAPI schema of a joi schema. */
function schemaOf(schema: Joi.Schema): unknown {
  return nullableIntoBranches(j2s(schema).swagger);
}

type Description = { flags?: { presence?: string }; keys?: Record<string, Description>; items?: Description[]; [k: string]: unknown };
type Branch = { schema?: Description; then?: Description; otherwise?: Description; switch?: Branch[]; rule?: Description; [k: string]: unknown };

/**
 * A joi description whose object keys are required unless their schema says otherwise
 * (`.optional()`, `.forbidden()`): joi's describe() names a key's presence only where it was set.
 */
function keysRequired(d: Description): Description {
  const out: Description = { ...d };
  if (d.keys) {
    out.keys = Object.fromEntries(Object.entries(d.keys).map(([k, child]) => {
      const c = keysRequired(child);
      return [k, c.flags?.presence ? c : { ...c, flags: { ...c.flags, presence: 'required' } }];
    }));
  }
  if (d.items) out.items = d.items.map(keysRequired);
  const branch = (b: Branch): Branch => ({
    ...b,
    ...(b.schema ? { schema: keysRequired(b.schema) } : {}),
    ...(b.then ? { then: keysRequired(b.then) } : {}),
    ...(b.otherwise ? { otherwise: keysRequired(b.otherwise) } : {}),
    ...(b.rule ? { rule: keysRequired(b.rule) } : {}),
    ...(b.switch ? { switch: b.switch.map(branch) } : {}),
  });
  for (const list of ['matches', 'whens', 'patterns'] as const) if (Array.isArray(d[list])) out[list] = (d[list] as Branch[]).map(branch);
  return out;
}

/**
 * The OpenAPI schema of a response: every object key is required unless its joi schema says
 * `.optional()`, so the generated types say what the API always sends. (Requests keep joi's own
 * rule — a key is optional unless `.required()` — in `schemaOf`.)
 */
function responseSchemaOf(schema: Joi.Schema): unknown {
  return schemaOf(Joi.build(keysRequired(schema.describe() as Description)));
}

function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(where: 'path' | 'query', schema?: Joi.ObjectSchema): object[] {
  if (!schema) return [];
  const { swagger } = j2s(schema) as { swagger: { properties?: Record<string, object>; required?: string[] } };
  return Object.entries(swagger.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (swagger.required ?? []).includes(name),
    schema: nullableIntoBranches(s),
  }));
}

/** The OpenAPI 3 document, written from the same joi schemas that validate the requests. */
export function buildOpenApi(
  specs: RouteSpec[], info: { title: string; version: string; serverUrl: string }, extra: RouteSpec[] = [],
  /** Codes a route may answer because of the session it was called with (the auth hooks know them). */
  sessionErrors: (spec: RouteSpec) => string[] = () => [],
) {
  const paths: Record<string, Record<string, object>> = {};
  for (const spec of [...specs, ...extra]) {
    const p = toOpenApiPath(spec.path);
    const responses: Record<string, object> = {
      [spec.status ?? 200]: {
        description: 'OK',
        ...(spec.response ? { content: { 'application/json': { schema: responseSchemaOf(spec.response) } } } : {}),
        ...(spec.files ? { content: Object.fromEntries(spec.files.map((type) => [type, { schema: { type: 'string', format: 'binary' } }])) } : {}),
      },
    };
    const codes = new Set<string>([...(spec.errors ?? []), ...(spec.body || spec.query || spec.params ? ['VALIDATION_FAILED'] : [])]);
    // What any route with a body may answer before its handler runs, and what any route may answer when something breaks.
    if (spec.body) for (const c of ['MALFORMED_JSON', 'BODY_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE']) codes.add(c);
    codes.add('INTERNAL');
    if (spec.auth !== 'none') codes.add('UNAUTHENTICATED');
    for (const c of sessionErrors(spec)) codes.add(c);
    if (spec.roles) codes.add('FORBIDDEN');
    const byStatus = new Map<number, string[]>();
    for (const code of codes) byStatus.set(statusOf(code), [...(byStatus.get(statusOf(code)) ?? []), code]);
    for (const [status, list] of byStatus) {
      responses[status] = { description: list.join(', '), content: { 'application/json': { schema: errorBody } } };
    }
    paths[p] ??= {};
    paths[p][spec.method] = {
      summary: spec.summary,
      tags: spec.tags,
      operationId: `${spec.method}_${spec.path.replace(/[^A-Za-z0-9]+/g, '_')}`,
      ...(spec.auth !== 'none' ? { security: [{ [spec.auth === 'client' ? 'clientToken' : 'staffToken']: [] }] } : {}),
      ...(spec.roles ? { 'x-roles': spec.roles, description: `Roles: ${spec.roles.join(', ')}` } : {}),
      parameters: [...parameters('path', spec.params), ...parameters('query', spec.query)],
      ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(spec.body) } } } } : {}),
      ...(spec.upload ? { requestBody: { required: true, content: Object.fromEntries(spec.upload.map((type) => [type, { schema: { type: 'string', format: 'binary' } }])) } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: info.title, version: info.version },
    servers: [{ url: info.serverUrl }],
    components: {
      securitySchemes: {
        clientToken: { type: 'http', scheme: 'bearer', description: 'Mini-program session token from /api/mp/auth/login' },
        staffToken: { type: 'http', scheme: 'bearer', description: 'Staff session token from /api/staff/auth/login' },
      },
    },
    paths,
  };
}

export function swaggerUiHtml(specUrl: string): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>API docs</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specUrl)}, dom_id: '#ui', deepLinking: true });</script>
</body></html>`;
}
