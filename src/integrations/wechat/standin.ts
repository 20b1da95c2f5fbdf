import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { Clock } from '../../shared/clock';
import { systemClock } from '../../shared/clock';

/**
 * A local stand-in for the WeChat mini-program server API (api.weixin.qq.com), used by tests and
 * by `npm start` when no real AppID is configured. It answers with WeChat's documented shapes
 * and error codes, and has a control API (on the handle, and over HTTP under `/__standin/`)
 * to mint codes the way `wx.login` / the phone-number button would, and to inject failures.
 *
 * One handler per WeChat API in `handlers` (wxacode.getUnlimited answers a real PNG,
 * subscribeMessage.send records what it delivered).
 */

export type StandInApi = 'jscode2session' | 'getuserphonenumber' | 'stable_token' | 'getwxacodeunlimit' | 'subscribe_send';

export interface StandInRequest {
  api: string;
  at: Date;
}

/** A subscribe message the stand-in accepted (subscribeMessage.send), as WeChat would deliver it. */
export interface StandInSubscribeMessage {
  touser: string;
  templateId: string;
  page: string | null;
  data: Record<string, string>;
  miniprogramState: string;
  at: Date;
}

export interface StandInHandle {
  url: string;
  close(): Promise<void>;
  /** Simulates wx.login: a fresh single-use code for that user (a new random openid when none is given). */
  issueLoginCode(user?: { openid?: string; unionid?: string }): string;
  /** Simulates the getPhoneNumber button: a fresh single-use code for that phone number. */
  issuePhoneCode(phone: string, countryCode?: string): string;
  /** The next `times` calls (default 1) of `api` answer `{ errcode }` instead of doing their work. */
  failNext(api: StandInApi, errcode: number, times?: number): void;
  /** The next `times` calls (default 1) of `api` answer only after `ms` milliseconds (for timeouts). */
  delayNext(api: StandInApi, ms: number, times?: number): void;
  /** Makes every access token issued so far invalid (the next use answers 40001). */
  invalidateAccessTokens(): void;
  /** Every WeChat API call received (control calls excluded), oldest first. */
  readonly requests: StandInRequest[];
  /** How many calls of one API were received. */
  count(api: StandInApi | string): number;
  /** Subscribe messages delivered (refused ones are not), oldest first. */
  readonly subscribeMessages: StandInSubscribeMessage[];
}

export interface StandInOptions {
  port?: number;
  host?: string;
  clock?: Clock;
  appId: string;
  appSecret: string;
  /** Pages of the "published" mini-program: wxacode with check_path refuses others (41030). Default: pages/index/index. */
  publishedPages?: string[];
}

// WeChat documents login and phone codes as valid for 5 minutes and usable once.
const CODE_TTL_MS = 5 * 60 * 1000;
const TOKEN_TTL_SECONDS = 7200;
// After a force refresh of a stable token, the previous one stays valid for 5 minutes.
const OLD_TOKEN_GRACE_MS = 5 * 60 * 1000;

const ERRMSG: Record<number, string> = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40013: 'invalid appid',
  40003: 'invalid openid',
  40029: 'invalid code',
  40037: 'invalid template_id',
  40097: 'invalid args',
  40129: 'invalid scene',
  40169: 'invalid length for scene, or the data is not json string',
  40125: 'invalid appsecret',
  40163: 'code been used',
  40226: 'high risk user, login blocked',
  41001: 'access_token missing',
  41002: 'appid missing',
  41004: 'appsecret missing',
  41008: 'missing code',
  41030: 'invalid page',
  42001: 'access_token expired',
  43101: 'user refuse to accept the msg',
  44002: 'empty post data',
  45009: 'reach max api daily quota limit',
  45011: 'api minute-quota reach limit  mustslower  retry next minute',
  47001: 'data format error',
  47003: 'argument invalid! data invalid',
};

interface LoginCode { openid: string; unionid?: string; issuedAt: number; used: boolean }
interface PhoneCode { phone: string; countryCode: string; issuedAt: number; used: boolean }
interface Injected { kind: 'fail' | 'delay'; value: number; times: number }

// `raw`: a binary answer (wxacode's image) instead of JSON.
type Answer = { status?: number; body: unknown; raw?: { contentType: string; data: Buffer } };
interface Call { url: URL; body: Record<string, unknown> | undefined }
type ApiHandler = (call: Call) => Answer;

const ok = (body: object): Answer => ({ body });
const wxError = (errcode: number): Answer => ({ body: { errcode, errmsg: `${ERRMSG[errcode] ?? 'error'} rid: ${randomBytes(6).toString('hex')}` } });

const WXACODE_SCENE = /^[0-9A-Za-z!#$&'()*+,/:;=?@._~-]+$/;

// PNG writing with zlib only: CRC-32 per chunk (ISO 3309 polynomial), IDAT deflated.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * A QR-looking mini-program code as a real PNG (8-bit greyscale, `width` px square): three finder
 * squares and modules drawn from a hash of page and scene, so each code looks different. The scene
 * and page ride in tEXt chunks, so a test can tell which code an image is.
 */
export function wxacodePng(scene: string, page: string, width: number): Buffer {
  const modules = 29; // 25 modules and a 2-module quiet zone on each side
  const cell = Math.max(1, Math.floor(width / modules));
  const offset = Math.floor((width - cell * modules) / 2);
  let bits = createHash('sha256').update(`${page}?${scene}`).digest();
  while (bits.length * 8 < modules * modules) bits = Buffer.concat([bits, createHash('sha256').update(bits).digest()]);
  const finder = (x: number, y: number): boolean | null => {
    for (const [fx, fy] of [[2, 2], [modules - 9, 2], [2, modules - 9]]) {
      const dx = x - fx, dy = y - fy;
      if (dx < -1 || dx > 7 || dy < -1 || dy > 7) continue;
      if (dx === -1 || dx === 7 || dy === -1 || dy === 7) return false; // the white separator
      return dx === 0 || dx === 6 || dy === 0 || dy === 6 || (dx >= 2 && dx <= 4 && dy >= 2 && dy <= 4);
    }
    return null;
  };
  const dark = (x: number, y: number): boolean => {
    if (x < 2 || y < 2 || x >= modules - 2 || y >= modules - 2) return false;
    const f = finder(x, y);
    if (f !== null) return f;
    const i = y * modules + x;
    return ((bits[i >> 3] >> (i & 7)) & 1) === 1;
  };
  const rows = Buffer.alloc((width + 1) * width, 0xff);
  for (let y = 0; y < width; y++) {
    rows[y * (width + 1)] = 0; // filter: none
    const my = Math.floor((y - offset) / cell);
    for (let x = 0; x < width; x++) {
      const mx = Math.floor((x - offset) / cell);
      if (y >= offset && x >= offset && mx < modules && my < modules && dark(mx, my)) rows[y * (width + 1) + 1 + x] = 0;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(width, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // bit depth 8, greyscale, deflate, adaptive filtering, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('tEXt', Buffer.from(`scene\0${scene}`, 'latin1')),
    pngChunk('tEXt', Buffer.from(`page\0${page}`, 'latin1')),
    pngChunk('IDAT', deflateSync(rows)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function randomOpenid(): string {
  // Real openids are 28 characters, starting with "o".
  return `o${randomBytes(20).toString('base64url').slice(0, 27)}`;
}

export async function startWeChatStandIn(opts: StandInOptions): Promise<StandInHandle> {
  const clock = opts.clock ?? systemClock;
  const now = () => clock.now().getTime();
  const publishedPages = new Set(opts.publishedPages ?? ['pages/index/index']);
  const loginCodes = new Map<string, LoginCode>();
  const phoneCodes = new Map<string, PhoneCode>();
  let currentToken: string | null = null;
  const injected = new Map<string, Injected[]>();
  const requests: StandInRequest[] = [];
  const subscribeMessages: StandInSubscribeMessage[] = [];
  const pending = new Set<NodeJS.Timeout>(); // injected delays, cleared on close
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(timer);
        resolve();
      }, ms);
      pending.add(timer);
    });

  const credentialsError = (appid: unknown, secret: unknown): Answer | null => {
    if (!appid) return wxError(41002);
    if (appid !== opts.appId) return wxError(40013);
    if (!secret) return wxError(41004);
    if (secret !== opts.appSecret) return wxError(40125);
    return null;
  };

  // Access tokens are signed with the AppSecret rather than kept in memory, so every stand-in
  // with the same AppID accepts them — as WeChat is one service for all of our processes.
  const sign = (payload: string) => createHmac('sha256', opts.appSecret).update(payload).digest('base64url').slice(0, 32);
  const shortened = new Map<string, number>(); // force-refreshed tokens: their grace-period end
  let revokedBefore = 0; // real ms: tokens issued at or before this are invalid (invalidateAccessTokens)
  const tokenExpiry = (token: string): { expiresAt: number; issued: number } | null => {
    const [nonce, expires, issued, sig] = token.split('.');
    if (!nonce || !expires || !issued || sig !== sign(`${nonce}.${expires}.${issued}`)) return null;
    if (Number(issued) <= revokedBefore) return null;
    return { expiresAt: Math.min(Number(expires), shortened.get(token) ?? Infinity), issued: Number(issued) };
  };

  const tokenError = (token: string | null): Answer | null => {
    if (!token) return wxError(41001);
    const t = tokenExpiry(token);
    if (!t) return wxError(40001);
    if (t.expiresAt <= now()) return wxError(42001);
    return null;
  };

  const consume = <T extends { issuedAt: number; used: boolean }>(codes: Map<string, T>, code: string): T | Answer => {
    const entry = codes.get(code);
    if (!entry || entry.issuedAt + CODE_TTL_MS <= now()) return wxError(40029);
    if (entry.used) return wxError(40163);
    entry.used = true;
    return entry;
  };
  const isAnswer = (x: unknown): x is Answer => typeof x === 'object' && x !== null && 'body' in x;

  const issueToken = (): string => {
    const nonce = randomBytes(24).toString('base64url');
    const payload = `${nonce}.${now() + TOKEN_TTL_SECONDS * 1000}.${Math.max(Date.now(), revokedBefore + 1)}`;
    currentToken = `${payload}.${sign(payload)}`;
    return currentToken;
  };

  // One handler per WeChat API, keyed by method and path.
  const handlers: Record<string, { api: StandInApi | string; handle: ApiHandler }> = {
    'GET /sns/jscode2session': {
      api: 'jscode2session',
      handle: ({ url }) => {
        const q = url.searchParams;
        const bad = credentialsError(q.get('appid'), q.get('secret'));
        if (bad) return bad;
        if (q.get('grant_type') !== 'authorization_code') return wxError(40002);
        const code = q.get('js_code');
        if (!code) return wxError(41008);
        const entry = consume(loginCodes, code);
        if (isAnswer(entry)) return entry;
        return ok({
          session_key: randomBytes(16).toString('base64'),
          openid: entry.openid,
          ...(entry.unionid ? { unionid: entry.unionid } : {}),
        });
      },
    },
    'POST /wxa/business/getuserphonenumber': {
      api: 'getuserphonenumber',
      handle: ({ url, body }) => {
        const bad = tokenError(url.searchParams.get('access_token'));
        if (bad) return bad;
        if (!body) return wxError(44002);
        if (typeof body.code !== 'string' || !body.code) return wxError(47001);
        const entry = consume(phoneCodes, body.code);
        if (isAnswer(entry)) return entry;
        return ok({
          errcode: 0,
          errmsg: 'ok',
          phone_info: {
            phoneNumber: entry.countryCode === '86' ? entry.phone : `+${entry.countryCode}${entry.phone}`,
            purePhoneNumber: entry.phone,
            countryCode: entry.countryCode,
            watermark: { timestamp: Math.floor(now() / 1000), appid: opts.appId },
          },
        });
      },
    },
    'POST /wxa/getwxacodeunlimit': {
      api: 'getwxacodeunlimit',
      handle: ({ url, body }) => {
        const bad = tokenError(url.searchParams.get('access_token'));
        if (bad) return bad;
        if (!body) return wxError(44002);
        const scene = body.scene;
        if (typeof scene !== 'string' || scene.length === 0 || scene.length > 32) return wxError(40169);
        if (!WXACODE_SCENE.test(scene)) return wxError(40129);
        const page = body.page === undefined || body.page === '' ? 'pages/index/index' : body.page;
        if (typeof page !== 'string' || page.startsWith('/') || page.includes('?')) return wxError(41030);
        if (body.check_path !== false && !publishedPages.has(page)) return wxError(41030);
        if (body.env_version !== undefined && !['release', 'trial', 'develop'].includes(body.env_version as string)) return wxError(40097);
        // WeChat clamps the width to 280–1280 px.
        const width = Math.min(1280, Math.max(280, typeof body.width === 'number' ? Math.round(body.width) : 430));
        return { body: null, raw: { contentType: 'image/png', data: wxacodePng(scene, page, width) } };
      },
    },
    'POST /cgi-bin/message/subscribe/send': {
      api: 'subscribe_send',
      // Credits are not modelled (every send is accepted); tests make it refuse with failNext('subscribe_send', 43101).
      handle: ({ url, body }) => {
        const bad = tokenError(url.searchParams.get('access_token'));
        if (bad) return bad;
        if (!body) return wxError(44002);
        if (typeof body.touser !== 'string' || !body.touser) return wxError(40003);
        if (typeof body.template_id !== 'string' || !body.template_id) return wxError(40037);
        const state = body.miniprogram_state ?? 'formal';
        if (!['developer', 'trial', 'formal'].includes(state as string)) return wxError(47003);
        if (body.lang !== undefined && !['zh_CN', 'en_US', 'zh_HK', 'zh_TW'].includes(body.lang as string)) return wxError(47003);
        if (body.page !== undefined && typeof body.page !== 'string') return wxError(47003);
        const data: Record<string, string> = {};
        if (typeof body.data !== 'object' || body.data === null || Array.isArray(body.data)) return wxError(47003);
        for (const [key, field] of Object.entries(body.data as Record<string, unknown>)) {
          const value = (field as { value?: unknown } | null)?.value;
          if (typeof value !== 'string' && typeof value !== 'number') return wxError(47003);
          // WeChat's documented limits of the common keyword types.
          const limit = /^thing\d+$/.test(key) ? 20 : /^phrase\d+$/.test(key) ? 5 : /^character_string\d+$/.test(key) ? 32 : Infinity;
          if (String(value).length > limit) return wxError(47003);
          data[key] = String(value);
        }
        subscribeMessages.push({
          touser: body.touser, templateId: body.template_id, page: (body.page as string | undefined) ?? null, data, miniprogramState: state as string, at: clock.now(),
        });
        return ok({ errcode: 0, errmsg: 'ok', msgid: Number(`${Date.now()}${Math.floor(Math.random() * 1000)}`.slice(-15)) });
      },
    },
    'POST /cgi-bin/stable_token': {
      api: 'stable_token',
      handle: ({ body }) => {
        if (!body) return wxError(44002);
        if (body.grant_type !== 'client_credential') return wxError(40002);
        const bad = credentialsError(body.appid, body.secret);
        if (bad) return bad;
        const currentExpiry = currentToken ? tokenExpiry(currentToken) : null;
        const current = currentToken && currentExpiry && currentExpiry.expiresAt > now() ? currentToken : null;
        let token: string;
        if (body.force_refresh === true || !current) {
          // Force refresh: a new token; the previous one keeps working for a short grace period.
          if (current) shortened.set(current, Math.min(currentExpiry!.expiresAt, now() + OLD_TOKEN_GRACE_MS));
          token = issueToken();
        } else {
          token = current;
        }
        return ok({ access_token: token, expires_in: Math.max(1, Math.floor((tokenExpiry(token)!.expiresAt - now()) / 1000)) });
      },
    },
  };

  const issueLoginCode = (user: { openid?: string; unionid?: string } = {}): string => {
    const code = randomBytes(16).toString('hex');
    loginCodes.set(code, { openid: user.openid ?? randomOpenid(), unionid: user.unionid, issuedAt: now(), used: false });
    return code;
  };
  const issuePhoneCode = (phone: string, countryCode = '86'): string => {
    const code = randomBytes(32).toString('hex');
    phoneCodes.set(code, { phone, countryCode, issuedAt: now(), used: false });
    return code;
  };
  const inject = (api: string, item: Injected) => {
    const list = injected.get(api) ?? [];
    list.push(item);
    injected.set(api, list);
  };
  const takeInjected = (api: string, kind: Injected['kind']): number | undefined => {
    const list = injected.get(api);
    const i = list?.findIndex((x) => x.kind === kind) ?? -1;
    if (!list || i < 0) return undefined;
    const item = list[i];
    if (--item.times <= 0) list.splice(i, 1);
    return item.value;
  };

  // Control API over HTTP, for people running the demo with curl.
  const control: Record<string, ApiHandler> = {
    'POST /__standin/login-code': ({ body }) => {
      const openid = typeof body?.openid === 'string' ? body.openid : undefined;
      const unionid = typeof body?.unionid === 'string' ? body.unionid : undefined;
      return ok({ code: issueLoginCode({ openid, unionid }) });
    },
    'POST /__standin/phone-code': ({ body }) => {
      if (typeof body?.phone !== 'string' || !/^\d{5,15}$/.test(body.phone)) return { status: 400, body: { error: 'phone: 5-15 digits' } };
      return ok({ code: issuePhoneCode(body.phone, typeof body.countryCode === 'string' ? body.countryCode : undefined) });
    },
    'POST /__standin/fail-next': ({ body }) => {
      if (typeof body?.api !== 'string' || typeof body.errcode !== 'number') return { status: 400, body: { error: 'api and errcode required' } };
      inject(body.api, { kind: 'fail', value: body.errcode, times: typeof body.times === 'number' ? body.times : 1 });
      return ok({ ok: true });
    },
    'GET /__standin/requests': () => ok({ requests }),
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://standin');
        const key = `${req.method} ${url.pathname}`;
        let body: Record<string, unknown> | undefined;
        const raw = Buffer.concat(chunks).toString('utf8');
        let answer: Answer;
        try {
          body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
        } catch {
          body = undefined;
        }
        if (raw && body === undefined) {
          answer = wxError(47001);
        } else if (control[key]) {
          answer = control[key]({ url, body });
        } else if (handlers[key]) {
          const { api, handle } = handlers[key];
          requests.push({ api, at: clock.now() });
          const delay = takeInjected(api, 'delay');
          if (delay) await wait(delay);
          const fail = takeInjected(api, 'fail');
          answer = fail !== undefined ? wxError(fail) : handle({ url, body });
        } else {
          answer = { status: 404, body: { errcode: 404, errmsg: 'no such api in the stand-in' } };
        }
        if (res.destroyed) return;
        if (answer.raw) {
          res.writeHead(answer.status ?? 200, { 'Content-Type': answer.raw.contentType, 'Content-Length': answer.raw.data.length });
          res.end(answer.raw.data);
          return;
        }
        res.writeHead(answer.status ?? 200, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(answer.body));
      })();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host && opts.host !== '0.0.0.0' && opts.host !== '::' ? opts.host : '127.0.0.1';

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    requests,
    issueLoginCode,
    issuePhoneCode,
    failNext: (api, errcode, times = 1) => inject(api, { kind: 'fail', value: errcode, times }),
    delayNext: (api, ms, times = 1) => inject(api, { kind: 'delay', value: ms, times }),
    invalidateAccessTokens: () => {
      revokedBefore = Date.now();
      currentToken = null;
    },
    count: (api) => requests.filter((r) => r.api === api).length,
    subscribeMessages,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of pending) clearTimeout(timer);
        pending.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
