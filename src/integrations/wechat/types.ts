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

export interface WeChatApi {
  /** jscode2session: exchanges a wx.login code. */
  code2Session(jsCode: string): Promise<WeChatSession>;
  /** wxa/business/getuserphonenumber: exchanges a getPhoneNumber button code. */
  getPhoneNumber(code: string): Promise<WeChatPhone>;
  /** cgi-bin/stable_token, cached in Redis with one refresh at a time across instances. */
  getAccessToken(forceRefresh?: boolean): Promise<string>;
}

/**
 * A WeChat API error. `errcode` is WeChat's own code: -1 busy, 40029 invalid code, 40163 code
 * already used, 45011 rate limited, 40226 high-risk user blocked, 40001/42001 bad/expired token.
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
