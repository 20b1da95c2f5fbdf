import { createHash, randomUUID } from 'node:crypto';
import type { Config } from '../../config';
import type { Redis } from '../../shared/redis';
import type { Logger } from '../../shared/logger';
import {
  ContactWay, ContactWayInput, CorpTagGroup, ExternalContact, JsapiTicketKind, MiniProgramAttachment, SendTaskInput, SendTaskListed, SendTaskRecipient,
  TextCardInput, WeComApi, WeComError, WeComSecretKind,
} from './types';

type Json = Record<string, unknown>;

// Refresh a little before WeCom's expiry (7200 s), so no process hands out a token about to die.
const SAFETY_MARGIN_SECONDS = 300;
// WeCom's answers for an access token that is invalid or expired: drop it and refresh once.
const TOKEN_ERRCODES = new Set([40014, 42001]);
// Rate limits (frequency, concurrency) and "busy": WeCom did nothing, so waiting and retrying is safe.
const BACKOFF_ERRCODES = new Set([45009, 45033, -1]);
// Compare-and-delete: only the holder releases the lock; only the rejected token is dropped.
const DEL_IF_EQUALS = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

const QR_IMAGE_TIMEOUT_MS = 5000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface CallOpts {
  /** A read (or WeCom dedupes it): a timeout may be retried without doing anything twice. */
  idempotent?: boolean;
}

/**
 * Typed client of WeCom's server API (base URL from config: qyapi.weixin.qq.com or the stand-in).
 * One access token per secret (the app's, customer contact's) and the two jsapi tickets are
 * cached in Redis for every process; a Redis lock lets one process refresh each at a time.
 * Never logs secrets, tokens, tickets or URLs (which carry them).
 */
export class WeComClient implements WeComApi {
  constructor(
    private readonly cfg: Config['wecom'],
    private readonly redis: Redis,
    private readonly log: Logger,
  ) {}

  // ------------------------------------------------------------------ credentials

  async getAccessToken(kind: WeComSecretKind, forceRefresh = false): Promise<string> {
    const key = this.tokenKey(kind);
    const cached = forceRefresh ? null : await this.redis.get(key);
    if (cached) return cached;
    return this.refreshCached(key, forceRefresh ? await this.redis.get(key) : null, async () => {
      const body = await this.call('gettoken', 'GET', '/cgi-bin/gettoken', { corpid: this.cfg.corpId, corpsecret: this.secret(kind) }, undefined, { idempotent: true });
      if (typeof body.access_token !== 'string' || typeof body.expires_in !== 'number') throw this.unexpected('gettoken');
      return { value: body.access_token, expiresIn: body.expires_in };
    });
  }

  /** The corp's jsapi ticket (ww.config) or the app's (ww.agentConfig); WeCom allows few an hour, so they are cached like tokens. */
  async getJsapiTicket(kind: JsapiTicketKind): Promise<string> {
    const key = `wecom:jsapi_ticket:${kind}:${this.cfg.corpId}:${this.cfg.agentId}`;
    const cached = await this.redis.get(key);
    if (cached) return cached;
    return this.refreshCached(key, null, async () => {
      const body = await this.withToken('agent', (token) =>
        kind === 'corp'
          ? this.call('get_jsapi_ticket', 'GET', '/cgi-bin/get_jsapi_ticket', { access_token: token }, undefined, { idempotent: true })
          : this.call('ticket_get', 'GET', '/cgi-bin/ticket/get', { access_token: token, type: 'agent_config' }, undefined, { idempotent: true }),
      );
      if (typeof body.ticket !== 'string' || typeof body.expires_in !== 'number') throw this.unexpected('jsapi ticket');
      return { value: body.ticket, expiresIn: body.expires_in };
    });
  }

  // ------------------------------------------------------------------ customer contact

  async addContactWay(input: ContactWayInput): Promise<ContactWay> {
    const body = await this.withToken('contact', (token) =>
      this.call('add_contact_way', 'POST', '/cgi-bin/externalcontact/add_contact_way', { access_token: token }, {
        type: input.users.length === 1 ? 1 : 2,
        scene: 2,
        state: input.state,
        user: input.users,
        ...(input.remark ? { remark: input.remark } : {}),
        skip_verify: input.skipVerify ?? true,
        ...(input.temporary ? { is_temp: true, expires_in: input.temporary.expiresIn } : {}),
      }),
    );
    if (typeof body.config_id !== 'string' || typeof body.qr_code !== 'string') throw this.unexpected('add_contact_way');
    return { configId: body.config_id, qrCode: body.qr_code };
  }

  async delContactWay(configId: string): Promise<void> {
    await this.withToken('contact', (token) =>
      this.call('del_contact_way', 'POST', '/cgi-bin/externalcontact/del_contact_way', { access_token: token }, { config_id: configId }, { idempotent: true }),
    );
  }

  async getExternalContact(externalUserId: string): Promise<ExternalContact> {
    const body = await this.withToken('contact', (token) =>
      this.call('externalcontact_get', 'GET', '/cgi-bin/externalcontact/get', { access_token: token, external_userid: externalUserId }, undefined, { idempotent: true }),
    );
    const c = body.external_contact as Json | undefined;
    if (!c || typeof c.external_userid !== 'string' || !Array.isArray(body.follow_user)) throw this.unexpected('externalcontact/get');
    return {
      externalUserId: c.external_userid,
      unionid: typeof c.unionid === 'string' && c.unionid ? c.unionid : null,
      type: typeof c.type === 'number' ? c.type : 1,
      followUsers: (body.follow_user as Json[]).map((f) => ({
        userid: String(f.userid),
        createtime: Number(f.createtime ?? 0),
        state: typeof f.state === 'string' && f.state ? f.state : null,
        tagIds: Array.isArray(f.tags) ? (f.tags as Json[]).map((t) => String(t.tag_id ?? '')).filter(Boolean) : [],
        remark: typeof f.remark === 'string' ? f.remark : null,
      })),
    };
  }

  async sendWelcomeMsg(input: { welcomeCode: string; text?: string; miniprogram?: MiniProgramAttachment }): Promise<void> {
    // A welcome code works once: a retry after a timeout would at worst be refused, never sent twice.
    await this.withToken('contact', (token) =>
      this.call('send_welcome_msg', 'POST', '/cgi-bin/externalcontact/send_welcome_msg', { access_token: token }, {
        welcome_code: input.welcomeCode,
        ...(input.text ? { text: { content: input.text } } : {}),
        ...(input.miniprogram
          ? { attachments: [{ msgtype: 'miniprogram', miniprogram: { title: input.miniprogram.title, pic_media_id: input.miniprogram.picMediaId, appid: input.miniprogram.appid, page: input.miniprogram.page } }] }
          : {}),
      }, { idempotent: true }),
    );
  }

  async fetchQrImage(qrCodeUrl: string): Promise<{ contentType: string; body: Buffer }> {
    let res: Response;
    try {
      // An image, from WeCom's picture CDN: a few seconds more than an API answer.
      res = await fetch(qrCodeUrl, { signal: AbortSignal.timeout(Math.max(this.cfg.timeoutMs, QR_IMAGE_TIMEOUT_MS)) });
    } catch {
      throw new WeComError(-2, 'the QR image could not be fetched', 'qr_image');
    }
    const contentType = (res.headers.get('content-type') ?? '').split(';')[0].trim();
    if (res.status !== 200 || !contentType.startsWith('image/')) throw new WeComError(-2, `the QR image answered HTTP ${res.status}`, 'qr_image');
    return { contentType, body: Buffer.from(await res.arrayBuffer()) };
  }

  // ------------------------------------------------------------------ corporate tags

  async getCorpTagList(): Promise<CorpTagGroup[]> {
    const body = await this.contactCall('get_corp_tag_list', '/cgi-bin/externalcontact/get_corp_tag_list', {}, { idempotent: true });
    if (!Array.isArray(body.tag_group)) throw this.unexpected('get_corp_tag_list');
    return (body.tag_group as Json[]).map(tagGroup);
  }

  async addCorpTags(input: { groupId?: string; groupName: string; tags: string[] }): Promise<CorpTagGroup> {
    // Not retried after a timeout: a second call would answer 40071 for tags the first one made (the next sync reads the list).
    const body = await this.contactCall('add_corp_tag', '/cgi-bin/externalcontact/add_corp_tag', {
      ...(input.groupId ? { group_id: input.groupId } : { group_name: input.groupName }),
      tag: input.tags.map((name) => ({ name })),
    });
    if (!body.tag_group || typeof body.tag_group !== 'object') throw this.unexpected('add_corp_tag');
    return tagGroup(body.tag_group as Json);
  }

  async markTag(input: { userid: string; externalUserId: string; add: string[]; remove: string[] }): Promise<void> {
    // Setting tags is the same whether done once or twice.
    await this.contactCall('mark_tag', '/cgi-bin/externalcontact/mark_tag', {
      userid: input.userid, external_userid: input.externalUserId,
      ...(input.add.length ? { add_tag: input.add } : {}), ...(input.remove.length ? { remove_tag: input.remove } : {}),
    }, { idempotent: true });
  }

  // ------------------------------------------------------------------ send tasks (group messages the sender confirms)

  async addMsgTemplate(input: SendTaskInput): Promise<{ msgid: string; failList: string[] }> {
    // Never retried after a timeout (it may have been created): the caller looks for it in the sender's list first.
    const body = await this.contactCall('add_msg_template', '/cgi-bin/externalcontact/add_msg_template', {
      chat_type: 'single', external_userid: input.externalUserIds, sender: input.sender, allow_select: false,
      text: { content: input.text },
      ...(input.miniprogram
        ? { attachments: [{ msgtype: 'miniprogram', miniprogram: { title: input.miniprogram.title, pic_media_id: input.miniprogram.picMediaId, appid: input.miniprogram.appid, page: input.miniprogram.page } }] }
        : {}),
    });
    if (typeof body.msgid !== 'string') throw this.unexpected('add_msg_template');
    return { msgid: body.msgid, failList: Array.isArray(body.fail_list) ? body.fail_list.map(String) : [] };
  }

  async getSendTaskResult(msgid: string, userid: string): Promise<SendTaskRecipient[]> {
    const out: SendTaskRecipient[] = [];
    let cursor = '';
    do {
      const body = await this.contactCall('get_groupmsg_send_result', '/cgi-bin/externalcontact/get_groupmsg_send_result', {
        msgid, userid, limit: 1000, ...(cursor ? { cursor } : {}),
      }, { idempotent: true });
      if (!Array.isArray(body.send_list)) throw this.unexpected('get_groupmsg_send_result');
      for (const r of body.send_list as Json[]) {
        out.push({ externalUserId: String(r.external_userid ?? ''), userid: String(r.userid ?? userid), status: Number(r.status ?? 0) as SendTaskRecipient['status'], sendTime: typeof r.send_time === 'number' ? r.send_time : null });
      }
      cursor = typeof body.next_cursor === 'string' ? body.next_cursor : '';
    } while (cursor);
    return out;
  }

  async listSendTasks(input: { creator: string; startTime: number; endTime: number }): Promise<SendTaskListed[]> {
    const out: SendTaskListed[] = [];
    let cursor = '';
    do {
      const body = await this.contactCall('get_groupmsg_list_v2', '/cgi-bin/externalcontact/get_groupmsg_list_v2', {
        chat_type: 'single', start_time: input.startTime, end_time: input.endTime, creator: input.creator, filter_type: 2, limit: 100, ...(cursor ? { cursor } : {}),
      }, { idempotent: true });
      if (!Array.isArray(body.group_msg_list)) throw this.unexpected('get_groupmsg_list_v2');
      for (const m of body.group_msg_list as Json[]) {
        out.push({ msgid: String(m.msgid), creator: String(m.creator ?? ''), text: String((m.text as Json | undefined)?.content ?? ''), createTime: Number(m.create_time ?? 0) });
      }
      cursor = typeof body.next_cursor === 'string' ? body.next_cursor : '';
    } while (cursor);
    return out;
  }

  async cancelSendTask(msgid: string): Promise<void> {
    await this.contactCall('cancel_groupmsg_send', '/cgi-bin/externalcontact/cancel_groupmsg_send', { msgid }, { idempotent: true });
  }

  // ------------------------------------------------------------------ the hospital's app

  async sendTextCard(input: TextCardInput): Promise<{ invalidUsers: string[]; msgid: string | null }> {
    const body = await this.withToken('agent', (token) =>
      this.call('message_send', 'POST', '/cgi-bin/message/send', { access_token: token }, {
        touser: input.touser.join('|'),
        msgtype: 'textcard',
        agentid: Number(this.cfg.agentId),
        textcard: { title: input.title, description: input.description, url: input.url, ...(input.btntxt ? { btntxt: input.btntxt } : {}) },
        enable_duplicate_check: 1,
        duplicate_check_interval: 1800,
      }),
    );
    const invalid = typeof body.invaliduser === 'string' && body.invaliduser ? body.invaliduser.split('|') : [];
    return { invalidUsers: invalid, msgid: typeof body.msgid === 'string' ? body.msgid : null };
  }

  // ------------------------------------------------------------------ plumbing

  private contactCall(api: string, path: string, payload: Json, opts: CallOpts = {}): Promise<Json> {
    return this.withToken('contact', (token) => this.call(api, 'POST', path, { access_token: token }, payload, opts));
  }

  private secret(kind: WeComSecretKind): string {
    return kind === 'agent' ? this.cfg.agentSecret : this.cfg.contactSecret;
  }

  private tokenKey(kind: WeComSecretKind): string {
    // Keyed by corp and a hash of the secret: a rotated secret starts a fresh cache.
    const id = createHash('sha256').update(this.secret(kind)).digest('hex').slice(0, 16);
    return `wecom:access_token:${this.cfg.corpId}:${id}`;
  }

  /** Runs a call with the secret's token; when WeCom says it is invalid or expired, refreshes once and retries. */
  private async withToken<T = Json>(kind: WeComSecretKind, work: (token: string) => Promise<T>): Promise<T> {
    const token = await this.getAccessToken(kind);
    try {
      return await work(token);
    } catch (err) {
      if (!(err instanceof WeComError) || !TOKEN_ERRCODES.has(err.errcode)) throw err;
      this.log.warn({ errcode: err.errcode, kind }, 'WeCom rejected the cached access token; refreshing once');
      const key = this.tokenKey(kind);
      await this.redis.eval(DEL_IF_EQUALS, 1, key, token);
      return work(await this.refreshCached(key, token, async () => {
        const body = await this.call('gettoken', 'GET', '/cgi-bin/gettoken', { corpid: this.cfg.corpId, corpsecret: this.secret(kind) }, undefined, { idempotent: true });
        if (typeof body.access_token !== 'string' || typeof body.expires_in !== 'number') throw this.unexpected('gettoken');
        return { value: body.access_token, expiresIn: body.expires_in };
      }));
    }
  }

  /**
   * Fetches a new value for `key` unless another process already replaced `rejected`. The lock
   * holder fetches; the others poll the cache until a value other than `rejected` appears — so
   * many processes finding the token expired together make one gettoken call, not a storm.
   */
  private async refreshCached(key: string, rejected: string | null, fetchFresh: () => Promise<{ value: string; expiresIn: number }>): Promise<string> {
    const lockKey = `${key}:lock`;
    const lockMs = this.cfg.timeoutMs * (this.cfg.maxRetries + 2) + 1000;
    const deadline = Date.now() + lockMs + this.cfg.timeoutMs;
    const lockId = randomUUID();
    for (;;) {
      if ((await this.redis.set(lockKey, lockId, 'PX', lockMs, 'NX')) === 'OK') {
        try {
          const cached = await this.redis.get(key);
          if (cached && cached !== rejected) return cached;
          const fresh = await fetchFresh();
          const ttl = Math.max(1, fresh.expiresIn - SAFETY_MARGIN_SECONDS);
          await this.redis.set(key, fresh.value, 'EX', ttl);
          this.log.info({ ttl }, 'WeCom credential refreshed');
          return fresh.value;
        } finally {
          await this.redis.eval(DEL_IF_EQUALS, 1, lockKey, lockId).catch(() => undefined);
        }
      }
      await sleep(30 + Math.floor(Math.random() * 40));
      const cached = await this.redis.get(key);
      if (cached && cached !== rejected) return cached;
      if (Date.now() > deadline) throw new WeComError(-2, 'timed out waiting for another process to refresh the credential');
    }
  }

  /** One API call with backoff on WeCom's rate limits (and on timeouts of idempotent calls). */
  private async call(api: string, method: 'GET' | 'POST', path: string, query: Record<string, string>, payload?: Json, opts: CallOpts = {}): Promise<Json> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(api, method, path, query, payload);
      } catch (err) {
        if (!(err instanceof WeComError) || attempt >= this.cfg.maxRetries) throw err;
        const retry = BACKOFF_ERRCODES.has(err.errcode) || (err.errcode === -2 && opts.idempotent === true);
        if (!retry) throw err;
        const wait = this.cfg.backoffBaseMs * 2 ** attempt + Math.floor(Math.random() * this.cfg.backoffBaseMs);
        this.log.warn({ api, errcode: err.errcode, attempt: attempt + 1, waitMs: wait }, 'WeCom call backing off');
        await sleep(wait);
      }
    }
  }

  private async once(api: string, method: 'GET' | 'POST', path: string, query: Record<string, string>, payload?: Json): Promise<Json> {
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
      this.log.warn({ api, reason }, 'WeCom API unreachable');
      throw new WeComError(-2, reason === 'timeout' ? `no answer within ${this.cfg.timeoutMs} ms` : 'WeCom API unreachable', api);
    }
    if (status !== 200) {
      this.log.warn({ api, status }, 'WeCom API answered with an HTTP error');
      throw new WeComError(-2, `HTTP ${status}`, api);
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
      this.log.warn({ api, errcode, errmsg }, 'WeCom API refused');
      throw new WeComError(errcode, errmsg, api);
    }
    return body;
  }

  private unexpected(api: string): WeComError {
    this.log.warn({ api }, 'WeCom API answered in an unexpected shape');
    return new WeComError(-2, `unexpected answer from ${api}`, api);
  }
}

function tagGroup(g: Json): CorpTagGroup {
  return {
    groupId: String(g.group_id ?? ''),
    groupName: String(g.group_name ?? ''),
    tags: Array.isArray(g.tag) ? (g.tag as Json[]).map((t) => ({ id: String(t.id ?? ''), name: String(t.name ?? '') })) : [],
  };
}
