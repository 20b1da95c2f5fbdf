import Joi from 'joi';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { AppError, CommonErrors, FieldProblem, validationError } from '../errors';
import type { StaffRole } from '../../modules/staff/staff.entity';

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
  /** Error codes this route may answer with, for the document. */
  errors?: string[];
}

/** Validated input handed to a handler; nothing else from the request should be read. */
export interface RouteInput<B = any, Q = any, P = any> {
  body: B;
  query: Q;
  params: P;
  ctx: Context;
}

export type Handler = (input: RouteInput) => Promise<unknown> | unknown;

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
 * A router whose every route is declared with a `RouteSpec`. Routes from all ApiRouters are
 * listed by `allRouteSpecs` for the OpenAPI document, so an undocumented route cannot exist.
 */
export class ApiRouter {
  readonly router = new Router();
  readonly specs: RouteSpec[] = [];

  constructor(private readonly auth: AuthHooks) {}

  add(spec: RouteSpec, handler: Handler): this {
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
      const input: RouteInput = {
        params: validate('params', spec.params, ctx.params, QUERY_OPTS),
        query: validate('query', spec.query, { ...ctx.query }, QUERY_OPTS),
        body: validate('body', spec.body, (ctx.request as { body?: unknown }).body, BODY_OPTS),
        ctx,
      };
      const result = await handler(input);
      ctx.status = spec.status ?? (result === undefined ? 204 : 200);
      if (result !== undefined) ctx.body = result;
    };
    this.router.register(spec.path, [spec.method.toUpperCase()], mw);
    return this;
  }

  middleware(): Middleware {
    return this.router.routes() as unknown as Middleware;
  }
}

export function principalOf<T extends Principal['kind']>(ctx: Context, kind: T): Extract<Principal, { kind: T }> {
  const p = ctx.state.principal as Principal | undefined;
  if (!p || p.kind !== kind) throw new AppError(CommonErrors.UNAUTHENTICATED, 'Log in first');
  return p as Extract<Principal, { kind: T }>;
}
