/** The parts of WeCom's server API (qyapi.weixin.qq.com) the product uses; typed client: wecom.client.ts. */

/** Which secret a call's access token comes from: the self-built app's, or customer contact's (客户联系). */
export type WeComSecretKind = 'agent' | 'contact';

/** jsapi tickets: the corp's (ww.config) and the app's (ww.agentConfig). */
export type JsapiTicketKind = 'corp' | 'agent';

/** externalcontact/add_contact_way input: a contact-me 联系我 QR code for one or several staff members. */
export interface ContactWayInput {
  /** WeCom userids; one → a single-member code (type 1), several → a multi-member code (type 2). */
  users: string[];
  /** At most 30 characters; comes back in add_external_contact's State. */
  state: string;
  remark?: string;
  skipVerify?: boolean;
  /** A temporary code (is_temp) lives `expiresIn` seconds after the add (WeCom: 7 days by default). */
  temporary?: { expiresIn: number };
}

export interface ContactWay {
  configId: string;
  qrCode: string;
}

export interface ExternalContactFollower {
  userid: string;
  createtime: number;
  state: string | null;
  tagIds: string[];
  remark: string | null;
}

export interface ExternalContact {
  externalUserId: string;
  /** Only when the corp and the mini-program share an open-platform account. */
  unionid: string | null;
  /** 1 a WeChat user, 2 a WeCom user. */
  type: number;
  followUsers: ExternalContactFollower[];
}

/** A mini-program card attachment (welcome message, send task). */
export interface MiniProgramAttachment {
  title: string;
  picMediaId: string;
  appid: string;
  page: string;
}

/** message/send textcard: a notice to staff in the hospital's app, with a link. */
export interface TextCardInput {
  touser: string[];
  title: string;
  description: string;
  url: string;
  btntxt?: string;
}

/** A corporate tag group 企业客户标签组 and its tags (externalcontact/get_corp_tag_list). */
export interface CorpTagGroup {
  groupId: string;
  groupName: string;
  tags: { id: string; name: string }[];
}

/** externalcontact/add_msg_template, chat_type single: a send task the sender confirms in WeCom. */
export interface SendTaskInput {
  /** The staff member who confirms and sends it. */
  sender: string;
  externalUserIds: string[];
  text: string;
  miniprogram?: MiniProgramAttachment;
}

/** One recipient of a send task (get_groupmsg_send_result): 0 not sent yet, 1 sent, 2 not a contact any more, 3 the client's limit reached. */
export interface SendTaskRecipient {
  externalUserId: string;
  userid: string;
  status: 0 | 1 | 2 | 3;
  sendTime: number | null;
}

/** A send task as get_groupmsg_list_v2 lists it (to find one whose creation timed out). */
export interface SendTaskListed {
  msgid: string;
  creator: string;
  text: string;
  createTime: number;
}

export interface WeComApi {
  getAccessToken(kind: WeComSecretKind, forceRefresh?: boolean): Promise<string>;
  getJsapiTicket(kind: JsapiTicketKind): Promise<string>;
  addContactWay(input: ContactWayInput): Promise<ContactWay>;
  delContactWay(configId: string): Promise<void>;
  getExternalContact(externalUserId: string): Promise<ExternalContact>;
  /** Within 20 s of the add event, once per welcome code. */
  sendWelcomeMsg(input: { welcomeCode: string; text?: string; miniprogram?: MiniProgramAttachment }): Promise<void>;
  getCorpTagList(): Promise<CorpTagGroup[]>;
  /** New tags in a group: by id when it exists, else a group of that name is created (or found) with them. */
  addCorpTags(input: { groupId?: string; groupName: string; tags: string[] }): Promise<CorpTagGroup>;
  /** Adds and removes corporate tags on one staff member's relation with the contact. */
  markTag(input: { userid: string; externalUserId: string; add: string[]; remove: string[] }): Promise<void>;
  /** Creates a send task; `failList`: recipients WeCom would not take (no relation with the sender). */
  addMsgTemplate(input: SendTaskInput): Promise<{ msgid: string; failList: string[] }>;
  /** The sender's recipients of a send task and whether each got it. */
  getSendTaskResult(msgid: string, userid: string): Promise<SendTaskRecipient[]>;
  /** Single-chat send tasks a staff member created between two instants (seconds). */
  listSendTasks(input: { creator: string; startTime: number; endTime: number }): Promise<SendTaskListed[]>;
  /** Stops a send task not yet confirmed: its recipients will not get it. */
  cancelSendTask(msgid: string): Promise<void>;
  /** The image behind a contact-me code's qr_code URL (PNG or JPEG, as WeCom serves it). */
  fetchQrImage(qrCodeUrl: string): Promise<{ contentType: string; body: Buffer }>;
  /** Returns the userids WeCom did not deliver to (invaliduser). */
  sendTextCard(input: TextCardInput): Promise<{ invalidUsers: string[]; msgid: string | null }>;
}

/** What an errcode means for people reading a log or a staff task. */
export const WECOM_ERRCODE_HINTS: Record<number, string> = {
  [-1]: 'WeCom is busy; try again later',
  40001: 'the secret is wrong (or the access token invalid)',
  40013: 'the corp id is wrong',
  40014: 'the access token is invalid',
  40056: 'the agent id is wrong',
  40068: 'no such corporate tag (tag id)',
  40071: 'a tag of that name exists already in the group',
  40096: 'no such external contact (external_userid)',
  41001: 'the access token is missing',
  42001: 'the access token expired',
  41096: 'the welcome code is invalid or expired (20 s, once)',
  41051: 'the client already started chatting; no welcome message any more',
  45009: 'WeCom rate limit (frequency); backing off',
  45033: 'WeCom rate limit (concurrency); backing off',
  48002: 'API forbidden: the secret is not authorised for this API (customer contact permission?)',
  60011: 'no privilege: the user, party or contact is outside the app\'s visible range',
  60020: 'the server\'s IP is not in the app\'s trusted IP list (企业可信IP)',
  60111: 'no such userid in the corp',
  81013: 'every recipient (user, party, tag) is invalid',
  84061: 'the staff member and the external contact have no relationship',
};

/**
 * A WeCom API error: `errcode` is WeCom's own (see WECOM_ERRCODE_HINTS); network failures and
 * timeouts use -2 (ours). `hint` says what to do about it in plain words.
 */
export class WeComError extends Error {
  constructor(public readonly errcode: number, public readonly errmsg: string, public readonly api: string = '') {
    super(`WeCom API error ${errcode}${api ? ` (${api})` : ''}: ${WECOM_ERRCODE_HINTS[errcode] ?? errmsg}`);
    this.name = 'WeComError';
  }
  get hint(): string | null {
    return WECOM_ERRCODE_HINTS[this.errcode] ?? null;
  }
  /** Failures worth a later retry (busy, rate limited, unreachable). */
  get transient(): boolean {
    return this.errcode === -1 || this.errcode === -2 || this.errcode === 45009 || this.errcode === 45033;
  }
}
