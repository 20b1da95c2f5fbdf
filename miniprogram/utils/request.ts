/**
 * The one way the mini-program talks to the API: base URL, Bearer token, a silent re-login when
 * the token has expired, retries of idempotent calls when the network drops, and a friendly
 * Chinese message on every error. Pages never call this directly; services/<area>.ts do.
 */
import { config, defaultBaseUrl, envVersion } from './config';
import { friendlyMessage } from './errors';
import { session, type LaunchInfo } from './session';

export interface ApiError {
  code: string;
  message: string;
  details?: unknown;
  status: number;
  friendly: string;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  method?: Method;
  path: string;
  data?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  /** Safe to send twice (e.g. carries a client-generated id): retried on network failure like a GET. */
  idempotent?: boolean;
  /** Send the Bearer token (default true); false for the login call itself. */
  auth?: boolean;
  /** 'arraybuffer' for images the API serves (e.g. the referral QR code). */
  responseType?: 'text' | 'arraybuffer';
  /** The body's type when it is not JSON (a photo upload sends the image's bytes as an ArrayBuffer). */
  contentType?: string;
}

/** POST /api/mp/auth/login answer. */
export interface LoginResult {
  token: string;
  expiresIn: number;
  client: { id: string; isNew: boolean };
  referral?: { bound: boolean; reason?: string };
}

let baseUrl: string | undefined;

export function setBaseUrl(url: string): void {
  baseUrl = url.replace(/\/+$/, '');
}

function base(): string {
  if (baseUrl === undefined) baseUrl = defaultBaseUrl().replace(/\/+$/, '');
  return baseUrl;
}

/** The absolute URL of an API path (for wx.downloadFile and the like). */
export function apiUrl(path: string, query?: RequestOptions['query']): string {
  const qs = Object.entries(query ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return `${base()}${path}${qs ? `?${qs}` : ''}`;
}

export function isApiError(e: unknown): e is ApiError {
  return typeof e === 'object' && e !== null && typeof (e as ApiError).code === 'string' && typeof (e as ApiError).friendly === 'string';
}

/** The request never reached the API or its answer never came back. */
class NetworkFailure {
  constructor(readonly errMsg: string) {}
}

interface RawResponse {
  status: number;
  body: unknown;
}

function send(
  method: Method, url: string, data: unknown, token: string | undefined, responseType?: 'text' | 'arraybuffer', contentType = 'application/json',
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const header: Record<string, string> = { 'content-type': contentType };
    if (token) header.Authorization = `Bearer ${token}`;
    // wx.request has no PATCH; the API honours the override header under /api/mp/.
    if (method === 'PATCH') header['X-HTTP-Method-Override'] = 'PATCH';
    wx.request({
      url,
      method: method === 'PATCH' ? 'POST' : method,
      // A GET carries its parameters in the query string, never a body.
      data: method === 'GET' ? undefined : (data as WechatMiniprogram.IAnyObject | undefined),
      header,
      timeout: config.timeoutMs,
      dataType: responseType === 'arraybuffer' ? '其他' : 'json',
      responseType: responseType ?? 'text',
      success: (res) => resolve({ status: res.statusCode, body: res.data }),
      fail: (err) => reject(new NetworkFailure(err.errMsg || 'request:fail')),
    });
  });
}

function apiErrorOf(res: RawResponse): ApiError {
  let body = res.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      // A proxy's HTML error page: only the status is known.
    }
  }
  const e = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  const code = typeof e?.code === 'string' ? e.code : `HTTP_${res.status}`;
  const message = typeof e?.message === 'string' ? e.message : `HTTP ${res.status}`;
  return { code, message, details: e?.details, status: res.status, friendly: friendlyMessage(code, res.status) };
}

function networkError(f: NetworkFailure): ApiError {
  const code = /timeout/i.test(f.errMsg) ? 'TIMEOUT' : 'NETWORK';
  return { code, message: f.errMsg, status: 0, friendly: friendlyMessage(code, 0) };
}

function wxLoginCode(): Promise<string> {
  if (config.devStandInUrl && envVersion() === 'develop') return standInLoginCode();
  return new Promise((resolve, reject) => {
    wx.login({
      success: (r) => (r.code ? resolve(r.code) : reject(new NetworkFailure('login:fail no code'))),
      fail: (err) => reject(new NetworkFailure(err.errMsg || 'login:fail')),
    });
  });
}

/** Local development against the API's WeChat stand-in: one stable fake WeChat user per DevTools. */
async function standInLoginCode(): Promise<string> {
  let openid = wx.getStorageSync('dev.openid') as string;
  if (!openid) {
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    openid = `o${Array.from({ length: 27 }, () => chars[Math.floor(Math.random() * chars.length)]).join('')}`;
    wx.setStorageSync('dev.openid', openid);
  }
  const res = await send('POST', `${config.devStandInUrl.replace(/\/+$/, '')}/__standin/login-code`, { openid }, undefined);
  const code = (res.body as { code?: string } | undefined)?.code;
  if (res.status !== 200 || !code) throw new NetworkFailure('login:fail stand-in gave no code');
  return code;
}

let loginInFlight: Promise<LoginResult> | undefined;

/**
 * Logs in with a fresh wx.login code; the launch query goes along until one login succeeded.
 * Concurrent callers share one login. Rejects with ApiError.
 */
export function login(): Promise<LoginResult> {
  return sharedLogin().catch((e: unknown) => {
    throw e instanceof NetworkFailure ? networkError(e) : e;
  });
}

/** One login at a time; a network failure stays a NetworkFailure so request() can retry it. */
function sharedLogin(): Promise<LoginResult> {
  if (!loginInFlight) {
    loginInFlight = doLogin().finally(() => {
      loginInFlight = undefined;
    });
  }
  return loginInFlight;
}

async function doLogin(): Promise<LoginResult> {
  const code = await wxLoginCode();
  const launch: LaunchInfo | undefined = session.pendingLaunch();
  const res = await send('POST', apiUrl('/api/mp/auth/login'), launch ? { code, launch } : { code }, undefined);
  if (res.status !== 200) throw apiErrorOf(res);
  const result = res.body as LoginResult;
  session.setToken(result.token, result.expiresIn);
  session.clearPendingLaunch();
  if (result.referral && !result.referral.bound) session.setReferralNotice(result.referral.reason ?? 'unknown');
  // Bound to a referrer: the home page asks (unticked) whether the referrer may see the client's status.
  if (result.referral?.bound) session.setReferralConsentPending();
  return result;
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Calls the API; resolves with the body of a 2xx answer, rejects with ApiError. */
export async function request<T>(opts: RequestOptions): Promise<T> {
  const method = opts.method ?? 'GET';
  const auth = opts.auth !== false;
  const retryable = method === 'GET' || opts.idempotent === true;
  const tries = retryable ? 1 + config.retryDelaysMs.length : 1;
  const url = apiUrl(opts.path, opts.query);
  let relogged = false;
  let failures = 0;
  for (;;) {
    let res: RawResponse;
    let sent: string | undefined;
    try {
      if (auth && !session.token()) await sharedLogin();
      sent = auth ? session.token() : undefined;
      res = await send(method, url, opts.data, sent, opts.responseType, opts.contentType);
    } catch (e) {
      if (!(e instanceof NetworkFailure)) throw e;
      failures += 1;
      if (failures >= tries) throw networkError(e);
      // Same method, URL and body again: only calls that are safe to repeat get here.
      await wait(config.retryDelaysMs[failures - 1] ?? 0);
      continue;
    }
    if (res.status >= 200 && res.status < 300) return (res.status === 204 ? undefined : res.body) as T;
    const err = apiErrorOf(res);
    if (auth && res.status === 401 && !relogged && (err.code === 'TOKEN_INVALID' || err.code === 'UNAUTHENTICATED')) {
      // The token expired (or the session was ended elsewhere): log in again once, then resend.
      relogged = true;
      // Unless a call beside this one has already logged in again meanwhile.
      if (session.token() === sent) session.clearToken();
      continue;
    }
    throw err;
  }
}
