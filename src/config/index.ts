import Joi from 'joi';
import os from 'node:os';
import path from 'node:path';
import { loadDotenv } from './dotenv';
import { localDevKeys } from './local';

export type Role = 'api' | 'bot' | 'scheduler';
export type NodeEnv = 'development' | 'test' | 'production';

export interface Config {
  env: NodeEnv;
  roles: Role[];
  port: number;
  host: string;
  publicUrl: string;
  logLevel: string;
  db: { dialect: 'mysql' | 'mariadb'; host: string; port: number; user: string; password: string; database: string; poolSize: number; logging: boolean };
  redis: { url: string; keyPrefix: string };
  http: { bodyLimit: string; corsOrigins: string[]; trustProxy: boolean; trustProxyHops: number };
  crypto: {
    /** AES-256-GCM data keys by version; the highest version encrypts, all decrypt. */
    dataKeys: Map<number, Buffer>;
    currentKeyVersion: number;
    /** HMAC key for blind indexes (phone, name lookups); separate from the data keys. The newest version's. */
    blindIndexKey: Buffer;
    /** Blind-index keys by version: the highest indexes, all are looked up (a rotation in progress). */
    blindIndexKeys: Map<number, Buffer>;
  };
  auth: {
    clientSessionTtlSeconds: number;
    staffSessionTtlSeconds: number;
    loginRateLimitPerIp: number;
    loginRateLimitPerClient: number;
    loginRateWindowSeconds: number;
    staffLockoutAttempts: number;
    staffLockoutMinutes: number;
    staffLoginRateLimitPerIp: number;
    staffLoginRateWindowSeconds: number;
    /** A staff session unused this long ends, whatever is left of its absolute lifetime; 0: never. */
    staffSessionIdleMinutes: number;
    /** How often an API process reads the work tables for the staff notification stream, while anyone listens. */
    staffStreamPollMs: number;
    /** Roles that must have a TOTP second factor: until it is on, their session may only enrol it. */
    staffTotpRequiredRoles: string[];
    /** The issuer shown in authenticator apps. */
    staffTotpIssuer: string;
    /** scrypt's cost N for staff passwords (r = 8, p = 1); older hashes are replaced at the next login. */
    staffPasswordScryptN: number;
  };
  policy: { privacyVersion: string; healthConsentVersion: string; guardianConsentVersion: string; guardianAgeUnder: number };
  wechat: {
    appId: string;
    appSecret: string;
    apiBaseUrl: string;
    /** Run the local WeChat stand-in inside this process (local demo, no real AppID). */
    standIn: boolean;
    standInPort: number;
    timeoutMs: number;
  };
  wecom: {
    /** official: WeCom's own API only; bot: the Wechaty bot only; both: the two channels side by side. */
    mode: 'official' | 'bot' | 'both';
    /** The official API is in use: the mode asks for it and a corp (or the local stand-in) is there. */
    official: boolean;
    corpId: string;
    /** The hospital's self-built app 自建应用 (staff notices, JS-SDK agent config). */
    agentId: string;
    agentSecret: string;
    /** The customer-contact 客户联系 secret (contact-me codes, external contacts, tags, send tasks). */
    contactSecret: string;
    apiBaseUrl: string;
    /** Run the local WeCom stand-in inside this process (local demo, no real corp id). */
    standIn: boolean;
    standInPort: number;
    timeoutMs: number;
    /** Retries of a call WeCom refused for its rate limit (45009/45033) or busy (-1); base × 2^n ms apart. */
    maxRetries: number;
    backoffBaseMs: number;
    /** The callback URL's Token and EncodingAESKey (43 characters), from the app's 接收消息 settings. */
    callbackToken: string;
    callbackAesKey: string;
    /** A callback whose timestamp is further than this from now is a replay and is refused. */
    callbackMaxAgeSeconds: number;
    /** The welcome message a client gets on adding a consultant, and its mini-program card (cover: a media id from media/upload). */
    welcomeText: string;
    welcomeCardTitle: string;
    welcomeCardPage: string;
    welcomePicMediaId: string;
    /** message/send calls for staff notices per minute, across processes (WeCom limits an app's sends). */
    noticeCallsPerMinute: number;
    /** How long a consultant has to confirm a send task before its unsent messages take the next channel. */
    sendTaskHours: number;
    /** How often an open send task's results are read back. */
    sendTaskCheckMinutes: number;
  };
  bot: {
    puppet: 'mock' | 'service';
    puppetToken: string;
    name: string;
    /** puppet-service: connect straight to this host:port instead of resolving the token; TLS off for a local gateway. */
    serviceEndpoint: string | null;
    serviceNoTls: boolean;
    /** Messages older than this when they reach the bot (e.g. replayed after a reconnect) are ignored. */
    staleMessageSeconds: number;
    /** The WeCom group staff alerts are posted to. */
    staffRoomTopic: string;
    /** Life of a binding code shown in the mini-program. */
    bindingCodeTtlHours: number;
    /** Wrong binding codes a contact may send per hour before codes from it are ignored. */
    bindingMaxFailures: number;
  };
  demoSeed: boolean;
  /** One password for every demo staff account (scripted runs); null = random per installation, kept in `localDir`. */
  demoStaffPassword: string | null;
  /** Per-installation development secrets (generated data keys, demo passwords), 0600 files outside git. */
  localDir: string;
  /** Port (and address) of the operations listener for /metrics, /openapi.json, /docs; null = all on PORT. */
  ops: { port: number | null; host: string };
  points: {
    questionnaire: number;
    /** Points per yuan paid, by project category; up to two decimals. */
    perYuan: { skin: number; light: number; surgery: number };
    reviewShared: number;
    referral: number;
    /** 推荐新客双倍积分 (DOMAIN.md): the referral points multiplier when the friend is a new client. */
    referralNewClientMultiplier: number;
    expiryMonths: number;
    expiringSoonDays: number;
  };
  rewards: { voucherValidDays: number };
  delivery: {
    /** Quiet hours on the Asia/Shanghai clock (minutes after midnight; may cross midnight); null = none. */
    quietHours: { startMinute: number; endMinute: number } | null;
    /** Sends per WeCom account per minute and per (Shanghai) day; over budget waits, never drops. */
    budgetPerMinute: number;
    budgetPerDay: number;
    /** Messages one client gets per (Shanghai) day, whatever the channel. */
    clientDailyCap: number;
    /** Attempts before a message becomes a staff task. */
    maxAttempts: number;
    leaseSeconds: number;
    batch: number;
    /** Retry backoff: base × 2^(attempt-1), capped. */
    retryBaseSeconds: number;
    retryMaxSeconds: number;
    sendConcurrency: number;
    /** How often the bot drains the outbox. */
    drainIntervalMs: number;
    /** subscribeMessage.send miniprogram_state: which mini-program version a message opens. */
    subscribeState: 'formal' | 'trial' | 'developer';
    /** Days a sent, failed or cancelled outbox row is kept (task 'outbox-retention'). */
    outboxRetentionDays: number;
  };
  scheduler: { runRetentionDays: number };
  care: {
    /** The repurchase reminder goes this many days before a project's effect is expected to fade. */
    repurchaseLeadDays: number;
    /** Mini-program subscribe-message template for follow-ups to clients who are not WeCom contacts. */
    subscribeTemplateId: string;
    /** Largest progress photo 术后对比照 a client may upload, in bytes (JPEG, PNG or WebP). */
    photoMaxBytes: number;
  };
  wallet: {
    /** Days a voucher the client converted from stored value 储值 stays usable. */
    voucherValidDays: number;
  };
  rfm: {
    /** Clients per statement (one short transaction each). */
    chunk: number;
    /** Yearly spend (fen) for monetary scores 2, 3, 4 and 5; 3 and up is a high spender. */
    monetaryTiersFen: [number, number, number, number];
    /** DOMAIN.md: no purchase for 3 months → care offer; 6–12 months → returning gift; over 12 → phone callback. */
    careMonths: number;
    giftMonths: number;
    callbackMonths: number;
    /** DOMAIN.md: ≥2 purchases in a quarter → VIP. */
    vipOrdersPerQuarter: number;
  };
  appointments: {
    /** Opening hours on the Asia/Shanghai clock, HH:MM; an appointment starts and ends inside them. */
    openFrom: string;
    openUntil: string;
    /** Appointments start on a multiple of this many minutes after midnight. */
    slotMinutes: number;
    durationMinutes: { consultation: number; procedure: number; review: number };
    maxDaysAhead: number;
    /** Open (requested or confirmed, not yet started) appointments one client may hold. */
    maxOpenPerClient: number;
    /** Reminders of a confirmed appointment: the day before at `dayBeforeAt` (HH:MM, Asia/Shanghai) and `hoursBefore` hours before. */
    reminders: { dayBeforeAt: string; hoursBefore: number; quietMarginMinutes: number };
  };
  orders: {
    /** How many days before now a recorded order's payment may lie (older ones are typos or backdating). */
    maxBackdateDays: number;
  };
  imports: {
    /** The largest spreadsheet an upload may carry (bytes); a larger one is refused with 413. */
    maxBytes: number;
    /** Rows written per transaction: a bad row in a batch leaves the whole batch unwritten. */
    batchSize: number;
  };
  marketing: {
    /** Channel ids spend may be recorded for; the same ids clients carry as their source channel or UTM source. */
    channels: string[];
  };
  referrals: {
    /** Cashback tiers: converted referrals so far in the period → rate in basis points, ascending. */
    tiers: { minConverted: number; rateBp: number }[];
    /** The period the tier counts over (Asia/Shanghai calendar). */
    tierPeriod: 'month' | 'quarter';
    /** Days a reward is held before release (the refund window). */
    holdDays: number;
    /** Points for the referred friend on their first paid order. */
    refereePoints: number;
    /** Mini-program page the share card and the QR code open. */
    sharePage: string;
    qrWidth: number;
    qrEnvVersion: 'release' | 'trial' | 'develop';
    qrCheckPath: boolean;
    qrCacheSeconds: number;
    leaderboardSize: number;
    /** 冲榜 prizes: the top N referrers of each closed month and quarter get the period's voucher (ties at rank N included). */
    prizeTopN: number;
  };
  feedback: {
    /** Days a satisfaction survey can be answered after it is opened. */
    surveyValidDays: number;
    /** An NPS answer at or below this opens a case for a supervisor (DOMAIN.md: poor ratings are escalated). */
    caseNpsAtMost: number;
    /** Any indicator (1–5) at or below this opens a case too. */
    caseIndicatorAtMost: number;
    /** Hours to resolve a case (投诉 24 小时内处理); an open case past it alerts the director. */
    caseDeadlineHours: number;
    /** The staff role whose worklist gets new complaint cases. */
    caseAssigneeRole: 'director' | 'doctor' | 'consultant' | 'customer_service';
    /**
     * 主管: the staff role that acts as supervisor (DOMAIN.md: poor ratings are escalated to a supervisor
     * for a remedy). Low-score cases go to its worklist, and only it (and the director) may give a
     * compensation when resolving a case.
     */
    supervisorRole: 'director' | 'doctor' | 'consultant' | 'customer_service';
    /** Mini-program page where a promoter shares their experience (the invitation's card opens it). */
    sharePage: string;
  };
  community: {
    /** JSON file with the banned advertising wording by category; null = the built-in list. */
    bannedWordingFile: string | null;
    /** Staff roles that may approve posts (never the post's own author). */
    approverRoles: ('director' | 'doctor' | 'consultant' | 'customer_service')[];
    /** An occurrence missed by more than this many hours (scheduler down) is skipped, not sent late. */
    graceHours: number;
    /** Hosts a post's image may come from (HTTPS only); the bot fetches nothing else. Empty: no images. */
    imageHosts: string[];
  };
  /** Per-client and per-address limits of client actions that cost staff time, WeChat quota or heavy reads. */
  rateLimits: Record<'dataExport' | 'complaint' | 'phoneBinding' | 'referralBinding' | 'questionnaireSubmit', { perClient: number; perIp: number; windowSeconds: number }>;
}

// Fixed, published keys for the test environment only. Development generates its own per
// installation (config/local.ts); production must set its own and may never use these.
const TEST_DATA_KEY = '1:ZGV2LW9ubHktZGF0YS1rZXktbm90LWZvci1wcm9kISE=';
const TEST_BLIND_KEY = 'ZGV2LW9ubHktYmxpbmQtaW5kZXgtbm90LTQtcHJvZCE=';

const notProd = (schema: Joi.StringSchema) => schema.when('NODE_ENV', { is: 'production', then: Joi.required(), otherwise: Joi.optional() });

const schema = Joi.object({
  NODE_ENV: Joi.string().valid('development', 'test', 'production').default('development'),
  ROLES: Joi.string().pattern(/^(all|(api|bot|scheduler)(,(api|bot|scheduler))*)$/).default('all'),
  PORT: Joi.number().port().default(3000),
  // Development listens on this machine only unless told otherwise; production on every interface.
  HOST: Joi.string().optional(),
  PUBLIC_URL: Joi.string().uri({ scheme: ['http', 'https'] }).optional(),
  LOG_LEVEL: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent').default('info'),

  DB_DIALECT: Joi.string().valid('mariadb', 'mysql').default('mariadb'),
  DB_HOST: Joi.string().hostname().default('127.0.0.1'),
  DB_PORT: Joi.number().port().default(3306),
  DB_USER: Joi.string().default('root'),
  DB_PASSWORD: Joi.string().allow('').default(''),
  DB_NAME: Joi.string().pattern(/^[A-Za-z0-9_]+$/).default('meiyan'),
  DB_POOL_SIZE: Joi.number().integer().min(1).max(200).default(20),
  DB_LOGGING: Joi.boolean().default(false),

  REDIS_URL: Joi.string().uri({ scheme: ['redis', 'rediss'] }).default('redis://127.0.0.1:6379/0'),
  REDIS_KEY_PREFIX: Joi.string().pattern(/^[A-Za-z0-9:_-]*$/).allow('').default('meiyan:'),

  BODY_LIMIT: Joi.string().pattern(/^\d+(b|kb|mb)$/i).default('100kb'),
  CORS_ORIGINS: Joi.string().allow('').default(''),
  TRUST_PROXY: Joi.boolean().default(false),
  TRUST_PROXY_HOPS: Joi.number().integer().min(1).max(10).default(1),

  DATA_KEYS: notProd(Joi.string().pattern(/^\d+:[A-Za-z0-9+/=_-]+(,\d+:[A-Za-z0-9+/=_-]+)*$/)),
  // One base64 key (version 1), or versions like DATA_KEYS ("1:<key>,2:<key>") during a blind-index key rotation.
  BLIND_INDEX_KEY: notProd(Joi.string().min(32)),
  LOCAL_DIR: Joi.string().optional(),
  OPS_PORT: Joi.number().port().optional(),
  OPS_HOST: Joi.string().default('127.0.0.1'),

  CLIENT_SESSION_TTL_SECONDS: Joi.number().integer().min(60).default(7 * 24 * 3600),
  STAFF_SESSION_TTL_SECONDS: Joi.number().integer().min(60).default(12 * 3600),
  LOGIN_RATE_LIMIT_PER_IP: Joi.number().integer().min(1).default(30),
  LOGIN_RATE_LIMIT_PER_CLIENT: Joi.number().integer().min(1).default(10),
  LOGIN_RATE_WINDOW_SECONDS: Joi.number().integer().min(1).default(60),
  STAFF_LOCKOUT_ATTEMPTS: Joi.number().integer().min(1).default(5),
  STAFF_LOCKOUT_MINUTES: Joi.number().integer().min(1).default(15),
  // Staff logins per address and window, across all usernames (the lockout is per account, so
  // without this one address could try 5 guesses on every username). 20 a minute lets a clinic's
  // whole shift log in through one NAT, typos included; a sprayer gets 20 guesses a minute, not thousands.
  STAFF_LOGIN_RATE_LIMIT_PER_IP: Joi.number().integer().min(1).default(20),
  STAFF_LOGIN_RATE_WINDOW_SECONDS: Joi.number().integer().min(1).default(60),
  // ASVS L2 (session management): an idle timeout beside the absolute one of STAFF_SESSION_TTL_SECONDS.
  // 0 turns it off: for tests that move the clock by days between requests of one session.
  STAFF_SESSION_IDLE_MINUTES: Joi.number().integer().min(0).max(24 * 60).default(30),
  // Three primary-key range reads per process per poll, however many workbenches listen.
  STAFF_STREAM_POLL_MS: Joi.number().integer().min(200).max(60_000).default(2000),
  // The director (院长) sees every archive: a second factor is required of them in production.
  STAFF_TOTP_REQUIRED_ROLES: Joi.string().allow('')
    .pattern(/^(director|doctor|consultant|customer_service)(,(director|doctor|consultant|customer_service))*$/, 'comma list of staff roles')
    .when('NODE_ENV', { is: 'production', then: Joi.optional().default('director'), otherwise: Joi.optional().default('') }),
  // OWASP's scrypt recommendation is N = 2^17 (128 MiB per hash); lower values exist for the test run.
  STAFF_PASSWORD_SCRYPT_N: Joi.number().integer().valid(2 ** 14, 2 ** 15, 2 ** 16, 2 ** 17, 2 ** 18, 2 ** 19, 2 ** 20).default(2 ** 17),
  STAFF_TOTP_ISSUER: Joi.string().min(1).max(64).pattern(/^[^:]+$/, 'no colon').default('Meiyan CRM'),
  // Client actions, each per client and per address within its window (then 429 with Retry-After).
  // An address counts many clients behind one NAT (a clinic's wifi), hence the higher numbers.
  RATE_LIMIT_DATA_EXPORT_PER_CLIENT: Joi.number().integer().min(1).default(3),
  RATE_LIMIT_DATA_EXPORT_PER_IP: Joi.number().integer().min(1).default(20),
  RATE_LIMIT_DATA_EXPORT_WINDOW_SECONDS: Joi.number().integer().min(1).default(86400),
  RATE_LIMIT_COMPLAINT_PER_CLIENT: Joi.number().integer().min(1).default(5),
  RATE_LIMIT_COMPLAINT_PER_IP: Joi.number().integer().min(1).default(30),
  RATE_LIMIT_COMPLAINT_WINDOW_SECONDS: Joi.number().integer().min(1).default(3600),
  RATE_LIMIT_PHONE_BINDING_PER_CLIENT: Joi.number().integer().min(1).default(5),
  RATE_LIMIT_PHONE_BINDING_PER_IP: Joi.number().integer().min(1).default(30),
  RATE_LIMIT_PHONE_BINDING_WINDOW_SECONDS: Joi.number().integer().min(1).default(3600),
  RATE_LIMIT_REFERRAL_BINDING_PER_CLIENT: Joi.number().integer().min(1).default(3),
  RATE_LIMIT_REFERRAL_BINDING_PER_IP: Joi.number().integer().min(1).default(30),
  RATE_LIMIT_REFERRAL_BINDING_WINDOW_SECONDS: Joi.number().integer().min(1).default(3600),
  RATE_LIMIT_QUESTIONNAIRE_SUBMIT_PER_CLIENT: Joi.number().integer().min(1).default(10),
  RATE_LIMIT_QUESTIONNAIRE_SUBMIT_PER_IP: Joi.number().integer().min(1).default(60),
  RATE_LIMIT_QUESTIONNAIRE_SUBMIT_WINDOW_SECONDS: Joi.number().integer().min(1).default(3600),

  PRIVACY_POLICY_VERSION: Joi.string().max(32).default('2026-01'),
  HEALTH_CONSENT_VERSION: Joi.string().max(32).default('2026-01'),
  GUARDIAN_CONSENT_VERSION: Joi.string().max(32).default('2026-01'),
  GUARDIAN_AGE_UNDER: Joi.number().integer().min(1).max(18).default(14),

  WECHAT_APPID: Joi.string().allow('').default(''),
  WECHAT_SECRET: Joi.string().allow('').default(''),
  WECHAT_API_BASE: Joi.string().uri({ scheme: ['http', 'https'] }).optional(),
  WECHAT_STANDIN: Joi.boolean().optional(),
  // Unset: PORT + 901 (3901 beside 3000), so instances on other API ports do not collide; 0: any free port.
  WECHAT_STANDIN_PORT: Joi.number().port().optional(),
  WECHAT_TIMEOUT_MS: Joi.number().integer().min(100).default(5000),

  WECOM_MODE: Joi.string().valid('official', 'bot', 'both').default('both'),
  WECOM_CORP_ID: Joi.string().pattern(/^[A-Za-z0-9_-]*$/).allow('').default(''),
  WECOM_AGENT_ID: Joi.string().pattern(/^\d*$/).allow('').default(''),
  WECOM_AGENT_SECRET: Joi.string().allow('').default(''),
  WECOM_CONTACT_SECRET: Joi.string().allow('').default(''),
  WECOM_API_BASE: Joi.string().uri({ scheme: ['http', 'https'] }).optional(),
  WECOM_STANDIN: Joi.boolean().optional(),
  WECOM_STANDIN_PORT: Joi.number().port().default(3902),
  WECOM_TIMEOUT_MS: Joi.number().integer().min(100).default(5000),
  WECOM_MAX_RETRIES: Joi.number().integer().min(0).max(10).default(3),
  WECOM_BACKOFF_BASE_MS: Joi.number().integer().min(1).max(60000).default(500),
  WECOM_CALLBACK_TOKEN: Joi.string().pattern(/^[A-Za-z0-9]{0,32}$/).allow('').default(''),
  WECOM_CALLBACK_AES_KEY: Joi.string().pattern(/^([A-Za-z0-9]{43})?$/, '43 letters and digits').allow('').default(''),
  WECOM_CALLBACK_MAX_AGE_SECONDS: Joi.number().integer().min(10).max(86400).default(300),
  WECOM_WELCOME_TEXT: Joi.string().max(1000).default('您好，我是您的专属顾问。点开下面的小程序填写意向问卷，方便为您推荐合适的方案。'),
  WECOM_WELCOME_CARD_TITLE: Joi.string().max(64).default('填写意向问卷'),
  WECOM_WELCOME_CARD_PAGE: Joi.string().pattern(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*(\.html)?(\?[A-Za-z0-9_=&%.-]*)?$/, 'mini-program page path').default('packageSurvey/questionnaire/index.html?code=intent'),
  WECOM_WELCOME_PIC_MEDIA_ID: Joi.string().max(256).allow('').default(''),
  WECOM_NOTICE_CALLS_PER_MINUTE: Joi.number().integer().min(1).max(10000).default(60),
  WECOM_SEND_TASK_HOURS: Joi.number().integer().min(1).max(72).default(24),
  WECOM_SEND_TASK_CHECK_MINUTES: Joi.number().integer().min(1).max(1440).default(10),

  BOT_PUPPET: Joi.string().valid('mock', 'service').default('mock'),
  WECHATY_PUPPET_SERVICE_TOKEN: Joi.string().allow('').when('BOT_PUPPET', { is: 'service', then: Joi.required().invalid('') }),
  BOT_NAME: Joi.string().default('meiyan-bot'),
  WECHATY_PUPPET_SERVICE_ENDPOINT: Joi.string().pattern(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'host:port').optional(),
  WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT: Joi.boolean().default(false),
  BOT_STALE_MESSAGE_SECONDS: Joi.number().integer().min(10).max(86_400).default(120),
  BOT_STAFF_ROOM_TOPIC: Joi.string().min(1).max(64).default('美颜医院·员工通知群'),
  WECOM_BINDING_CODE_TTL_HOURS: Joi.number().integer().min(1).max(720).default(24),
  WECOM_BINDING_MAX_FAILURES: Joi.number().integer().min(1).max(100).default(5),

  DEMO_SEED: Joi.boolean().optional(),
  DEMO_STAFF_PASSWORD: Joi.string().min(10).max(128).optional(),

  POINTS_QUESTIONNAIRE: Joi.number().integer().min(0).max(100000).default(100),
  POINTS_PER_YUAN_SKIN: Joi.number().min(0).max(100).precision(2).default(1),
  POINTS_PER_YUAN_LIGHT: Joi.number().min(0).max(100).precision(2).default(1),
  POINTS_PER_YUAN_SURGERY: Joi.number().min(0).max(100).precision(2).default(1),
  POINTS_REVIEW_SHARED: Joi.number().integer().min(0).max(100000).default(50),
  POINTS_REFERRAL: Joi.number().integer().min(0).max(100000).default(200),
  POINTS_REFERRAL_NEW_CLIENT_MULTIPLIER: Joi.number().integer().min(1).max(10).default(2),
  POINTS_EXPIRY_MONTHS: Joi.number().integer().min(1).max(120).default(12),
  POINTS_EXPIRING_SOON_DAYS: Joi.number().integer().min(1).max(365).default(30),
  CARE_REPURCHASE_LEAD_DAYS: Joi.number().integer().min(1).max(365).default(30),
  CARE_SUBSCRIBE_TEMPLATE_ID: Joi.string().max(128).default('followup-reminder'),
  // Stored encrypted in a MEDIUMBLOB (16 MiB): the ceiling leaves room for the cipher's overhead.
  WALLET_VOUCHER_VALID_DAYS: Joi.number().integer().min(1).max(3650).default(365),
  CARE_PHOTO_MAX_BYTES: Joi.number().integer().min(10_000).max(15 * 1024 * 1024).default(5 * 1024 * 1024),
  RFM_CHUNK: Joi.number().integer().min(100).max(1_000_000).default(20000),
  RFM_MONETARY_TIERS_YUAN: Joi.string().pattern(/^\d+,\d+,\d+,\d+$/).default('1000,5000,20000,50000'),
  RFM_CARE_MONTHS: Joi.number().integer().min(1).max(60).default(3),
  RFM_GIFT_MONTHS: Joi.number().integer().min(1).max(60).default(6),
  RFM_CALLBACK_MONTHS: Joi.number().integer().min(1).max(120).default(12),
  RFM_VIP_ORDERS_PER_QUARTER: Joi.number().integer().min(1).max(100).default(2),
  REWARD_VOUCHER_VALID_DAYS: Joi.number().integer().min(1).max(3650).default(90),

  QUIET_HOURS: Joi.string().pattern(/^(off|([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d)$/, 'HH:MM-HH:MM or off').default('21:00-09:00'),
  SEND_BUDGET_PER_MINUTE: Joi.number().integer().min(1).max(10000).default(20),
  SEND_BUDGET_PER_DAY: Joi.number().integer().min(1).max(1000000).default(500),
  CLIENT_DAILY_MESSAGE_CAP: Joi.number().integer().min(1).max(100).default(3),
  DELIVERY_MAX_ATTEMPTS: Joi.number().integer().min(1).max(50).default(5),
  DELIVERY_LEASE_SECONDS: Joi.number().integer().min(5).max(3600).default(60),
  DELIVERY_BATCH: Joi.number().integer().min(1).max(1000).default(50),
  DELIVERY_RETRY_BASE_SECONDS: Joi.number().integer().min(1).max(3600).default(30),
  DELIVERY_RETRY_MAX_SECONDS: Joi.number().integer().min(1).max(86400).default(3600),
  DELIVERY_SEND_CONCURRENCY: Joi.number().integer().min(1).max(64).default(4),
  DELIVERY_DRAIN_INTERVAL_MS: Joi.number().integer().min(100).max(600000).default(3000),
  OUTBOX_RETENTION_DAYS: Joi.number().integer().min(1).max(3650).default(30),
  SUBSCRIBE_MESSAGE_STATE: Joi.string().valid('formal', 'trial', 'developer').default('formal'),
  SCHEDULER_RUN_RETENTION_DAYS: Joi.number().integer().min(1).max(3650).default(30),

  APPOINTMENT_OPEN_FROM: Joi.string().pattern(/^([01]\d|2[0-3]):[0-5]\d$/).default('09:00'),
  APPOINTMENT_OPEN_UNTIL: Joi.string().pattern(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/).default('18:00'),
  APPOINTMENT_SLOT_MINUTES: Joi.number().integer().min(5).max(240).default(30),
  APPOINTMENT_CONSULTATION_MINUTES: Joi.number().integer().min(5).max(720).default(30),
  APPOINTMENT_PROCEDURE_MINUTES: Joi.number().integer().min(5).max(720).default(120),
  APPOINTMENT_REVIEW_MINUTES: Joi.number().integer().min(5).max(720).default(30),
  APPOINTMENT_REMINDER_DAY_BEFORE_AT: Joi.string().pattern(/^([01]\d|2[0-3]):[0-5]\d$/).default('16:00'),
  APPOINTMENT_REMINDER_HOURS_BEFORE: Joi.number().integer().min(1).max(23).default(2),
  APPOINTMENT_REMINDER_QUIET_MARGIN_MINUTES: Joi.number().integer().min(0).max(240).default(30),
  APPOINTMENT_MAX_DAYS_AHEAD: Joi.number().integer().min(1).max(730).default(180),
  APPOINTMENT_MAX_OPEN_PER_CLIENT: Joi.number().integer().min(1).max(100).default(3),

  ORDER_MAX_BACKDATE_DAYS: Joi.number().integer().min(1).max(3650).default(30),

  IMPORT_MAX_BYTES: Joi.number().integer().min(1024).max(64 * 1024 * 1024).default(10 * 1024 * 1024),
  IMPORT_BATCH_SIZE: Joi.number().integer().min(1).max(5000).default(500),

  MARKETING_CHANNELS: Joi.string().pattern(/^[a-z0-9_]{1,64}(,[a-z0-9_]{1,64})*$/, 'comma list of channel ids')
    .default('xiaohongshu,douyin,baidu,dianping,referral,offline_event,wecom,website,wechat,mini_program,walk_in,phone,other'),

  REFERRAL_TIERS: Joi.string().pattern(/^\d{1,5}:\d{1,4}(,\d{1,5}:\d{1,4})*$/, 'converted:basisPoints list').default('0:500,3:1000,6:1500'),
  REFERRAL_TIER_PERIOD: Joi.string().valid('month', 'quarter').default('month'),
  REFERRAL_HOLD_DAYS: Joi.number().integer().min(0).max(365).default(7),
  REFERRAL_REFEREE_POINTS: Joi.number().integer().min(0).max(100000).default(100),
  REFERRAL_SHARE_PAGE: Joi.string().pattern(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'page path without a leading / or query').default('pages/index/index'),
  REFERRAL_QR_WIDTH: Joi.number().integer().min(280).max(1280).default(430),
  REFERRAL_QR_ENV_VERSION: Joi.string().valid('release', 'trial', 'develop').default('release'),
  REFERRAL_QR_CHECK_PATH: Joi.boolean().default(true),
  REFERRAL_QR_CACHE_DAYS: Joi.number().integer().min(1).max(30).default(7),
  REFERRAL_LEADERBOARD_SIZE: Joi.number().integer().min(1).max(100).default(10),
  REFERRAL_PRIZE_TOP_N: Joi.number().integer().min(0).max(100).default(3),

  SURVEY_VALID_DAYS: Joi.number().integer().min(1).max(365).default(30),
  SURVEY_CASE_NPS_AT_MOST: Joi.number().integer().min(0).max(10).default(6),
  SURVEY_CASE_INDICATOR_AT_MOST: Joi.number().integer().min(0).max(5).default(2),
  SURVEY_SHARE_PAGE: Joi.string().pattern(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'page path without a leading / or query').default('packageSurvey/survey/index'),
  CASE_DEADLINE_HOURS: Joi.number().integer().min(1).max(720).default(24),
  CASE_ASSIGNEE_ROLE: Joi.string().valid('director', 'doctor', 'consultant', 'customer_service').default('customer_service'),
  SUPERVISOR_ROLE: Joi.string().valid('director', 'doctor', 'consultant', 'customer_service').default('director'),
  COMMUNITY_BANNED_WORDING_FILE: Joi.string().allow('').default(''),
  COMMUNITY_APPROVER_ROLES: Joi.string().pattern(/^(director|doctor|consultant|customer_service)(,(director|doctor|consultant|customer_service))*$/, 'comma list of staff roles').default('director'),
  COMMUNITY_POST_GRACE_HOURS: Joi.number().integer().min(1).max(72).default(6),
  COMMUNITY_IMAGE_HOSTS: Joi.string().pattern(/^[a-z0-9.-]+(,[a-z0-9.-]+)*$/i, 'comma list of host names').allow('').default(''),
})
  .custom((env, helpers) => {
    if (env.APPOINTMENT_OPEN_FROM >= env.APPOINTMENT_OPEN_UNTIL) return helpers.message({ custom: 'APPOINTMENT_OPEN_FROM must be before APPOINTMENT_OPEN_UNTIL' });
    if (!(env.RFM_CARE_MONTHS < env.RFM_GIFT_MONTHS && env.RFM_GIFT_MONTHS < env.RFM_CALLBACK_MONTHS)) {
      return helpers.message({ custom: 'RFM_CARE_MONTHS < RFM_GIFT_MONTHS < RFM_CALLBACK_MONTHS must hold' });
    }
    const tiers = String(env.RFM_MONETARY_TIERS_YUAN).split(',').map(Number);
    if (tiers.some((t, i) => i > 0 && t <= tiers[i - 1])) return helpers.message({ custom: 'RFM_MONETARY_TIERS_YUAN must be increasing' });
    if (env.NODE_ENV === 'production' && env.WECOM_STANDIN) return helpers.message({ custom: 'WECOM_STANDIN cannot be on in production' });
    if (env.WECOM_MODE !== 'bot' && env.WECOM_CORP_ID) {
      const missing = ['WECOM_AGENT_ID', 'WECOM_AGENT_SECRET', 'WECOM_CONTACT_SECRET', 'WECOM_CALLBACK_TOKEN', 'WECOM_CALLBACK_AES_KEY'].filter((k) => !env[k]);
      if (missing.length) return helpers.message({ custom: `with WECOM_CORP_ID set, the official WeCom API needs ${missing.join(', ')}` });
    }
    if (env.NODE_ENV === 'production' && env.WECHAT_STANDIN) return helpers.message({ custom: 'WECHAT_STANDIN cannot be on in production' });
    // Production refuses what only a demo may have: the demo seed (well-known accounts), the
    // database's superuser or no database password, WeChat secrets over plain HTTP.
    if ((env.OPS_PORT ?? (env.NODE_ENV === 'production' ? 9464 : null)) === env.PORT) return helpers.message({ custom: 'OPS_PORT must differ from PORT' });
    if (env.NODE_ENV === 'production' && env.DEMO_SEED) return helpers.message({ custom: 'DEMO_SEED cannot be on in production' });
    if (env.NODE_ENV === 'production' && env.DB_USER === 'root') return helpers.message({ custom: 'DB_USER cannot be root in production: give the API its own database user' });
    if (env.NODE_ENV === 'production' && !env.DB_PASSWORD) return helpers.message({ custom: 'DB_PASSWORD cannot be empty in production' });
    if (env.NODE_ENV === 'production' && env.WECHAT_API_BASE && !/^https:/i.test(env.WECHAT_API_BASE)) {
      return helpers.message({ custom: 'WECHAT_API_BASE must be https in production (the AppSecret and access tokens travel on it)' });
    }
    if (env.NODE_ENV === 'production' && (!env.WECHAT_APPID || !env.WECHAT_SECRET)) {
      return helpers.message({ custom: 'WECHAT_APPID and WECHAT_SECRET are required in production' });
    }
    return env;
  })
  .unknown(true);

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

function parseDataKeys(spec: string, problems: string[]): Map<number, Buffer> {
  const keys = new Map<number, Buffer>();
  for (const part of spec.split(',')) {
    const [version, b64] = part.split(':');
    const key = Buffer.from(b64, 'base64');
    // The version is stored in one byte of every ciphertext.
    if (!(Number(version) >= 1 && Number(version) <= 255)) problems.push(`"DATA_KEYS" version ${version} must be between 1 and 255`);
    if (key.length !== 32) problems.push(`"DATA_KEYS" version ${version} must decode (base64) to exactly 32 bytes`);
    if (keys.has(Number(version))) problems.push(`"DATA_KEYS" lists version ${version} twice`);
    keys.set(Number(version), key);
  }
  return keys;
}

/** BLIND_INDEX_KEY: a bare base64 key is version 1; "1:<key>,2:<key>" lists versions (each at least 32 bytes). */
function parseBlindIndexKeys(spec: string, problems: string[]): Map<number, Buffer> {
  const keys = new Map<number, Buffer>();
  const versioned = /^\d+:/.test(spec);
  for (const part of versioned ? spec.split(',') : [`1:${spec}`]) {
    const sep = part.indexOf(':');
    const version = Number(part.slice(0, sep));
    const key = Buffer.from(part.slice(sep + 1), 'base64');
    if (!(Number.isInteger(version) && version >= 1 && version <= 99)) problems.push(`"BLIND_INDEX_KEY" version ${part.slice(0, sep)} must be between 1 and 99`);
    if (key.length < 32) problems.push(`"BLIND_INDEX_KEY"${versioned ? ` version ${version}` : ''} must decode (base64) to at least 32 bytes`);
    if (keys.has(version)) problems.push(`"BLIND_INDEX_KEY" lists version ${version} twice`);
    keys.set(version, key);
  }
  return keys;
}

/** "21:00-09:00" → minutes after midnight (Asia/Shanghai); "off" or an empty window → no quiet hours. */
function parseQuietHours(spec: string): { startMinute: number; endMinute: number } | null {
  if (spec === 'off') return null;
  const [startMinute, endMinute] = spec.split('-').map((hm) => {
    const [h, m] = hm.split(':').map(Number);
    return h * 60 + m;
  });
  return startMinute === endMinute ? null : { startMinute, endMinute };
}

/** "0:500,3:1000,6:1500" → tiers by converted referrals, ascending; the first must start at 0, rates at most 100%. */
function parseTiers(spec: string, problems: string[]): { minConverted: number; rateBp: number }[] {
  const tiers = spec.split(',').map((part) => {
    const [min, bp] = part.split(':').map(Number);
    return { minConverted: min, rateBp: bp };
  });
  if (tiers[0]?.minConverted !== 0) problems.push('"REFERRAL_TIERS" must start with a tier at 0 converted referrals');
  if (tiers.some((t, i) => i > 0 && t.minConverted <= tiers[i - 1].minConverted)) problems.push('"REFERRAL_TIERS" thresholds must increase');
  if (tiers.some((t) => t.rateBp > 10000)) problems.push('"REFERRAL_TIERS" rates are basis points (at most 10000 = 100%)');
  return tiers;
}

/** Reads the environment once, validates every variable, and reports all problems together. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env, { dotenv = true } = {}): Config {
  const raw = dotenv ? { ...loadDotenv(), ...source } : source;
  const { value: env, error } = schema.validate(raw, { abortEarly: false, convert: true });
  const problems = error ? error.details.map((d) => d.message) : [];
  if (problems.length) throw new ConfigError(problems);

  // Tests (which seed demo staff too) keep the checkout's own .local/ untouched.
  const localDir: string = env.LOCAL_DIR ?? (env.NODE_ENV === 'test' ? path.join(os.tmpdir(), `meiyan-test-local-${process.pid}`) : path.resolve(process.cwd(), '.local'));
  if (env.NODE_ENV === 'test') {
    env.DATA_KEYS ??= TEST_DATA_KEY;
    env.BLIND_INDEX_KEY ??= TEST_BLIND_KEY;
  } else if (env.NODE_ENV === 'development' && (!env.DATA_KEYS || !env.BLIND_INDEX_KEY)) {
    const local = localDevKeys(localDir);
    env.DATA_KEYS ??= local.DATA_KEYS;
    env.BLIND_INDEX_KEY ??= local.BLIND_INDEX_KEY;
  }
  const dataKeys = parseDataKeys(env.DATA_KEYS, problems);
  const referralTiers = parseTiers(env.REFERRAL_TIERS, problems);
  const blindIndexKeys = parseBlindIndexKeys(env.BLIND_INDEX_KEY, problems);
  const blindIndexKey = blindIndexKeys.get(Math.max(...blindIndexKeys.keys(), 1)) ?? Buffer.alloc(0);
  const published = (spec: string, key: string) => spec.split(',').some((part) => part.split(':').pop() === key.split(':').pop());
  if (env.NODE_ENV === 'production' && (published(env.DATA_KEYS, TEST_DATA_KEY) || published(env.BLIND_INDEX_KEY, TEST_BLIND_KEY))) {
    problems.push('"DATA_KEYS" and "BLIND_INDEX_KEY" must not be the published development/test keys in production');
  }
  if (problems.length) throw new ConfigError(problems);

  const roles: Role[] = env.ROLES === 'all' ? ['api', 'bot', 'scheduler'] : [...new Set(env.ROLES.split(',') as Role[])];
  const standIn: boolean = env.WECHAT_STANDIN ?? (!env.WECHAT_APPID && env.NODE_ENV !== 'production');
  // Like WeChat's: without a corp id (outside production) the local WeCom stand-in plays WeCom.
  const wecomStandIn: boolean = env.WECOM_STANDIN ?? (!env.WECOM_CORP_ID && env.NODE_ENV !== 'production');
  const standInPort: number = env.WECHAT_STANDIN_PORT ?? (env.PORT === 0 ? 0 : Math.min(65535, env.PORT + 901));
  const apiBaseUrl: string =
    env.WECHAT_API_BASE ?? (standIn ? `http://127.0.0.1:${standInPort}` : 'https://api.weixin.qq.com');

  return {
    env: env.NODE_ENV,
    roles,
    port: env.PORT,
    host: env.HOST ?? (env.NODE_ENV === 'development' ? '127.0.0.1' : '0.0.0.0'),
    publicUrl: env.PUBLIC_URL ?? `http://localhost:${env.PORT}`,
    logLevel: env.LOG_LEVEL,
    db: {
      dialect: env.DB_DIALECT,
      host: env.DB_HOST,
      port: env.DB_PORT,
      user: env.DB_USER,
      password: env.DB_PASSWORD,
      database: env.DB_NAME,
      poolSize: env.DB_POOL_SIZE,
      logging: env.DB_LOGGING,
    },
    redis: { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX },
    http: {
      bodyLimit: env.BODY_LIMIT,
      corsOrigins: env.CORS_ORIGINS.split(',').map((s: string) => s.trim()).filter(Boolean),
      trustProxy: env.TRUST_PROXY,
      trustProxyHops: env.TRUST_PROXY_HOPS,
    },
    crypto: { dataKeys, currentKeyVersion: Math.max(...dataKeys.keys()), blindIndexKey, blindIndexKeys },
    auth: {
      clientSessionTtlSeconds: env.CLIENT_SESSION_TTL_SECONDS,
      staffSessionTtlSeconds: env.STAFF_SESSION_TTL_SECONDS,
      loginRateLimitPerIp: env.LOGIN_RATE_LIMIT_PER_IP,
      loginRateLimitPerClient: env.LOGIN_RATE_LIMIT_PER_CLIENT,
      loginRateWindowSeconds: env.LOGIN_RATE_WINDOW_SECONDS,
      staffLockoutAttempts: env.STAFF_LOCKOUT_ATTEMPTS,
      staffLockoutMinutes: env.STAFF_LOCKOUT_MINUTES,
      staffLoginRateLimitPerIp: env.STAFF_LOGIN_RATE_LIMIT_PER_IP,
      staffLoginRateWindowSeconds: env.STAFF_LOGIN_RATE_WINDOW_SECONDS,
      staffSessionIdleMinutes: env.STAFF_SESSION_IDLE_MINUTES,
      staffStreamPollMs: env.STAFF_STREAM_POLL_MS,
      staffTotpRequiredRoles: String(env.STAFF_TOTP_REQUIRED_ROLES).split(',').filter(Boolean),
      staffTotpIssuer: env.STAFF_TOTP_ISSUER,
      staffPasswordScryptN: env.STAFF_PASSWORD_SCRYPT_N,
    },
    policy: {
      privacyVersion: env.PRIVACY_POLICY_VERSION,
      healthConsentVersion: env.HEALTH_CONSENT_VERSION,
      guardianConsentVersion: env.GUARDIAN_CONSENT_VERSION,
      guardianAgeUnder: env.GUARDIAN_AGE_UNDER,
    },
    wechat: {
      appId: env.WECHAT_APPID || (standIn ? 'wxstandin0000000' : ''),
      appSecret: env.WECHAT_SECRET || (standIn ? 'standin-secret' : ''),
      apiBaseUrl,
      standIn,
      standInPort,
      timeoutMs: env.WECHAT_TIMEOUT_MS,
    },
    wecom: {
      mode: env.WECOM_MODE,
      official: env.WECOM_MODE !== 'bot' && Boolean(env.WECOM_CORP_ID || wecomStandIn),
      corpId: env.WECOM_CORP_ID || (wecomStandIn ? 'wwstandin00000000' : ''),
      agentId: env.WECOM_AGENT_ID || (wecomStandIn ? '1000002' : ''),
      agentSecret: env.WECOM_AGENT_SECRET || (wecomStandIn ? 'standin-agent-secret' : ''),
      contactSecret: env.WECOM_CONTACT_SECRET || (wecomStandIn ? 'standin-contact-secret' : ''),
      apiBaseUrl: env.WECOM_API_BASE ?? (wecomStandIn ? `http://127.0.0.1:${env.WECOM_STANDIN_PORT}` : 'https://qyapi.weixin.qq.com'),
      standIn: wecomStandIn,
      standInPort: env.WECOM_STANDIN_PORT,
      timeoutMs: env.WECOM_TIMEOUT_MS,
      maxRetries: env.WECOM_MAX_RETRIES,
      backoffBaseMs: env.WECOM_BACKOFF_BASE_MS,
      // Development-only callback credentials for the stand-in; a real corp sets its own (checked above).
      callbackToken: env.WECOM_CALLBACK_TOKEN || (wecomStandIn ? 'standinToken' : ''),
      callbackAesKey: env.WECOM_CALLBACK_AES_KEY || (wecomStandIn ? 'c3RhbmRpbi1vbmx5LWNhbGxiYWNrLWtleS0zMmJ5dGU' : ''),
      callbackMaxAgeSeconds: env.WECOM_CALLBACK_MAX_AGE_SECONDS,
      welcomeText: env.WECOM_WELCOME_TEXT,
      welcomeCardTitle: env.WECOM_WELCOME_CARD_TITLE,
      welcomeCardPage: env.WECOM_WELCOME_CARD_PAGE,
      welcomePicMediaId: env.WECOM_WELCOME_PIC_MEDIA_ID || (wecomStandIn ? 'standin-cover-media' : ''),
      noticeCallsPerMinute: env.WECOM_NOTICE_CALLS_PER_MINUTE,
      sendTaskHours: env.WECOM_SEND_TASK_HOURS,
      sendTaskCheckMinutes: env.WECOM_SEND_TASK_CHECK_MINUTES,
    },
    bot: {
      puppet: env.BOT_PUPPET,
      puppetToken: env.WECHATY_PUPPET_SERVICE_TOKEN ?? '',
      name: env.BOT_NAME,
      serviceEndpoint: env.WECHATY_PUPPET_SERVICE_ENDPOINT ?? null,
      serviceNoTls: env.WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT,
      staleMessageSeconds: env.BOT_STALE_MESSAGE_SECONDS,
      staffRoomTopic: env.BOT_STAFF_ROOM_TOPIC,
      bindingCodeTtlHours: env.WECOM_BINDING_CODE_TTL_HOURS,
      bindingMaxFailures: env.WECOM_BINDING_MAX_FAILURES,
    },
    demoSeed: env.DEMO_SEED ?? env.NODE_ENV === 'development',
    demoStaffPassword: env.DEMO_STAFF_PASSWORD ?? null,
    localDir,
    ops: { port: env.OPS_PORT ?? (env.NODE_ENV === 'production' ? 9464 : null), host: env.OPS_HOST },
    points: {
      questionnaire: env.POINTS_QUESTIONNAIRE,
      perYuan: { skin: env.POINTS_PER_YUAN_SKIN, light: env.POINTS_PER_YUAN_LIGHT, surgery: env.POINTS_PER_YUAN_SURGERY },
      reviewShared: env.POINTS_REVIEW_SHARED,
      referral: env.POINTS_REFERRAL,
      referralNewClientMultiplier: env.POINTS_REFERRAL_NEW_CLIENT_MULTIPLIER,
      expiryMonths: env.POINTS_EXPIRY_MONTHS,
      expiringSoonDays: env.POINTS_EXPIRING_SOON_DAYS,
    },
    rewards: { voucherValidDays: env.REWARD_VOUCHER_VALID_DAYS },
    delivery: {
      quietHours: parseQuietHours(env.QUIET_HOURS),
      budgetPerMinute: env.SEND_BUDGET_PER_MINUTE,
      budgetPerDay: env.SEND_BUDGET_PER_DAY,
      clientDailyCap: env.CLIENT_DAILY_MESSAGE_CAP,
      maxAttempts: env.DELIVERY_MAX_ATTEMPTS,
      leaseSeconds: env.DELIVERY_LEASE_SECONDS,
      batch: env.DELIVERY_BATCH,
      retryBaseSeconds: env.DELIVERY_RETRY_BASE_SECONDS,
      retryMaxSeconds: env.DELIVERY_RETRY_MAX_SECONDS,
      sendConcurrency: env.DELIVERY_SEND_CONCURRENCY,
      drainIntervalMs: env.DELIVERY_DRAIN_INTERVAL_MS,
      subscribeState: env.SUBSCRIBE_MESSAGE_STATE,
      outboxRetentionDays: env.OUTBOX_RETENTION_DAYS,
    },
    scheduler: { runRetentionDays: env.SCHEDULER_RUN_RETENTION_DAYS },
    care: { repurchaseLeadDays: env.CARE_REPURCHASE_LEAD_DAYS, subscribeTemplateId: env.CARE_SUBSCRIBE_TEMPLATE_ID, photoMaxBytes: env.CARE_PHOTO_MAX_BYTES },
    wallet: { voucherValidDays: env.WALLET_VOUCHER_VALID_DAYS },
    rfm: {
      chunk: env.RFM_CHUNK,
      monetaryTiersFen: (env.RFM_MONETARY_TIERS_YUAN as string).split(',').map((y: string) => Number(y) * 100) as [number, number, number, number],
      careMonths: env.RFM_CARE_MONTHS,
      giftMonths: env.RFM_GIFT_MONTHS,
      callbackMonths: env.RFM_CALLBACK_MONTHS,
      vipOrdersPerQuarter: env.RFM_VIP_ORDERS_PER_QUARTER,
    },
    appointments: {
      openFrom: env.APPOINTMENT_OPEN_FROM,
      openUntil: env.APPOINTMENT_OPEN_UNTIL,
      slotMinutes: env.APPOINTMENT_SLOT_MINUTES,
      durationMinutes: { consultation: env.APPOINTMENT_CONSULTATION_MINUTES, procedure: env.APPOINTMENT_PROCEDURE_MINUTES, review: env.APPOINTMENT_REVIEW_MINUTES },
      maxDaysAhead: env.APPOINTMENT_MAX_DAYS_AHEAD,
      maxOpenPerClient: env.APPOINTMENT_MAX_OPEN_PER_CLIENT,
      reminders: {
        dayBeforeAt: env.APPOINTMENT_REMINDER_DAY_BEFORE_AT,
        hoursBefore: env.APPOINTMENT_REMINDER_HOURS_BEFORE,
        quietMarginMinutes: env.APPOINTMENT_REMINDER_QUIET_MARGIN_MINUTES,
      },
    },
    orders: { maxBackdateDays: env.ORDER_MAX_BACKDATE_DAYS },
    imports: { maxBytes: env.IMPORT_MAX_BYTES, batchSize: env.IMPORT_BATCH_SIZE },
    marketing: { channels: [...new Set((env.MARKETING_CHANNELS as string).split(','))] },
    referrals: {
      tiers: referralTiers,
      tierPeriod: env.REFERRAL_TIER_PERIOD,
      holdDays: env.REFERRAL_HOLD_DAYS,
      refereePoints: env.REFERRAL_REFEREE_POINTS,
      sharePage: env.REFERRAL_SHARE_PAGE,
      qrWidth: env.REFERRAL_QR_WIDTH,
      qrEnvVersion: env.REFERRAL_QR_ENV_VERSION,
      qrCheckPath: env.REFERRAL_QR_CHECK_PATH,
      qrCacheSeconds: env.REFERRAL_QR_CACHE_DAYS * 86400,
      leaderboardSize: env.REFERRAL_LEADERBOARD_SIZE,
      prizeTopN: env.REFERRAL_PRIZE_TOP_N,
    },
    feedback: {
      surveyValidDays: env.SURVEY_VALID_DAYS,
      caseNpsAtMost: env.SURVEY_CASE_NPS_AT_MOST,
      caseIndicatorAtMost: env.SURVEY_CASE_INDICATOR_AT_MOST,
      caseDeadlineHours: env.CASE_DEADLINE_HOURS,
      caseAssigneeRole: env.CASE_ASSIGNEE_ROLE,
      supervisorRole: env.SUPERVISOR_ROLE,
      sharePage: env.SURVEY_SHARE_PAGE,
    },
    community: {
      bannedWordingFile: env.COMMUNITY_BANNED_WORDING_FILE || null,
      approverRoles: [...new Set(env.COMMUNITY_APPROVER_ROLES.split(','))] as Config['community']['approverRoles'],
      graceHours: env.COMMUNITY_POST_GRACE_HOURS,
      imageHosts: env.COMMUNITY_IMAGE_HOSTS ? [...new Set((env.COMMUNITY_IMAGE_HOSTS as string).toLowerCase().split(','))] : [],
    },
    rateLimits: {
      dataExport: { perClient: env.RATE_LIMIT_DATA_EXPORT_PER_CLIENT, perIp: env.RATE_LIMIT_DATA_EXPORT_PER_IP, windowSeconds: env.RATE_LIMIT_DATA_EXPORT_WINDOW_SECONDS },
      complaint: { perClient: env.RATE_LIMIT_COMPLAINT_PER_CLIENT, perIp: env.RATE_LIMIT_COMPLAINT_PER_IP, windowSeconds: env.RATE_LIMIT_COMPLAINT_WINDOW_SECONDS },
      phoneBinding: { perClient: env.RATE_LIMIT_PHONE_BINDING_PER_CLIENT, perIp: env.RATE_LIMIT_PHONE_BINDING_PER_IP, windowSeconds: env.RATE_LIMIT_PHONE_BINDING_WINDOW_SECONDS },
      referralBinding: {
        perClient: env.RATE_LIMIT_REFERRAL_BINDING_PER_CLIENT, perIp: env.RATE_LIMIT_REFERRAL_BINDING_PER_IP, windowSeconds: env.RATE_LIMIT_REFERRAL_BINDING_WINDOW_SECONDS,
      },
      questionnaireSubmit: {
        perClient: env.RATE_LIMIT_QUESTIONNAIRE_SUBMIT_PER_CLIENT, perIp: env.RATE_LIMIT_QUESTIONNAIRE_SUBMIT_PER_IP, windowSeconds: env.RATE_LIMIT_QUESTIONNAIRE_SUBMIT_WINDOW_SECONDS,
      },
    },
  };
}

/** The names of every environment variable the product reads (documented in .env.example). */
export const CONFIG_VARIABLES: string[] = Object.keys((schema.describe() as { keys: Record<string, unknown> }).keys);
