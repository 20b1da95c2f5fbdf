import createClient from 'openapi-fetch';
import type { paths } from './schema';
import { ApiError, rolesFor } from './errors';
import { enrolmentRequired, session, sessionExpired } from '@/composables/session';

const methods = new WeakMap<Response, string>();

/** The typed API client: paths, parameters and bodies come from the API's own OpenAPI document. */
export const api = createClient<paths>({ baseUrl: globalThis.location?.origin ?? 'http://localhost' });

api.use({
  onRequest({ request }) {
    if (session.token) request.headers.set('Authorization', `Bearer ${session.token}`);
    return request;
  },
  async onResponse({ request, response }) {
    methods.set(response, request.method);
    // A 401 anywhere but the login itself: the session ended (expired, revoked, password changed).
    if (response.status === 401 && !new URL(request.url).pathname.endsWith('/auth/login')) sessionExpired();
    // A 403 that says this session may only enrol TOTP: to the account page, whatever was asked.
    if (response.status === 403) {
      const body = (await response.clone().json().catch(() => null)) as { error?: { code?: string } } | null;
      if (body?.error?.code === 'STAFF_TOTP_ENROLMENT_REQUIRED') enrolmentRequired();
    }
    return response;
  },
});

interface Answer { data?: unknown; error?: unknown; response: Response }

/** The answer's data, or an ApiError with the API's code, message, field details and the roles a 403 needed. */
export async function unwrap<T>(call: Promise<Answer>): Promise<T> {
  let answer: Answer;
  try {
    answer = await call;
  } catch {
    throw new ApiError(0, 'NETWORK', '网络异常', null, null);
  }
  const { data, error, response } = answer;
  if (response.ok) return data as T;
  const e = (error as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
  const url = new URL(response.url || 'http://x/');
  throw new ApiError(
    response.status,
    e?.code ?? `HTTP_${response.status}`,
    e?.message ?? response.statusText,
    e?.details,
    response.headers.get('x-request-id'),
    response.status === 403 ? rolesFor(methods.get(response) ?? 'GET', url.pathname) : null,
  );
}
