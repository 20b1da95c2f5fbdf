import Joi from 'joi';

export type NodeEnv = 'development' | 'test' | 'production';

/** A default that differs by NODE_ENV; `undefined` for an environment: unset there. */
export type PerEnv<T> = { development: T; test: T; production: T };

/** One environment variable: its name, its joi rule, its default, its doc line, and how it enters its area's slice. */
export interface Setting<T> {
  readonly name: string;
  /** The joi rule with the default(s) applied: validated together with every other setting. */
  readonly rule: Joi.Schema;
  /** What it means, as shown in .env.example (one comment line per line) and in README's settings table. */
  readonly doc: string;
  /** As declared: one value, a PerEnv, or undefined (unset). */
  readonly default: unknown;
  /** Shown (commented out) in .env.example when there is no single default. */
  readonly example?: string;
  /** The validated value (defaults applied) → the slice's value; a problem is added to `problems`, not thrown. */
  readonly read: (value: unknown, problems: string[]) => T;
}

interface Options<V, Out> {
  doc: string;
  example?: string;
  map?: (value: V, problems: string[]) => Out;
}

/** A setting shape: settings and nested groups of settings, as the slice should look. */
export interface Shape { readonly [key: string]: Setting<unknown> | Shape }

/** The slice a shape reads into: each setting replaced by its value. */
export type SliceOf<S> = { -readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : SliceOf<S[K]> };

export interface Area<S extends Shape> {
  /** Heading of the area's block in .env.example. */
  readonly title: string;
  readonly settings: S;
  /** Comment lines under the heading, about the area as a whole. */
  readonly intro?: string;
  /** Rules between settings of this area, on the read slice: one message per problem. */
  check?(slice: SliceOf<S>): string[];
}

export function area<S extends Shape>(title: string, settings: S, extra: { intro?: string; check?: (slice: SliceOf<S>) => string[] } = {}): Area<S> {
  return { title, settings, ...extra };
}

export const isSetting = (s: Setting<unknown> | Shape): s is Setting<unknown> => typeof s.name === 'string' && typeof s.read === 'function';

export const isPerEnv = (d: unknown): d is PerEnv<unknown> => typeof d === 'object' && d !== null && 'production' in d;

function withDefault(rule: Joi.Schema, dflt: unknown): Joi.Schema {
  if (dflt === undefined) return rule;
  if (!isPerEnv(dflt)) return rule.default(dflt);
  const is = (d: unknown) => (d === undefined ? rule : rule.default(d));
  return rule.when('NODE_ENV', {
    switch: [{ is: 'development', then: is(dflt.development) }, { is: 'test', then: is(dflt.test) }],
    otherwise: is(dflt.production),
  });
}

/** A setting with a default (one, or one per environment): its value is never undefined. */
export function setting<T, Out = T>(name: string, rule: Joi.AnySchema<T>, opts: Options<T, Out> & { default: T | PerEnv<T> }): Setting<NoInfer<Out>>;
/** A setting that may be unset (in some environment): its value may be undefined. */
export function setting<T, Out = T | undefined>(
  name: string, rule: Joi.AnySchema<T>, opts: Options<T | undefined, Out> & { default?: PerEnv<T | undefined> },
): Setting<NoInfer<Out>>;
export function setting(name: string, rule: Joi.Schema, opts: Options<unknown, unknown> & { default?: unknown }): Setting<unknown> {
  const map = opts.map ?? ((v: unknown) => v);
  return { name, rule: withDefault(rule, opts.default), doc: opts.doc, default: opts.default, example: opts.example, read: map };
}

/** An integer setting within [min, max] (the most common kind). */
export function int<Out = number>(name: string, opts: Options<number, Out> & { min: number; max?: number; default: number }): Setting<NoInfer<Out>> {
  const rule = Joi.number().integer().min(opts.min);
  return setting(name, opts.max === undefined ? rule : rule.max(opts.max), opts);
}

/** One of a few words; the slice gets their union type. */
export function oneOf<const W extends string>(name: string, words: readonly W[], opts: Options<W, W> & { default: W | PerEnv<W> }): Setting<NoInfer<W>> {
  return setting<W>(name, Joi.string().valid(...words) as unknown as Joi.AnySchema<W>, opts);
}

/** Every setting of a shape, flattened, in declaration order. */
export function settingsOf(shape: Shape): Setting<unknown>[] {
  return Object.values(shape).flatMap((s) => (isSetting(s) ? [s] : settingsOf(s)));
}

/** Reads a shape's slice out of the validated environment. */
export function readSlice<S extends Shape>(shape: S, env: Record<string, unknown>, problems: string[]): SliceOf<S> {
  const slice: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(shape)) slice[key] = isSetting(s) ? s.read(env[s.name], problems) : readSlice(s, env, problems);
  return slice as SliceOf<S>;
}

// Rules several settings share.
export const STAFF_ROLES = ['director', 'doctor', 'consultant', 'customer_service'] as const;
export type StaffRoleName = (typeof STAFF_ROLES)[number];
export const staffRoleList = () =>
  Joi.string().pattern(/^(director|doctor|consultant|customer_service)(,(director|doctor|consultant|customer_service))*$/, 'comma list of staff roles');
export const clockTime = () => Joi.string().pattern(/^([01]\d|2[0-3]):[0-5]\d$/);
export const pagePath = () => Joi.string().pattern(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'page path without a leading / or query');
/** Required in production, optional elsewhere (where a local default stands in). */
export const requiredInProduction = (rule: Joi.StringSchema) => rule.when('NODE_ENV', { is: 'production', then: Joi.required(), otherwise: Joi.optional() });
/** "a,b,a" → ["a", "b"]. */
export const uniqueList = <T extends string = string>(spec: string): T[] => [...new Set(spec.split(','))] as T[];
