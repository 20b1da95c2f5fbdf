import { randomUUID } from 'node:crypto';
import type { Config } from '../../config';
import type { Redis } from '../../shared/redis';
import type { Logger } from '../../shared/logger';
import { SubscribeMessageInput, UnlimitedQrCodeInput, WeChatApi, WeChatError, WeChatPhone, WeChatSession } from './types';

type Json = Record<string, unknown>;

// Refresh a little before WeChat's expiry, so no instance hands out a token about to die.
const TOKEN_SAFETY_MARGIN_SECONDS = 300;
const TOKEN_ERRCODES = new Set([40001, 42001]);
// Compare-and-delete: only the holder releases the lock; only the rejected token is dropped.
const DEL_IF_EQUALS = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Typed client of the WeChat mini-program server API (base URL from config, so tests and the
 * local demo point it at the stand-in). The access token is cached in Redis for every instance,
 * and a Redis lock lets only one instance refresh it at a time. Never logs codes, session keys,
 * phone numbers, secrets or tokens — nor URLs, which carry them.
 */
export class WeChatClient implements WeChatApi {
  private readonly tokenKey: string;
  private readonly lockKey: string;

  constructor(
    private readonly cfg: Config['wechat'],
    private readonly redis: Redis,
    private readonly log: Logger,
  ) {
    this.tokenKey = `wechat:access_token:${cfg.appId}`;
    this.lockKey = `wechat:access_token_lock:${cfg.appId}`;
  }

  async code2Session(jsCode: string): Promise<WeChatSession> {
    const body = await this.call('jscode2session', 'GET', '/sns/jscode2session', {
      appid: this.cfg.appId,
      secret: this.cfg.appSecret,
      js_code: jsCode,
      grant_type: 'authorization_code',
    });
    if (typeof body.openid !== 'string' || !body.openid || typeof body.session_key !== 'string') {
      throw this.unexpected('jscode2session');
    }
    return {
      openid: body.openid,
      ...(typeof body.unionid === 'string' && body.unionid ? { unionid: body.unionid } : {}),
      sessionKey: body.session_key,
    };
  }

  async getPhoneNumber(code: string): Promise<WeChatPhone> {
    const body = await this.withAccessToken((token) =>
      this.call('getuserphonenumber', 'POST', '/wxa/business/getuserphonenumber', { access_token: token }, { code }),
    );
    const info = body.phone_info as Json | undefined;
    if (!info || typeof info.purePhoneNumber !== 'string' || typeof info.phoneNumber !== 'string') {
      throw this.unexpected('getuserphonenumber');
    }
    return { phoneNumber: info.phoneNumber, purePhoneNumber: info.purePhoneNumber, countryCode: String(info.countryCode ?? '86') };
  }

  /**
   * wxacode.getUnlimited: WeChat answers the image itself, or JSON `{ errcode, errmsg }` on failure
   * (41030 page not published, 40169 scene too long, 45009 quota), which becomes a WeChatError.
   */
  async getUnlimitedQrCode(input: UnlimitedQrCodeInput): Promise<{ image: Buffer; contentType: string }> {
    return this.withAccessToken((token) =>
      this.fetchImage('getwxacodeunlimit', '/wxa/getwxacodeunlimit', { access_token: token }, {
        scene: input.scene,
        page: input.page,
        check_path: input.checkPath ?? true,
        env_version: input.envVersion ?? 'release',
        width: input.width ?? 430,
      }),
    );
  }

  /** subscribeMessage.send; WeChat's refusal (43101 no credit …) becomes a WeChatError. */
  async sendSubscribeMessage(input: SubscribeMessageInput): Promise<{ msgid: string | null }> {
    const data = Object.fromEntries(Object.entries(input.data).map(([k, value]) => [k, { value }]));
    const body = await this.withAccessToken((token) =>
      this.call('subscribe_send', 'POST', '/cgi-bin/message/subscribe/send', { access_token: token }, {
        touser: input.touser,
        template_id: input.templateId,
        ...(input.page ? { page: input.page } : {}),
        data,
        miniprogram_state: input.miniprogramState ?? 'formal',
        lang: input.lang ?? 'zh_CN',
      }),
    );
    return { msgid: body.msgid === undefined || body.msgid === null ? null : String(body.msgid) };
  }

  /**
   * The shared access token: from the Redis cache, else fetched through stable_token by one
   * instance while the others wait for it. `forceRefresh` replaces the cached token.
   */
  async getAccessToken(forceRefresh = false): Promise<string> {
    const cached = await this.redis.get(this.tokenKey);
    if (cached && !forceRefresh) return cached;
    return this.refreshToken(cached, forceRefresh);
  }

  /** Runs a call with the token; when WeChat says the token is invalid or expired, refreshes once and retries. */
  private async withAccessToken<T = Json>(work: (token: string) => Promise<T>): Promise<T> {
    const token = await this.getAccessToken();
    try {
      return await work(token);
    } catch (err) {
      if (!(err instanceof WeChatError) || !TOKEN_ERRCODES.has(err.errcode)) throw err;
      this.log.warn({ errcode: err.errcode }, 'WeChat rejected the cached access token; refreshing once');
      await this.redis.eval(DEL_IF_EQUALS, 1, this.tokenKey, token);
      return work(await this.refreshToken(token, false));
    }
  }

  /**
   * Fetches a new token unless another instance already replaced `rejected`. The lock holder
   * fetches; the others poll the cache until a token other than `rejected` appears.
   */
  private async refreshToken(rejected: string | null, force: boolean): Promise<string> {
    const lockMs = this.cfg.timeoutMs * 2 + 1000;
    const deadline = Date.now() + lockMs + this.cfg.timeoutMs;
    const lockId = randomUUID();
    for (;;) {
      if ((await this.redis.set(this.lockKey, lockId, 'PX', lockMs, 'NX')) === 'OK') {
        try {
          const cached = await this.redis.get(this.tokenKey);
          if (cached && cached !== rejected) return cached;
          let fresh = await this.fetchStableToken(force);
          // Normal mode hands back the still-valid token; if that is the one WeChat just refused, force a new one.
          if (!force && rejected && fresh.token === rejected) fresh = await this.fetchStableToken(true);
          const ttl = Math.max(1, fresh.expiresIn - TOKEN_SAFETY_MARGIN_SECONDS);
          await this.redis.set(this.tokenKey, fresh.token, 'EX', ttl);
          this.log.info({ ttl, force }, 'WeChat access token refreshed');
          return fresh.token;
        } finally {
          await this.redis.eval(DEL_IF_EQUALS, 1, this.lockKey, lockId).catch(() => undefined);
        }
      }
      await sleep(40 + Math.floor(Math.random() * 40));
      const cached = await this.redis.get(this.tokenKey);
      if (cached && cached !== rejected) return cached;
      if (Date.now() > deadline) throw new WeChatError(-2, 'timed out waiting for another instance to refresh the access token');
    }
  }

  private async fetchStableToken(force: boolean): Promise<{ token: string; expiresIn: number }> {
    const body = await this.call('stable_token', 'POST', '/cgi-bin/stable_token', {}, {
      grant_type: 'client_credential',
      appid: this.cfg.appId,
      secret: this.cfg.appSecret,
      force_refresh: force,
    });
    if (typeof body.access_token !== 'string' || typeof body.expires_in !== 'number') throw this.unexpected('stable_token');
    return { token: body.access_token, expiresIn: body.expires_in };
  }

  /** One HTTP call; WeChat's `errcode` ≠ 0 becomes a WeChatError, a network failure or timeout errcode -2. */
  private async call(api: string, method: 'GET' | 'POST', path: string, query: Record<string, string>, payload?: Json): Promise<Json> {
    const url = new URL(path.replace(/^\//, ''), this.cfg.apiBaseUrl.endsWith('/') ? this.cfg.apiBaseUrl : `${this.cfg.apiBaseUrl}/`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    let status: number;
    let text: string;
    try {
      const res = await fetch(url, {
        method,
        headers: payload ? { 'Content-Type': 'application/json' } : undefined,
        body: payload ? JSON.stringify(payload) : undefined,
        signal: AbortSignal.timeout(this.cfg.timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      const reason = (err as Error).name === 'TimeoutError' ? 'timeout' : 'network';
      this.log.warn({ api, failure: reason }, 'WeChat API unreachable');
      throw new WeChatError(-2, reason === 'timeout' ? `no answer within ${this.cfg.timeoutMs} ms` : 'WeChat API unreachable');
    }
    if (status !== 200) {
      this.log.warn({ api, status }, 'WeChat API answered with an HTTP error');
      throw new WeChatError(-2, `HTTP ${status}`);
    }
    let body: Json;
    try {
      body = JSON.parse(text) as Json;
    } catch {
      throw this.unexpected(api);
    }
    if (typeof body !== 'object' || body === null) throw this.unexpected(api);
    const errcode = typeof body.errcode === 'number' ? body.errcode : 0;
    if (errcode !== 0) {
      const errmsg = typeof body.errmsg === 'string' ? body.errmsg : '';
      this.log.warn({ api, errcode, errmsg }, 'WeChat API refused');
      throw new WeChatError(errcode, errmsg);
    }
    return body;
  }

  /** A POST whose success is binary (an image); an answer in JSON is WeChat's error. */
  private async fetchImage(api: string, path: string, query: Record<string, string>, payload: Json): Promise<{ image: Buffer; contentType: string }> {
    const url = new URL(path.replace(/^\//, ''), this.cfg.apiBaseUrl.endsWith('/') ? this.cfg.apiBaseUrl : `${this.cfg.apiBaseUrl}/`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    let status: number;
    let contentType: string;
    let data: Buffer;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(this.cfg.timeoutMs),
      });
      status = res.status;
      contentType = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
      data = Buffer.from(await res.arrayBuffer());
    } catch (err) {
      const reason = (err as Error).name === 'TimeoutError' ? 'timeout' : 'network';
      this.log.warn({ api, failure: reason }, 'WeChat API unreachable');
      throw new WeChatError(-2, reason === 'timeout' ? `no answer within ${this.cfg.timeoutMs} ms` : 'WeChat API unreachable');
    }
    if (status !== 200) {
      this.log.warn({ api, status }, 'WeChat API answered with an HTTP error');
      throw new WeChatError(-2, `HTTP ${status}`);
    }
    if (contentType.startsWith('image/') && data.length > 0) return { image: data, contentType };
    let body: Json;
    try {
      body = JSON.parse(data.toString('utf8')) as Json;
    } catch {
      throw this.unexpected(api);
    }
    const errcode = typeof body?.errcode === 'number' ? body.errcode : 0;
    if (errcode === 0) throw this.unexpected(api);
    const errmsg = typeof body.errmsg === 'string' ? body.errmsg : '';
    this.log.warn({ api, errcode, errmsg }, 'WeChat API refused');
    throw new WeChatError(errcode, errmsg);
  }

  private unexpected(api: string): WeChatError {
    this.log.warn({ api }, 'WeChat API answered in an unexpected shape');
    return new WeChatError(-2, `unexpected answer from ${api}`);
  }
}
