/**
 * One error type for everything the product refuses on purpose. Each module declares its codes
 * with their HTTP status through `defineErrors`; the error middleware renders them.
 */
export class AppError extends Error {
  constructor(
    public readonly code: string,
    message: string,
    public readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

const statusByCode = new Map<string, number>();

/** Registers a module's error codes and returns them as constants. */
export function defineErrors<T extends Record<string, number>>(codes: T): { [K in keyof T]: K } {
  const out = {} as { [K in keyof T]: K };
  for (const [code, status] of Object.entries(codes)) {
    const known = statusByCode.get(code);
    if (known !== undefined && known !== status) throw new Error(`error code ${code} declared twice with different statuses`);
    statusByCode.set(code, status);
    (out as Record<string, string>)[code] = code;
  }
  return out;
}

/** The codes of a `defineErrors` result, as keys of ErrorCodeRegistry. */
export type CodesOf<T> = { [K in keyof T & string]: true };

/**
 * Every error code the product declares: each module's errors file adds its own by declaration
 * merging (`interface ErrorCodeRegistry extends CodesOf<typeof XErrors> {}`), so a route's
 * declared errors are checked names.
 */
export interface ErrorCodeRegistry extends CodesOf<typeof CommonErrors>, CodesOf<CryptoCodes> {}

/** A declared error code. */
export type ErrorCode = keyof ErrorCodeRegistry & string;

// shared/crypto.ts declares DECRYPT_FAILED; named here because shared/ files register no codes by merging.
type CryptoCodes = { DECRYPT_FAILED: 500 };

export function statusOf(code: string): number {
  return statusByCode.get(code) ?? 500;
}

export const CommonErrors = defineErrors({
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAUTHENTICATED: 401,
  TOKEN_INVALID: 401,
  FORBIDDEN: 403,
  METHOD_NOT_ALLOWED: 405,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  UPSTREAM_UNAVAILABLE: 503,
  NOT_READY: 503,
  INTERNAL: 500,
});

export interface FieldProblem {
  field: string;
  message: string;
  type?: string;
}

export function validationError(problems: FieldProblem[], message = 'Request is not valid'): AppError {
  return new AppError(CommonErrors.VALIDATION_FAILED, message, problems);
}

export function notFound(what = 'Resource'): AppError {
  return new AppError(CommonErrors.NOT_FOUND, `${what} not found`);
}
