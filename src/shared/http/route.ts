import Joi from 'joi';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { AppError, CommonErrors, FieldProblem, validationError, type ErrorCode } from '../errors';
import type { StaffRole } from '../roles';
import { malformedTextIn, undecodableUrlPart } from './text';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type AuthKind = 'none' | 'client' | 'staff';

export interface ClientPrincipal {
  kind: 'client';
  clientId: number;
  publicId: string;
  tokenHash: string;
}
export interface StaffPrincipal {
  kind: 'staff';
  staffId: number;
  publicId: string;
  role: StaffRole;
  tokenHash: string;
}
export type Principal = ClientPrincipal | StaffPrincipal;

/** What a route declares; the same declaration validates requests and writes the OpenAPI document. */
export interface RouteSpec {
  method: Method;
  /** Koa-style path, e.g. `/api/staff/clients/:id`. */
  path: string;
  summary: string;
  tags: string[];
  auth: AuthKind;
  /** Staff roles allowed; all staff when omitted. */
  roles?: readonly StaffRole[];
  body?: Joi.Schema;
  query?: Joi.ObjectSchema;
  params?: Joi.ObjectSchema;
  /** Status of a successful answer (200 unless said). */
  status?: number;
  /** Schema of the successful answer, for the document. */
  response?: Joi.Schema;
  /** Media types of a file the route answers with instead of JSON (exports), for the document. */
  files?: readonly string[];
  /** Media types of a raw file the route takes as its body (uploads), for the document; the handler reads the stream. */
  upload?: readonly string[];
  /** Error codes this route may answer with, for the document: declared codes only (ErrorCodeRegistry). */
  errors?: readonly ErrorCode[];
}

/** The value a joi schema lets through: its declared type (`Joi.object<T>(…)`), `any` where joi keeps none. */
export type Validated<S> = S extends { readonly '~standard': infer P }
  ? P extends { readonly types?: infer U } ? (NonNullable<U> extends { readonly output: infer T } ? T : any) : any
  : undefined;

/** A route's spec with its schemas' own types, so the handler's input is typed from them. */
export type TypedRouteSpec<B extends Joi.Schema | undefined, Q extends Joi.ObjectSchema | undefined, P extends Joi.ObjectSchema | undefined> =
  Omit<RouteSpec, 'body' | 'query' | 'params'> & { body?: B; query?: Q; params?: P };

/** Validated input handed to a handler; nothing else from the request should be read. */
export interface RouteInput<B = any, Q = any, P = any> {
  body: B;
  query: Q;
  params: P;
  ctx: Context;
}

export type Handler<I extends RouteInput = RouteInput> = (input: I) => Promise<unknown> | unknown;

/** What a handler receives: no body without a body schema, no query or path values without theirs. */
type InputOf<B, Q, P> = RouteInput<
  B extends Joi.Schema ? Validated<B> : undefined,
  Q extends Joi.ObjectSchema ? Validated<Q> : Record<never, never>,
  P extends Joi.ObjectSchema ? Validated<P> : Record<never, never>
>;

export interface AuthHooks {
  authenticate(ctx: Context, kind: Exclude<AuthKind, 'none'>): Promise<Principal>;
  onRoleDenied(ctx: Context, principal: StaffPrincipal, spec: RouteSpec): Promise<void>;
}

const BODY_OPTS: Joi.ValidationOptions = { abortEarly: false, allowUnknown: false, convert: false };
const QUERY_OPTS: Joi.ValidationOptions = { abortEarly: false, allowUnknown: false, convert: true };

function problems(where: string, error: Joi.ValidationError): FieldProblem[] {
  return error.details.map((d) => ({
    field: [where, ...d.path].join('.'),
    message: d.message.replace(/"/g, ''),
    type: d.type,
  }));
}

function validate<T>(where: string, schema: Joi.Schema | undefined, value: unknown, opts: Joi.ValidationOptions): T {
  if (!schema) {
    if (where === 'body' && value !== undefined && !(typeof value === 'object' && value && Object.keys(value).length === 0)) {
      throw validationError([{ field: 'body', message: 'this route takes no body', type: 'object.unknown' }]);
    }
    return (where === 'body' ? undefined : {}) as T;
  }
  const result = schema.validate(value, opts);
  if (result.error) throw validationError(problems(where, result.error));
  return result.value as T;
}

/**
 * The part of a path that picks its router: `/api/<side>/<resource>` or the first segment
 * (lower-cased: routes match without regard to case).
 */
function bucketOf(path: string): string {
  const parts = path.toLowerCase().split('/', 4);
  return parts[1] === 'api' ? `/api/${parts[2] ?? ''}/${parts[3] ?? ''}` : `/${parts[1] ?? ''}`;
}

/**
 * A router whose every route is declared with a `RouteSpec`; the specs also write the OpenAPI
 * document, so an undocumented route cannot exist. Routes live in one @koa/router per path bucket
 * (`/api/mp/me`, `/api/staff/clients`, `/healthz`…): a router tests every route it holds against
 * each request, and with all 140 in one router that matching cost more than the rest of a request.
 */
export class ApiRouter {
  readonly specs: RouteSpec[] = [];
  private readonly buckets = new Map<string, { router: Router; dispatch: Middleware }>();

  constructor(private readonly auth: AuthHooks) {}

  add<B extends Joi.Schema | undefined = undefined, Q extends Joi.ObjectSchema | undefined = undefined, P extends Joi.ObjectSchema | undefined = undefined>(
    spec: TypedRouteSpec<B, Q, P>,
    handler: Handler<InputOf<B, Q, P>>,
  ): this {
    const bucket = bucketOf(spec.path);
    if (/[:*(]/.test(bucket)) throw new Error(`route ${spec.path}: the segments that pick its router (${bucket}) must not hold parameters`);
    this.specs.push(spec);
    const mw: Middleware = async (ctx) => {
      ctx.state.route = spec.path;
      if (spec.auth !== 'none') {
        const principal = await this.auth.authenticate(ctx, spec.auth);
        ctx.state.principal = principal;
        if (principal.kind === 'staff' && spec.roles && !spec.roles.includes(principal.role)) {
          await this.auth.onRoleDenied(ctx, principal, spec);
          throw new AppError(CommonErrors.FORBIDDEN, 'Your role may not do this');
        }
      }
      const hasBody = Boolean(ctx.request.length) || Boolean(ctx.request.get('transfer-encoding'));
      if (spec.body && hasBody && !ctx.request.is('application/json')) {
        throw new AppError(CommonErrors.UNSUPPORTED_MEDIA_TYPE, 'Send JSON (Content-Type: application/json)');
      }
      // Text that is not Unicode is refused in every part of every request, before any schema.
      const badText =
        undecodableUrlPart(ctx.path, ctx.querystring) ??
        malformedTextIn({ ...ctx.query }, 'query') ??
        malformedTextIn((ctx.request as { body?: unknown }).body, 'body');
      if (badText) throw validationError([badText]);
      const input = {
        params: validate('params', spec.params, ctx.params, QUERY_OPTS),
        query: validate('query', spec.query, { ...ctx.query }, QUERY_OPTS),
        body: validate('body', spec.body, (ctx.request as { body?: unknown }).body, BODY_OPTS),
        ctx,
      } as InputOf<B, Q, P>;
      const result = await handler(input);
      ctx.status = spec.status ?? (result === undefined ? 204 : 200);
      if (result !== undefined) ctx.body = result;
    };
    let entry = this.buckets.get(bucket);
    if (!entry) {
      const router = new Router();
      const routes = router.routes() as unknown as Middleware;
      // 405 for a known path with another method, 501 for a method no route knows.
      const allowed = router.allowedMethods({ throw: true }) as unknown as Middleware;
      entry = { router, dispatch: (ctx, next) => allowed(ctx, () => routes(ctx, next)) };
      this.buckets.set(bucket, entry);
    }
    entry.router.register(spec.path, [spec.method.toUpperCase()], mw);
    return this;
  }

  /** Every registered route as @koa/router holds it (path and methods). */
  layers(): { path: string | RegExp; methods: string[] }[] {
    return [...this.buckets.values()].flatMap((b) => b.router.stack);
  }

  middleware(): Middleware {
    return (ctx, next) => {
      const entry = this.buckets.get(bucketOf(ctx.path));
      return entry ? entry.dispatch(ctx, next) : next();
    };
  }
}

export function principalOf<T extends Principal['kind']>(ctx: Context, kind: T): Extract<Principal, { kind: T }> {
  const p = ctx.state.principal as Principal | undefined;
  if (!p || p.kind !== kind) throw new AppError(CommonErrors.UNAUTHENTICATED, 'Log in first');
  return p as Extract<Principal, { kind: T }>;
}
