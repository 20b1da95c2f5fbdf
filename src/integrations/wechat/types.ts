/** The parts of the WeChat mini-program server API the product uses (typed client: wechat.client.ts). */
export interface WeChatSession {
  openid: string;
  unionid?: string;
  /** Never leaves the server; never logged. */
  sessionKey: string;
}

export interface WeChatPhone {
  phoneNumber: string;
  purePhoneNumber: string;
  countryCode: string;
}

/** wxacode.getUnlimited input: `scene` at most 32 characters of WeChat's allowed set; `page` without a leading / or query. */
export interface UnlimitedQrCodeInput {
  scene: string;
  page: string;
  width?: number;
  /** Let WeChat refuse a page that is not published (41030); default true. */
  checkPath?: boolean;
  envVersion?: 'release' | 'trial' | 'develop';
}

/** Characters WeChat accepts in a wxacode scene (its documentation: digits, letters and !#$&'()*+,/:;=?@-._~). */
export const WXACODE_SCENE = /^[0-9A-Za-z!#$&'()*+,/:;=?@._~-]{1,32}$/;

/**
 * subscribeMessage.send input: a one-time subscribe message 订阅消息 to a mini-program user, spending
 * one credit the user granted for that template (wx.requestSubscribeMessage).
 */
export interface SubscribeMessageInput {
  /** The receiver's openid. */
  touser: string;
  templateId: string;
  /** Mini-program page the message opens (may carry a query); none: the message does not open a page. */
  page?: string;
  /** Template fields, e.g. { thing1: '术后回访', time2: '2026-03-01 10:00' }; sent as { thing1: { value } }. */
  data: Record<string, string>;
  miniprogramState?: 'formal' | 'trial' | 'developer';
  lang?: 'zh_CN' | 'en_US' | 'zh_HK' | 'zh_TW';
}

export interface WeChatApi {
  /** jscode2session: exchanges a wx.login code. */
  code2Session(jsCode: string): Promise<WeChatSession>;
  /** wxa/business/getuserphonenumber: exchanges a getPhoneNumber button code. */
  getPhoneNumber(code: string): Promise<WeChatPhone>;
  /** cgi-bin/stable_token, cached in Redis with one refresh at a time across instances. */
  getAccessToken(forceRefresh?: boolean): Promise<string>;
  /** wxa/getwxacodeunlimit: the mini-program code image (PNG or JPEG bytes) for a scene and page. */
  getUnlimitedQrCode(input: UnlimitedQrCodeInput): Promise<{ image: Buffer; contentType: string }>;
  /** cgi-bin/message/subscribe/send: 43101 when the user holds no credit for the template (refused). */
  sendSubscribeMessage(input: SubscribeMessageInput): Promise<{ msgid: string | null }>;
}

/**
 * A WeChat API error. `errcode` is WeChat's own code: -1 busy, 40029 invalid code, 40163 code
 * already used, 45011 rate limited, 40226 high-risk user blocked, 40001/42001 bad/expired token.
 * 41030 invalid page, 40169/40129 scene too long/invalid, 45009 wxacode quota.
 * subscribeMessage.send: 43101 user refused (no credit), 40003 invalid openid, 40037 invalid
 * template_id, 47003 data does not fit the template, 43107 subscribe messages banned.
 * `errcode` 0 never appears here; network failures and timeouts use `errcode` -2 (ours).
 */
export class WeChatError extends Error {
  constructor(public readonly errcode: number, public readonly errmsg: string) {
    super(`WeChat API error ${errcode}: ${errmsg}`);
    this.name = 'WeChatError';
  }
  /** Failures worth a later retry (WeChat busy, rate limited, unreachable). */
  get transient(): boolean {
    return this.errcode === -1 || this.errcode === -2 || this.errcode === 45011;
  }
}
