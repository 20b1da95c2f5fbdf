import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../../shared/clock';
import { systemClock } from '../../shared/clock';
import QRCode from 'qrcode';
import { deflateSync } from 'node:zlib';
import { WeComCrypto } from './crypto';
import { flatXml } from './xml';

/**
 * A local stand-in for WeCom's server API (qyapi.weixin.qq.com), used by tests and by `npm start`
 * when no corp id is configured. It answers with WeCom's documented shapes and error codes, keeps
 * the corp's state (staff userids, contact-me codes, external contacts, welcome codes), and plays
 * WeCom's side of the callbacks: a client adding a consultant sends the encrypted
 * `change_external_contact` event to the product's callback URL, as WeCom would.
 * Control calls live on the handle and over HTTP under `/__standin/`.
 */

export type WeComStandInApi =
  | 'gettoken' | 'get_jsapi_ticket' | 'ticket_get' | 'add_contact_way' | 'del_contact_way'
  | 'externalcontact_get' | 'send_welcome_msg' | 'message_send'
  | 'get_corp_tag_list' | 'add_corp_tag' | 'mark_tag'
  | 'add_msg_template' | 'get_groupmsg_send_result' | 'get_groupmsg_list_v2' | 'cancel_groupmsg_send';

export interface WeComStandInOptions {
  port?: number;
  host?: string;
  clock?: Clock;
  corpId: string;
  agentId: string;
  agentSecret: string;
  contactSecret: string;
  /** Where events go (the product's callback URL) and the credentials they are sealed with. */
  callback?: { url?: string; token: string; aesKey: string };
  /** Staff userids the corp knows (more with addUser). */
  users?: string[];
}

export interface StandInContactWay { configId: string; state: string; users: string[]; qrCode: string; temporary: boolean; deleted: boolean }
export interface StandInWelcome { welcomeCode: string; externalUserId: string; userid: string; text: string | null; miniprogram: Record<string, unknown> | null; at: Date }
export interface StandInAppMessage { touser: string[]; title: string; description: string; url: string; at: Date }

export interface StandInCorpTagGroup { groupId: string; name: string; tags: Map<string, string> }
/** A send task: each recipient 0 not sent, 1 sent, 2 not a contact, 3 over the client's monthly limit. */
export interface StandInSendTask {
  msgid: string; sender: string; text: string; attachments: unknown[]; createTime: number; cancelled: boolean;
  recipients: Map<string, { status: 0 | 1 | 2 | 3; sendTime: number | null }>;
}

export interface PlayAddInput {
  /** The code the client scanned (its state and users); or `userid` (+ optional `state`) directly. */
  configId?: string;
  userid?: string;
  state?: string;
  /** A returning client keeps their external userid. */
  externalUserId?: string;
  unionid?: string | null;
  name?: string;
  /** false: do not post the event; the result carries it sealed, for the caller to post (late, twice …). */
  deliver?: boolean;
}

export interface PlayAddResult {
  externalUserId: string;
  userid: string;
  welcomeCode: string;
  /** HTTP status the product answered the callback with (null: not posted). */
  callbackStatus: number | null;
  /** The event as WeCom would post it (query string and XML body). */
  sealed: { query: string; body: string } | null;
}

export interface WeComStandInHandle {
  url: string;
  close(): Promise<void>;
  addUser(userid: string): void;
  setCallbackUrl(url: string): void;
  /** A client adds a staff member (through a contact-me code or directly); WeCom's event is posted to the callback URL. */
  playAddContact(input: PlayAddInput): Promise<PlayAddResult>;
  /** Posts any event (fields of the plaintext XML; ToUserName, CreateTime, MsgType default) as WeCom would. */
  sendEvent(fields: Record<string, string | number>): Promise<{ status: number; body: string }>;
  /** Seals an event as WeCom would: the query string and the XML body of the POST. */
  sealEvent(fields: Record<string, string | number>): { query: string; body: string };
  failNext(api: WeComStandInApi, errcode: number, times?: number): void;
  delayNext(api: WeComStandInApi, ms: number, times?: number): void;
  /** Every access token issued so far becomes invalid (the next use answers 40014). */
  invalidateAccessTokens(): void;
  count(api: WeComStandInApi | string): number;
  /** The sender confirms a send task in WeCom (all their unconfirmed ones when no msgid): each recipient gets it, unless over their monthly limit. */
  confirmSendTasks(input: { msgid?: string; sender?: string }): StandInSendTask[];
  /** A staff member changes a contact's tags in WeCom (by tag name); WeCom posts edit_external_contact. */
  playEditTags(input: { externalUserId: string; userid: string; add?: string[]; remove?: string[] }): Promise<{ callbackStatus: number | null }>;
  /** The names of the tags on one relation. */
  tagsOf(externalUserId: string, userid: string): string[];
  readonly corpTags: Map<string, StandInCorpTagGroup>;
  readonly sendTasks: Map<string, StandInSendTask>;
  readonly requests: { api: string; at: Date }[];
  readonly contactWays: Map<string, StandInContactWay>;
  readonly welcomes: StandInWelcome[];
  readonly appMessages: StandInAppMessage[];
}

const TOKEN_TTL_SECONDS = 7200;
// WeCom: a client receives at most as many send-task messages a month as the month has days.
const daysInMonth = (t: number) => { const d = new Date(t + 8 * 3600_000); return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate(); };
const monthOf = (t: number) => new Date(t + 8 * 3600_000).toISOString().slice(0, 7);
// WeCom: the welcome code of an add event is valid for 20 seconds, once.
const WELCOME_TTL_MS = 20_000;

const ERRMSG: Record<number, string> = {
  [-1]: 'system busy',
  40001: 'invalid secret',
  40013: 'invalid corpid',
  40014: 'invalid access_token',
  40056: 'invalid agentid',
  40058: 'invalid parameter',
  40068: 'invalid tagid',
  40071: 'tag name exists',
  40096: 'invalid external userid',
  41001: 'access_token missing',
  41096: 'invalid welcome_code',
  42001: 'access_token expired',
  44002: 'empty post data',
  45009: 'api freq out of limit',
  45033: 'api concurrent out of limit',
  47001: 'data format error',
  48002: 'api forbidden',
  60011: 'no privilege to access/modify contact/party/agent',
  60020: 'not allow to access from your ip',
  60111: 'invalid string value `userid`. userid not found',
  81013: 'user & party & tag all invalid',
  84061: 'not exist contact',
};

type Answer = { status?: number; body: unknown };
interface Call { url: URL; body: Record<string, unknown> | undefined }
type ApiHandler = (call: Call) => Answer;
interface Injected { kind: 'fail' | 'delay'; value: number; times: number }

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf: Buffer) => {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const pngChunk = (type: string, data: Buffer) => {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
};

/**
 * A QR code as a greyscale PNG (8 pixels a module, a 4-module quiet zone), drawn synchronously:
 * the library's async encoders wait on libuv's thread pool, which password hashing may fill.
 */
function qrPng(text: string): Buffer {
  const { size, data } = QRCode.create(text, { errorCorrectionLevel: 'M' }).modules;
  const scale = 8;
  const quiet = 4;
  const side = (size + 2 * quiet) * scale;
  const rows = Buffer.alloc(side * (side + 1), 255);
  for (let y = 0; y < side; y++) {
    rows[y * (side + 1)] = 0; // filter: none
    const my = Math.floor(y / scale) - quiet;
    for (let x = 0; x < side; x++) {
      const mx = Math.floor(x / scale) - quiet;
      if (mx >= 0 && my >= 0 && mx < size && my < size && data[my * size + mx]) rows[y * (side + 1) + 1 + x] = 0;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(rows)), pngChunk('IEND', Buffer.alloc(0))]);
}

const ok = (body: object = {}): Answer => ({ body: { errcode: 0, errmsg: 'ok', ...body } });
const wxError = (errcode: number): Answer => ({
  body: { errcode, errmsg: `${ERRMSG[errcode] ?? 'error'}, hint: [${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=${errcode}` },
});

export async function startWeComStandIn(opts: WeComStandInOptions): Promise<WeComStandInHandle> {
  const clock = opts.clock ?? systemClock;
  const now = () => clock.now().getTime();
  const users = new Set(opts.users ?? ['zhangsan', 'lisi', 'wangwu']);
  const contactWays = new Map<string, StandInContactWay>();
  const contacts = new Map<string, { unionid: string | null; name: string; follow: Map<string, { createtime: number; state: string | null; tags: Set<string> }> }>();
  const corpTags = new Map<string, StandInCorpTagGroup>();
  const sendTasks = new Map<string, StandInSendTask>();
  const tagById = (id: string) => [...corpTags.values()].map((g) => ({ g, name: g.tags.get(id) })).find((x) => x.name !== undefined);
  const groupView = (g: StandInCorpTagGroup, only?: string[]) => ({
    group_id: g.groupId, group_name: g.name, create_time: 0, order: 0, deleted: false,
    tag: [...g.tags].filter(([id]) => !only || only.includes(id)).map(([id, name]) => ({ id, name, create_time: 0, order: 0, deleted: false })),
  });
  const strings = (v: unknown): string[] | null => (v === undefined ? [] : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null);
  const welcomeCodes = new Map<string, { externalUserId: string; userid: string; issuedAt: number; used: boolean }>();
  const welcomes: StandInWelcome[] = [];
  const appMessages: StandInAppMessage[] = [];
  const requests: { api: string; at: Date }[] = [];
  const injected = new Map<string, Injected[]>();
  const pending = new Set<NodeJS.Timeout>();
  let callbackUrl = opts.callback?.url ?? null;
  // WeCom answers a contact-me code with its QR image's URL; the stand-in serves the images itself.
  let selfUrl = '';
  const crypto = opts.callback ? new WeComCrypto(opts.callback.token, opts.callback.aesKey, opts.corpId) : null;

  // Tokens are signed rather than kept in memory, so every stand-in of the same corp accepts them.
  const secretOf = (kind: string) => (kind === 'agent' ? opts.agentSecret : opts.contactSecret);
  const sign = (kind: string, payload: string) => createHmac('sha256', secretOf(kind)).update(payload).digest('base64url').slice(0, 32);
  let revokedBefore = 0;
  const current = new Map<string, string>(); // kind → token handed out (WeCom answers the same token until it expires)
  const issue = (kind: string): string => {
    const payload = `${kind}.${randomBytes(18).toString('base64url')}.${now() + TOKEN_TTL_SECONDS * 1000}.${Math.max(Date.now(), revokedBefore + 1)}`;
    const token = `${payload}.${sign(kind, payload)}`;
    current.set(kind, token);
    return token;
  };
  const checkToken = (token: string | null, want: 'agent' | 'contact' | 'any'): Answer | null => {
    if (!token) return wxError(41001);
    const [kind, nonce, expires, issued, sig] = token.split('.');
    if (!kind || !nonce || !expires || !issued || (kind !== 'agent' && kind !== 'contact') || sig !== sign(kind, `${kind}.${nonce}.${expires}.${issued}`)) return wxError(40014);
    if (Number(issued) <= revokedBefore) return wxError(40014);
    if (Number(expires) <= now()) return wxError(42001);
    // The app's secret may not use customer-contact APIs unless authorised: WeCom answers 48002.
    if (want !== 'any' && kind !== want) return wxError(48002);
    return null;
  };
  const tokenOf = (url: URL) => url.searchParams.get('access_token');

  const externalUserId = () => `wm${randomBytes(15).toString('base64url').replace(/[-_]/g, 'A')}`;

  const handlers: Record<string, { api: WeComStandInApi; handle: ApiHandler }> = {
    'GET /cgi-bin/gettoken': {
      api: 'gettoken',
      handle: ({ url }) => {
        if (url.searchParams.get('corpid') !== opts.corpId) return wxError(40013);
        const secret = url.searchParams.get('corpsecret');
        const kind = secret === opts.agentSecret ? 'agent' : secret === opts.contactSecret ? 'contact' : null;
        if (!kind) return wxError(40001);
        const held = current.get(kind);
        const token = held && !checkToken(held, 'any') ? held : issue(kind);
        const expiresAt = Number(token.split('.')[2]);
        return ok({ access_token: token, expires_in: Math.max(1, Math.floor((expiresAt - now()) / 1000)) });
      },
    },
    'GET /cgi-bin/get_jsapi_ticket': {
      api: 'get_jsapi_ticket',
      handle: ({ url }) => checkToken(tokenOf(url), 'agent') ?? ok({ ticket: `corp-${randomBytes(24).toString('base64url')}`, expires_in: 7200 }),
    },
    'GET /cgi-bin/ticket/get': {
      api: 'ticket_get',
      handle: ({ url }) => {
        const bad = checkToken(tokenOf(url), 'agent');
        if (bad) return bad;
        if (url.searchParams.get('type') !== 'agent_config') return wxError(40058);
        return ok({ ticket: `agent-${randomBytes(24).toString('base64url')}`, expires_in: 7200 });
      },
    },
    'POST /cgi-bin/externalcontact/add_contact_way': {
      api: 'add_contact_way',
      handle: ({ url, body }) => {
        const bad = checkToken(tokenOf(url), 'contact');
        if (bad) return bad;
        if (!body) return wxError(44002);
        const list = body.user;
        if (body.type !== 1 && body.type !== 2) return wxError(40058);
        if (body.scene !== 1 && body.scene !== 2) return wxError(40058);
        if (!Array.isArray(list) || list.length === 0 || (body.type === 1 && list.length !== 1) || list.length > 100) return wxError(40058);
        if (list.some((u) => typeof u !== 'string' || !users.has(u))) return wxError(60111);
        const state = body.state ?? '';
        if (typeof state !== 'string' || state.length > 30) return wxError(40058);
        const configId = randomBytes(16).toString('hex');
        const way: StandInContactWay = {
          configId, state, users: list as string[], temporary: body.is_temp === true, deleted: false,
          qrCode: body.scene === 2 ? `${selfUrl}/__standin/qr/${configId}.png` : '',
        };
        contactWays.set(configId, way);
        return ok({ config_id: configId, ...(way.qrCode ? { qr_code: way.qrCode } : {}) });
      },
    },
    'POST /cgi-bin/externalcontact/del_contact_way': {
      api: 'del_contact_way',
      handle: ({ url, body }) => {
        const bad = checkToken(tokenOf(url), 'contact');
        if (bad) return bad;
        const way = typeof body?.config_id === 'string' ? contactWays.get(body.config_id) : undefined;
        if (!way || way.deleted) return wxError(40058);
        way.deleted = true;
        return ok();
      },
    },
    'GET /cgi-bin/externalcontact/get': {
      api: 'externalcontact_get',
      handle: ({ url }) => {
        const bad = checkToken(tokenOf(url), 'contact');
        if (bad) return bad;
        const id = url.searchParams.get('external_userid') ?? '';
        const c = contacts.get(id);
        if (!c) return wxError(40096);
        if (c.follow.size === 0) return wxError(84061);
        return ok({
          external_contact: { external_userid: id, name: c.name, type: 1, gender: 0, avatar: '', ...(c.unionid ? { unionid: c.unionid } : {}) },
          follow_user: [...c.follow].map(([userid, f]) => ({
            userid, remark: '', description: '', createtime: f.createtime,
            tags: [...f.tags].map((id) => ({ tag_id: id, tag_name: tagById(id)?.name ?? '', group_name: tagById(id)?.g.name ?? '', type: 1 })),
            ...(f.state ? { state: f.state } : {}), add_way: f.state ? 1 : 0, oper_userid: id })),
        });
      },
    },
    'POST /cgi-bin/externalcontact/send_welcome_msg': {
      api: 'send_welcome_msg',
      handle: ({ url, body }) => {
        const bad = checkToken(tokenOf(url), 'contact');
        if (bad) return bad;
        if (!body) return wxError(44002);
        const code = typeof body.welcome_code === 'string' ? welcomeCodes.get(body.welcome_code) : undefined;
        if (!code || code.used || code.issuedAt + WELCOME_TTL_MS <= now()) return wxError(41096);
        const text = (body.text as { content?: unknown } | undefined)?.content;
        const attachments = Array.isArray(body.attachments) ? (body.attachments as Record<string, unknown>[]) : [];
        if (text === undefined && attachments.length === 0) return wxError(44002);
        if (text !== undefined && (typeof text !== 'string' || Buffer.byteLength(text) > 4000)) return wxError(40058);
        const mp = attachments.find((a) => a.msgtype === 'miniprogram')?.miniprogram as Record<string, unknown> | undefined;
        if (mp && (typeof mp.title !== 'string' || typeof mp.appid !== 'string' || typeof mp.page !== 'string' || typeof mp.pic_media_id !== 'string')) return wxError(40058);
        code.used = true;
        welcomes.push({ welcomeCode: body.welcome_code as string, externalUserId: code.externalUserId, userid: code.userid, text: (text as string | undefined) ?? null, miniprogram: mp ?? null, at: clock.now() });
        return ok();
      },
    },
    'POST /cgi-bin/externalcontact/get_corp_tag_list': {
      api: 'get_corp_tag_list',
      handle: ({ url }) => checkToken(tokenOf(url), 'contact') ?? ok({ tag_group: [...corpTags.values()].map((g) => groupView(g)) }),
    },
    'POST /cgi-bin/externalcontact/add_corp_tag': {
      api: 'add_corp_tag',
      handle: ({ url, body }) => {
        const bad = checkToken(tokenOf(url), 'contact');
        if (bad) return bad;
        if (!body) return wxError(44002);
        const tags = Array.isArray(body.tag) ? (body.tag as { name?: unknown }[]) : [];
        if (!tags.length || tags.some((t) => typeof t?.name !== 'string' || !t.name || [...t.name].length > 30)) return wxError(40058);
        let group: StandInCorpTagGroup | undefined;
        if (typeof body.group_id === 'string') {
          group = corpTags.get(body.group_id);
          if (!group) return wxError(40068);
        } else {
          if (typeof body.group_name !== 'string' || !body.group_name || [...body.group_name].length > 30) return wxError(40058);
          // A group name that exists already: the tags go into that group.
          group = [...corpTags.values()].find((g) => g.name === body.group_name);
        }
        const names = tags.map((t) => t.name as string);
        if (group && names.some((n) => [...group!.tags.values()].includes(n))) return wxError(40071);
        if (!group) {
          group = { groupId: `et${randomBytes(12).toString('hex')}`, name: body.group_name as string, tags: new Map() };
          corpTags.set(group.groupId, group);
        }
        const made = names.map((n) => { const id = `et${randomBytes(12).toString('hex')}`; group!.tags.set(id, n); return id; });
        return ok({ tag_group: groupView(group, made) });
      },
    },
    'POST /cgi-bin/externalcontact/mark_tag': {
      api: 'mark_tag',
      handle: ({ url, body }) => {
        const bad = checkToken(tokenOf(url), 'contact');
        if (bad) return bad;
        if (!body) return wxError(44002);
        const add = strings(body.add_tag);
        const remove = strings(body.remove_tag);
        if (!add || !remove || (!add.length && !remove.length)) return wxError(40058);
        if (typeof body.userid !== 'string' || !users.has(body.userid)) return wxError(60111);
        const c = typeof body.external_userid === 'string' ? contacts.get(body.external_userid) : undefined;
        if (!c) return wxError(40096);
        const f = c.follow.get(body.userid);
        if (!f) return wxError(84061);
        if ([...add, ...remove].some((id) => !tagById(id))) return wxError(40068);
        for (const id of remove) f.tags.delete(id);
        for (const id of add) f.tags.add(id);
        return ok();
      },
    },
    'POST /cgi-bin/externalcontact/add_msg_template': {
      api: 'add_msg_template',
      handle: ({ url, body }) => {
        const bad = checkToken(tokenOf(url), 'contact');
        if (bad) return bad;
        if (!body) return wxError(44002);
        if ((body.chat_type ?? 'single') !== 'single') return wxError(40058);
        if (typeof body.sender !== 'string' || !users.has(body.sender)) return wxError(60111);
        const to = strings(body.external_userid);
        if (!to || !to.length || to.length > 10000) return wxError(40058);
        const text = (body.text as { content?: unknown } | undefined)?.content;
        const attachments = Array.isArray(body.attachments) ? body.attachments : [];
        if (text === undefined && !attachments.length) return wxError(44002);
        if (text !== undefined && (typeof text !== 'string' || Buffer.byteLength(text) > 4000)) return wxError(40058);
        const sender = body.sender;
        const fail = to.filter((id) => !contacts.get(id)?.follow.has(sender));
        const msgid = `msg${randomBytes(12).toString('hex')}`;
        sendTasks.set(msgid, {
          msgid, sender, text: (text as string | undefined) ?? '', attachments, createTime: Math.floor(now() / 1000), cancelled: false,
          recipients: new Map(to.filter((id) => !fail.includes(id)).map((id) => [id, { status: 0, sendTime: null }])),
        });
        return ok({ fail_list: fail, msgid });
      },
    },
    'POST /cgi-bin/externalcontact/get_groupmsg_send_result': {
      api: 'get_groupmsg_send_result',
      handle: ({ url, body }) => {
        const bad = checkToken(tokenOf(url), 'contact');
        if (bad) return bad;
        const task = typeof body?.msgid === 'string' ? sendTasks.get(body.msgid) : undefined;
        if (!task) return wxError(40058);
        if (typeof body?.userid !== 'string' || !users.has(body.userid)) return wxError(60111);
        const list = body.userid === task.sender ? [...task.recipients] : [];
        return ok({
          next_cursor: '',
          send_list: list.map(([ext, r]) => ({ external_userid: ext, userid: task.sender, status: r.status, ...(r.sendTime ? { send_time: r.sendTime } : {}) })),
        });
      },
    },
    'POST /cgi-bin/externalcontact/get_groupmsg_list_v2': {
      api: 'get_groupmsg_list_v2',
      handle: ({ url, body }) => {
        const bad = checkToken(tokenOf(url), 'contact');
        if (bad) return bad;
        const start = Number(body?.start_time);
        const end = Number(body?.end_time);
        // WeCom: the range may span at most one month.
        if (body?.chat_type !== 'single' || !Number.isInteger(start) || !Number.isInteger(end) || end < start || end - start > 31 * 86400) return wxError(40058);
        const list = [...sendTasks.values()].filter((t) => t.createTime >= start && t.createTime <= end && (!body?.creator || t.sender === body.creator));
        return ok({ next_cursor: '', group_msg_list: list.map((t) => ({ msgid: t.msgid, creator: t.sender, create_type: 0, text: { content: t.text }, attachments: t.attachments, create_time: t.createTime })) });
      },
    },
    'POST /cgi-bin/externalcontact/cancel_groupmsg_send': {
      api: 'cancel_groupmsg_send',
      handle: ({ url, body }) => {
        const bad = checkToken(tokenOf(url), 'contact');
        if (bad) return bad;
        const task = typeof body?.msgid === 'string' ? sendTasks.get(body.msgid) : undefined;
        if (!task) return wxError(40058);
        task.cancelled = true;
        return ok();
      },
    },
    'POST /cgi-bin/message/send': {
      api: 'message_send',
      handle: ({ url, body }) => {
        const bad = checkToken(tokenOf(url), 'agent');
        if (bad) return bad;
        if (!body) return wxError(44002);
        if (String(body.agentid) !== opts.agentId) return wxError(40056);
        if (body.msgtype !== 'textcard') return wxError(40058);
        const card = body.textcard as Record<string, unknown> | undefined;
        if (!card || typeof card.title !== 'string' || typeof card.description !== 'string' || typeof card.url !== 'string') return wxError(40058);
        // WeCom's textcard limits: title 128 bytes, description 512 bytes.
        if (Buffer.byteLength(card.title) > 128 || Buffer.byteLength(card.description) > 512) return wxError(40058);
        const to = typeof body.touser === 'string' ? body.touser.split('|').filter(Boolean) : [];
        const valid = to.filter((u) => users.has(u));
        const invalid = to.filter((u) => !users.has(u));
        if (!valid.length) return wxError(81013);
        appMessages.push({ touser: valid, title: card.title, description: card.description, url: card.url, at: clock.now() });
        return ok({ invaliduser: invalid.join('|'), msgid: randomBytes(12).toString('hex') });
      },
    },
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
  const wait = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(() => { pending.delete(timer); resolve(); }, ms);
    pending.add(timer);
  });

  const sealEvent = (fields: Record<string, string | number>): { query: string; body: string } => {
    if (!crypto) throw new Error('the WeCom stand-in has no callback credentials');
    const plain = flatXml({ ToUserName: opts.corpId, FromUserName: 'sys', CreateTime: Math.floor(now() / 1000), MsgType: 'event', ...fields });
    const encrypt = crypto.encrypt(plain);
    const timestamp = String(Math.floor(now() / 1000));
    const nonce = String(Math.floor(Math.random() * 1e10));
    const q = new URLSearchParams({ msg_signature: crypto.signature(timestamp, nonce, encrypt), timestamp, nonce });
    return { query: q.toString(), body: flatXml({ ToUserName: opts.corpId, Encrypt: encrypt, AgentID: opts.agentId }) };
  };
  const sendEvent = async (fields: Record<string, string | number>): Promise<{ status: number; body: string }> => {
    if (!callbackUrl) throw new Error('the WeCom stand-in has no callback URL');
    const { query, body } = sealEvent(fields);
    const res = await fetch(`${callbackUrl}${callbackUrl.includes('?') ? '&' : '?'}${query}`, {
      method: 'POST', headers: { 'Content-Type': 'text/xml' }, body, signal: AbortSignal.timeout(5000),
    });
    return { status: res.status, body: await res.text() };
  };

  const playAddContact = async (input: PlayAddInput): Promise<PlayAddResult> => {
    const way = input.configId ? contactWays.get(input.configId) : undefined;
    if (input.configId && (!way || way.deleted)) throw new Error('no such contact-me code (deleted?)');
    const userid = input.userid ?? way!.users[Math.floor(Math.random() * way!.users.length)];
    if (!users.has(userid)) throw new Error(`no staff member ${userid} in the corp`);
    const state = way?.state ?? input.state ?? null;
    const id = input.externalUserId ?? externalUserId();
    const contact = contacts.get(id) ?? { unionid: input.unionid ?? null, name: input.name ?? '微信用户', follow: new Map() };
    contact.follow.set(userid, { createtime: Math.floor(now() / 1000), state, tags: contact.follow.get(userid)?.tags ?? new Set() });
    contacts.set(id, contact);
    const welcomeCode = randomBytes(16).toString('base64url');
    welcomeCodes.set(welcomeCode, { externalUserId: id, userid, issuedAt: now(), used: false });
    const event = {
      Event: 'change_external_contact', ChangeType: 'add_external_contact', UserID: userid, ExternalUserID: id,
      ...(state ? { State: state } : {}), WelcomeCode: welcomeCode,
    };
    let callbackStatus: number | null = null;
    if (callbackUrl && input.deliver !== false) callbackStatus = (await sendEvent(event)).status;
    return { externalUserId: id, userid, welcomeCode, callbackStatus, sealed: crypto ? sealEvent(event) : null };
  };

  const confirmSendTasks = (input: { msgid?: string; sender?: string }): StandInSendTask[] => {
    const month = monthOf(now());
    const received = (ext: string) => [...sendTasks.values()].filter((t) => {
      const r = t.recipients.get(ext);
      return r?.status === 1 && r.sendTime !== null && monthOf(r.sendTime * 1000) === month;
    }).length;
    const chosen = [...sendTasks.values()].filter((t) => !t.cancelled && (input.msgid ? t.msgid === input.msgid : !input.sender || t.sender === input.sender));
    for (const task of chosen) {
      for (const [ext, r] of task.recipients) {
        if (r.status !== 0) continue;
        if (!contacts.get(ext)?.follow.has(task.sender)) r.status = 2;
        else if (received(ext) >= daysInMonth(now())) r.status = 3;
        else Object.assign(r, { status: 1, sendTime: Math.floor(now() / 1000) });
      }
    }
    return chosen;
  };
  const tagsOf = (ext: string, userid: string) => [...(contacts.get(ext)?.follow.get(userid)?.tags ?? [])].map((id) => tagById(id)?.name ?? id);
  const playEditTags = async (input: { externalUserId: string; userid: string; add?: string[]; remove?: string[] }) => {
    const f = contacts.get(input.externalUserId)?.follow.get(input.userid);
    if (!f) throw new Error('no such relation');
    const idOf = (name: string) => {
      const found = [...corpTags.values()].flatMap((g) => [...g.tags].filter(([, n]) => n === name).map(([id]) => id))[0];
      if (!found) throw new Error(`no corporate tag ${name}`);
      return found;
    };
    for (const n of input.remove ?? []) f.tags.delete(idOf(n));
    for (const n of input.add ?? []) f.tags.add(idOf(n));
    const event = { Event: 'change_external_contact', ChangeType: 'edit_external_contact', UserID: input.userid, ExternalUserID: input.externalUserId };
    return { callbackStatus: callbackUrl ? (await sendEvent(event)).status : null };
  };

  const control: Record<string, (call: Call) => Promise<Answer> | Answer> = {
    'GET /__standin/send-tasks': () => ({
      body: { sendTasks: [...sendTasks.values()].map((t) => ({ ...t, recipients: Object.fromEntries(t.recipients) })) },
    }),
    'POST /__standin/send-tasks/confirm': ({ body }) => {
      const done = confirmSendTasks({ msgid: typeof body?.msgid === 'string' ? body.msgid : undefined, sender: typeof body?.sender === 'string' ? body.sender : undefined });
      return { body: { confirmed: done.map((t) => t.msgid) } };
    },
    'POST /__standin/edit-tags': async ({ body }) => {
      try {
        const r = await playEditTags({
          externalUserId: String(body?.externalUserId ?? ''), userid: String(body?.userid ?? ''),
          add: strings(body?.add) ?? [], remove: strings(body?.remove) ?? [],
        });
        return { body: r };
      } catch (err) {
        return { status: 400, body: { error: (err as Error).message } };
      }
    },
    'POST /__standin/add-contact': async ({ body }) => {
      try {
        const r = await playAddContact({
          configId: typeof body?.configId === 'string' ? body.configId : undefined,
          userid: typeof body?.userid === 'string' ? body.userid : undefined,
          state: typeof body?.state === 'string' ? body.state : undefined,
          unionid: typeof body?.unionid === 'string' ? body.unionid : undefined,
          name: typeof body?.name === 'string' ? body.name : undefined,
        });
        return { body: r };
      } catch (err) {
        return { status: 400, body: { error: (err as Error).message } };
      }
    },
    'POST /__standin/users': ({ body }) => {
      if (typeof body?.userid !== 'string' || !/^[A-Za-z0-9_.@-]{1,64}$/.test(body.userid)) return { status: 400, body: { error: 'userid required' } };
      users.add(body.userid);
      return { body: { ok: true } };
    },
    'GET /__standin/contact-ways': () => ({ body: { contactWays: [...contactWays.values()] } }),
    'GET /__standin/welcomes': () => ({ body: { welcomes } }),
    'GET /__standin/app-messages': () => ({ body: { appMessages } }),
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://standin');
        const key = `${req.method} ${url.pathname}`;
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: Record<string, unknown> | undefined;
        try {
          body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
        } catch {
          body = undefined;
        }
        let answer: Answer;
        const qr = req.method === 'GET' ? /^\/__standin\/qr\/([0-9a-f]{32})\.png$/.exec(url.pathname) : null;
        if (qr) {
          const way = contactWays.get(qr[1]);
          if (!way || way.deleted) {
            res.writeHead(404).end();
            return;
          }
          res.writeHead(200, { 'Content-Type': 'image/png' }).end(qrPng(`https://work.weixin.qq.com/ca/${way.configId}`));
          return;
        }
        if (raw && body === undefined) {
          answer = wxError(47001);
        } else if (control[key]) {
          answer = await control[key]({ url, body });
        } else if (handlers[key]) {
          const { api, handle } = handlers[key];
          requests.push({ api, at: clock.now() });
          const delay = takeInjected(api, 'delay');
          if (delay) await wait(delay);
          const fail = takeInjected(api, 'fail');
          answer = fail !== undefined ? wxError(fail) : handle({ url, body });
        } else {
          answer = { status: 404, body: { errcode: 404, errmsg: 'no such api in the WeCom stand-in' } };
        }
        if (res.destroyed) return;
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
  selfUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url: selfUrl,
    addUser: (userid) => { users.add(userid); },
    setCallbackUrl: (u) => { callbackUrl = u; },
    playAddContact,
    sendEvent,
    sealEvent,
    failNext: (api, errcode, times = 1) => inject(api, { kind: 'fail', value: errcode, times }),
    delayNext: (api, ms, times = 1) => inject(api, { kind: 'delay', value: ms, times }),
    invalidateAccessTokens: () => {
      revokedBefore = Date.now();
      current.clear();
    },
    count: (api) => requests.filter((r) => r.api === api).length,
    confirmSendTasks,
    playEditTags,
    tagsOf,
    corpTags,
    sendTasks,
    requests,
    contactWays,
    welcomes,
    appMessages,
    close: () => new Promise<void>((resolve) => {
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
