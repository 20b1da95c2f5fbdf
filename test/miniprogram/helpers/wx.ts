/**
 * A fake `wx` global for mini-program tests and the screenshots script: storage in memory,
 * toasts/modals/navigation recorded, wx.login answering a code, and wx.request served by a
 * pluggable adapter — `mockApi({...})` (scripted, for page tests) or `httpAdapter(url)` (the real
 * API over HTTP, for end-to-end tests).
 *
 * Mini-program sources are never imported statically from tests (their `wx` typings clash with
 * Node's): use renderPage() or mpModule() from ./render.
 */
import http from 'node:http';
import { URL } from 'node:url';

/** One call the mini-program made through wx.request. */
export interface ApiCall {
  method: string;
  /** Path without the query string, e.g. /api/mp/points */
  path: string;
  query: Record<string, string>;
  body: unknown;
  headers: Record<string, string>;
}

export interface ApiAnswer {
  status: number;
  body?: unknown;
}

/** `network: 'fail'` makes wx.request call `fail` (the phone lost its network); 'timeout' likewise with a timeout message. */
export interface NetworkDrop {
  network: 'fail' | 'timeout';
}

/**
 * A route's answer: a fixed answer, a function of the call, or a list answered in turn (the last
 * one repeats). Keys are 'METHOD /path' (matched without the query string) or 'METHOD /path?a=1'
 * (matched with it, preferred). Path segments may be ':param' wildcards: 'GET /api/mp/plans/:id'.
 */
export type RouteAnswer = ApiAnswer | NetworkDrop | ((call: ApiCall) => ApiAnswer | NetworkDrop | Promise<ApiAnswer | NetworkDrop>);
export type ApiScript = Record<string, RouteAnswer | RouteAnswer[]>;

export interface Adapter {
  handle(call: ApiCall): Promise<ApiAnswer | NetworkDrop>;
}

export interface ModalCall {
  title?: string;
  content?: string;
  confirmText?: string;
  cancelText?: string;
  showCancel?: boolean;
}

/** Everything the fake wx recorded, plus the knobs a test turns. */
export interface WxState {
  storage: Map<string, unknown>;
  toasts: { title: string; icon?: string }[];
  modals: ModalCall[];
  /** What the next showModal answers (default: confirm). Shifted per call; empty → confirm. */
  modalAnswers: ('confirm' | 'cancel')[];
  navigations: { type: 'navigateTo' | 'redirectTo' | 'switchTab' | 'reLaunch' | 'navigateBack'; url?: string; delta?: number }[];
  calls: ApiCall[];
  /** Calls answered so far (calls.length - answered = still pending). */
  answered: number;
  loginCodes: string[];
  /** Produces the code wx.login answers (default: 'code-1', 'code-2', …). */
  nextLoginCode: () => string;
  clipboard?: string;
  /** Subscription answers for wx.requestSubscribeMessage: templateId → 'accept' | 'reject'. */
  subscribeAnswers: Record<string, string>;
  subscribeRequests: string[][];
  shareMenus: unknown[];
  savedImages: string[];
  previews: unknown[];
  /** Anything else a test wants to read: api name → list of option objects it was called with. */
  other: Record<string, unknown[]>;
  adapter: Adapter;
}

let state: WxState;

function noAdapter(): Adapter {
  return {
    async handle(call) {
      return { status: 599, body: { error: { code: 'NO_ADAPTER', message: `no API answer scripted for ${call.method} ${call.path}` } } };
    },
  };
}

function matchRoute(script: ApiScript, call: ApiCall): RouteAnswer | RouteAnswer[] | undefined {
  const qs = new URLSearchParams(call.query).toString();
  const exact = script[`${call.method} ${call.path}${qs ? `?${qs}` : ''}`];
  if (exact) return exact;
  const plain = script[`${call.method} ${call.path}`];
  if (plain) return plain;
  const segs = call.path.split('/');
  for (const [key, answer] of Object.entries(script)) {
    const [m, p] = key.split(' ');
    if (m !== call.method || p.includes('?')) continue;
    const ks = p.split('/');
    if (ks.length === segs.length && ks.every((k, i) => k.startsWith(':') || k === segs[i])) return answer;
  }
  return undefined;
}

/**
 * The scripted adapter for page tests. An unscripted call answers 404 NOT_FOUND (so a page's
 * "nothing yet" state shows) and is listed in `unmatched` for tests that want to check.
 */
export function mockApi(script: ApiScript): Adapter & { unmatched: ApiCall[]; script: ApiScript } {
  const turns = new Map<string, number>();
  const unmatched: ApiCall[] = [];
  return {
    unmatched,
    script,
    async handle(call) {
      const route = matchRoute(script, call);
      if (!route) {
        unmatched.push(call);
        return { status: 404, body: { error: { code: 'NOT_FOUND', message: `not scripted: ${call.method} ${call.path}` } } };
      }
      let answer: RouteAnswer;
      if (Array.isArray(route)) {
        const key = `${call.method} ${call.path}`;
        const n = turns.get(key) ?? 0;
        turns.set(key, n + 1);
        answer = route[Math.min(n, route.length - 1)];
      } else {
        answer = route;
      }
      return typeof answer === 'function' ? answer(call) : answer;
    },
  };
}

/** The real-HTTP adapter for end-to-end tests: sends each call to `baseUrl` with node http. */
export function httpAdapter(baseUrl: string): Adapter {
  return {
    handle(call) {
      return new Promise((resolve, reject) => {
        const url = new URL(call.path, baseUrl);
        for (const [k, v] of Object.entries(call.query)) url.searchParams.set(k, v);
        const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
        const req = http.request(
          url,
          { method: call.method, headers: { ...call.headers, ...(payload ? { 'content-length': Buffer.byteLength(payload).toString() } : {}) } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const raw = Buffer.concat(chunks);
              const type = String(res.headers['content-type'] ?? '');
              let body: unknown = raw.toString('utf8');
              if (type.includes('json') && raw.length) body = JSON.parse(raw.toString('utf8'));
              else if (!type.startsWith('text/') && raw.length) body = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length);
              resolve({ status: res.statusCode ?? 0, body });
            });
          },
        );
        req.on('error', reject);
        if (payload) req.write(payload);
        req.end();
      });
    },
  };
}

/**
 * A deep copy made in this module's realm. (Node's structuredClone would make arrays of the outer
 * realm under jest, which j-component's setData does not take for arrays.)
 */
function clone<T>(v: T): T {
  if (v === undefined || v === null || typeof v !== 'object') return v;
  if (v instanceof ArrayBuffer) return v.slice(0) as T;
  if (ArrayBuffer.isView(v)) return (v as unknown as { slice(): T }).slice();
  return JSON.parse(JSON.stringify(v)) as T;
}

type Callbacks = { success?: (r: unknown) => void; fail?: (e: { errMsg: string }) => void; complete?: (r: unknown) => void };

/** Calls success/complete like wx does, and resolves too (wx APIs return a promise when no callback is given). */
function answer<T>(opts: Callbacks | undefined, result: T): Promise<T> {
  opts?.success?.(result);
  opts?.complete?.(result);
  return Promise.resolve(result);
}

function record(name: string, opts: unknown): void {
  (state.other[name] ??= []).push(opts);
}

function parseUrl(url: string): { path: string; query: Record<string, string> } {
  const u = new URL(url, 'http://mp.local');
  return { path: u.pathname, query: Object.fromEntries(u.searchParams.entries()) };
}

/** Builds the fake wx object over a fresh state. */
function buildWx(): Record<string, unknown> {
  return {
    getStorageSync: (key: string) => (state.storage.has(key) ? clone(state.storage.get(key)) : ''),
    setStorageSync: (key: string, value: unknown) => void state.storage.set(key, clone(value)),
    removeStorageSync: (key: string) => void state.storage.delete(key),
    clearStorageSync: () => state.storage.clear(),
    getStorage: (o: Callbacks & { key: string }) =>
      state.storage.has(o.key) ? answer(o, { data: clone(state.storage.get(o.key)) }) : (o.fail?.({ errMsg: 'getStorage:fail data not found' }), Promise.reject(new Error('not found'))),
    setStorage: (o: Callbacks & { key: string; data: unknown }) => (state.storage.set(o.key, clone(o.data)), answer(o, { errMsg: 'setStorage:ok' })),
    removeStorage: (o: Callbacks & { key: string }) => (state.storage.delete(o.key), answer(o, { errMsg: 'removeStorage:ok' })),
    getAccountInfoSync: () => ({ miniProgram: { appId: 'touristappid', envVersion: 'develop', version: '' } }),
    getSystemInfoSync: () => ({ windowWidth: 375, windowHeight: 812, screenWidth: 375, screenHeight: 812, pixelRatio: 2, platform: 'devtools', language: 'zh_CN', SDKVersion: '3.5.0' }),
    getWindowInfo: () => ({ windowWidth: 375, windowHeight: 812, screenWidth: 375, screenHeight: 812, pixelRatio: 2, statusBarHeight: 20 }),
    login: (o?: Callbacks) => {
      const code = state.nextLoginCode();
      state.loginCodes.push(code);
      return answer(o, { code, errMsg: 'login:ok' });
    },
    request: (o: Callbacks & { url: string; method?: string; data?: unknown; header?: Record<string, string> }) => {
      const { path, query } = parseUrl(o.url);
      const call: ApiCall = {
        method: (o.method ?? 'GET').toUpperCase(),
        path,
        query,
        body: o.data === undefined ? undefined : clone(o.data),
        headers: { ...(o.header ?? {}) },
      };
      state.calls.push(call);
      const adapter = state.adapter;
      // Answer asynchronously, like the real wx.request.
      void Promise.resolve()
        .then(() => adapter.handle(call))
        .then(
          (res) => {
            state.answered += 1;
            if ('network' in res) {
              const errMsg = res.network === 'timeout' ? 'request:fail timeout' : 'request:fail -101:net::ERR_INTERNET_DISCONNECTED';
              o.fail?.({ errMsg });
              o.complete?.({ errMsg });
              return;
            }
            const r = { statusCode: res.status, data: res.body === undefined ? '' : clone(res.body), header: {}, errMsg: 'request:ok' };
            o.success?.(r);
            o.complete?.(r);
          },
          (err: Error) => {
            state.answered += 1;
            o.fail?.({ errMsg: `request:fail ${err.message}` });
            o.complete?.({ errMsg: 'request:fail' });
          },
        );
      return { abort: () => undefined };
    },
    showToast: (o: Callbacks & { title: string; icon?: string }) => (state.toasts.push({ title: o.title, icon: o.icon }), answer(o, { errMsg: 'showToast:ok' })),
    hideToast: (o?: Callbacks) => answer(o, {}),
    showLoading: (o: Callbacks & { title?: string }) => (record('showLoading', o), answer(o, {})),
    hideLoading: (o?: Callbacks) => answer(o, {}),
    showModal: (o: Callbacks & ModalCall) => {
      state.modals.push({ title: o.title, content: o.content, confirmText: o.confirmText, cancelText: o.cancelText, showCancel: o.showCancel });
      const confirm = (state.modalAnswers.shift() ?? 'confirm') === 'confirm';
      return answer(o, { confirm, cancel: !confirm, errMsg: 'showModal:ok' });
    },
    showActionSheet: (o: Callbacks & { itemList: string[] }) => (record('showActionSheet', o), answer(o, { tapIndex: 0 })),
    navigateTo: (o: Callbacks & { url: string }) => (state.navigations.push({ type: 'navigateTo', url: o.url }), answer(o, { errMsg: 'navigateTo:ok' })),
    redirectTo: (o: Callbacks & { url: string }) => (state.navigations.push({ type: 'redirectTo', url: o.url }), answer(o, { errMsg: 'redirectTo:ok' })),
    switchTab: (o: Callbacks & { url: string }) => (state.navigations.push({ type: 'switchTab', url: o.url }), answer(o, { errMsg: 'switchTab:ok' })),
    reLaunch: (o: Callbacks & { url: string }) => (state.navigations.push({ type: 'reLaunch', url: o.url }), answer(o, { errMsg: 'reLaunch:ok' })),
    navigateBack: (o?: Callbacks & { delta?: number }) => (state.navigations.push({ type: 'navigateBack', delta: o?.delta ?? 1 }), answer(o, { errMsg: 'navigateBack:ok' })),
    setNavigationBarTitle: (o: Callbacks & { title: string }) => (record('setNavigationBarTitle', o), answer(o, {})),
    stopPullDownRefresh: (o?: Callbacks) => (record('stopPullDownRefresh', o ?? {}), answer(o, {})),
    setClipboardData: (o: Callbacks & { data: string }) => ((state.clipboard = o.data), answer(o, { errMsg: 'setClipboardData:ok' })),
    showShareMenu: (o: Callbacks) => (state.shareMenus.push(o), answer(o, {})),
    requestSubscribeMessage: (o: Callbacks & { tmplIds: string[] }) => {
      state.subscribeRequests.push(o.tmplIds);
      const res: Record<string, string> = { errMsg: 'requestSubscribeMessage:ok' };
      for (const id of o.tmplIds) res[id] = state.subscribeAnswers[id] ?? 'accept';
      return answer(o, res);
    },
    saveImageToPhotosAlbum: (o: Callbacks & { filePath: string }) => (state.savedImages.push(o.filePath), answer(o, { errMsg: 'saveImageToPhotosAlbum:ok' })),
    previewImage: (o: Callbacks) => (state.previews.push(o), answer(o, {})),
    getFileSystemManager: () => ({
      writeFile: (o: Callbacks & { filePath: string }) => (record('writeFile', o), answer(o, { errMsg: 'writeFile:ok' })),
      writeFileSync: (filePath: string) => record('writeFile', { filePath }),
    }),
    env: { USER_DATA_PATH: 'wxfile://usr' },
    openPrivacyContract: (o?: Callbacks) => (record('openPrivacyContract', o ?? {}), answer(o, {})),
    makePhoneCall: (o: Callbacks & { phoneNumber: string }) => (record('makePhoneCall', o), answer(o, {})),
    vibrateShort: (o?: Callbacks) => answer(o, {}),
    pageScrollTo: (o?: Callbacks) => answer(o, {}),
    nextTick: (fn: () => void) => void Promise.resolve().then(fn),
    canIUse: () => true,
  };
}

/**
 * Installs a fresh fake wx (keeping any methods miniprogram-simulate added, e.g. createSelectorQuery)
 * and returns its state. Call before rendering; renderPage() does it when not yet installed.
 */
export function installWx(opts: { adapter?: Adapter; storage?: Record<string, unknown> } = {}): WxState {
  let n = 0;
  state = {
    storage: new Map(Object.entries(opts.storage ?? {})),
    toasts: [],
    modals: [],
    modalAnswers: [],
    navigations: [],
    calls: [],
    answered: 0,
    loginCodes: [],
    nextLoginCode: () => `code-${++n}`,
    subscribeAnswers: {},
    subscribeRequests: [],
    shareMenus: [],
    savedImages: [],
    previews: [],
    other: {},
    adapter: opts.adapter ?? noAdapter(),
  };
  const g = globalThis as unknown as { wx?: Record<string, unknown> };
  g.wx = Object.assign(g.wx ?? {}, buildWx());
  return state;
}

/** The current fake wx state (installs one when none is). */
export function wxState(): WxState {
  if (!state) installWx();
  return state;
}

/** Swaps the API behind wx.request (e.g. a new mockApi script mid-test). */
export function setAdapter(adapter: Adapter): void {
  wxState().adapter = adapter;
}

/** Lets all answered requests and the promise chains after them run (no timers are slept on). */
export async function flush(timeoutMs = 15_000): Promise<void> {
  // Until every request has its answer and the promise chains after it have run (five idle turns).
  // Time-bounded, not turn-bounded: against the real API under load an answer can take many turns.
  const deadline = Date.now() + timeoutMs;
  for (let idle = 0; idle < 5 && Date.now() < deadline; ) {
    const s = wxState();
    const pending = s.calls.length !== s.answered;
    await new Promise((r) => setTimeout(r, pending ? 2 : 0));
    const after = wxState();
    idle = after.calls.length === after.answered ? idle + 1 : 0;
  }
}

/** The calls made to one route ('GET /api/mp/points'), in order. */
export function callsTo(route: string): ApiCall[] {
  const [method, path] = route.split(' ');
  return wxState().calls.filter((c) => c.method === method && c.path === path);
}
