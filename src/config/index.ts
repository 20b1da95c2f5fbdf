import Joi from 'joi';
import { loadDotenv } from './dotenv';

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
    /** HMAC key for blind indexes (phone, name lookups); separate from the data keys. */
    blindIndexKey: Buffer;
  };
  auth: {
    clientSessionTtlSeconds: number;
    staffSessionTtlSeconds: number;
    loginRateLimitPerIp: number;
    loginRateLimitPerClient: number;
    loginRateWindowSeconds: number;
    staffLockoutAttempts: number;
    staffLockoutMinutes: number;
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
  bot: { puppet: 'mock' | 'service'; puppetToken: string; name: string };
  demoSeed: boolean;
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
}

// Well-known keys for local development only; production must set its own (validated below).
const DEV_DATA_KEY = '1:ZGV2LW9ubHktZGF0YS1rZXktbm90LWZvci1wcm9kISE=';
const DEV_BLIND_KEY = 'ZGV2LW9ubHktYmxpbmQtaW5kZXgtbm90LTQtcHJvZCE=';

const notProd = (schema: Joi.StringSchema, devDefault: string) =>
  schema.when('NODE_ENV', { is: 'production', then: Joi.required(), otherwise: Joi.optional().default(devDefault) });

const schema = Joi.object({
  NODE_ENV: Joi.string().valid('development', 'test', 'production').default('development'),
  ROLES: Joi.string().pattern(/^(all|(api|bot|scheduler)(,(api|bot|scheduler))*)$/).default('all'),
  PORT: Joi.number().port().default(3000),
  HOST: Joi.string().default('0.0.0.0'),
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

  DATA_KEYS: notProd(Joi.string().pattern(/^\d+:[A-Za-z0-9+/=_-]+(,\d+:[A-Za-z0-9+/=_-]+)*$/), DEV_DATA_KEY),
  BLIND_INDEX_KEY: notProd(Joi.string().min(32), DEV_BLIND_KEY),

  CLIENT_SESSION_TTL_SECONDS: Joi.number().integer().min(60).default(7 * 24 * 3600),
  STAFF_SESSION_TTL_SECONDS: Joi.number().integer().min(60).default(12 * 3600),
  LOGIN_RATE_LIMIT_PER_IP: Joi.number().integer().min(1).default(30),
  LOGIN_RATE_LIMIT_PER_CLIENT: Joi.number().integer().min(1).default(10),
  LOGIN_RATE_WINDOW_SECONDS: Joi.number().integer().min(1).default(60),
  STAFF_LOCKOUT_ATTEMPTS: Joi.number().integer().min(1).default(5),
  STAFF_LOCKOUT_MINUTES: Joi.number().integer().min(1).default(15),

  PRIVACY_POLICY_VERSION: Joi.string().max(32).default('2026-01'),
  HEALTH_CONSENT_VERSION: Joi.string().max(32).default('2026-01'),
  GUARDIAN_CONSENT_VERSION: Joi.string().max(32).default('2026-01'),
  GUARDIAN_AGE_UNDER: Joi.number().integer().min(1).max(18).default(14),

  WECHAT_APPID: Joi.string().allow('').default(''),
  WECHAT_SECRET: Joi.string().allow('').default(''),
  WECHAT_API_BASE: Joi.string().uri({ scheme: ['http', 'https'] }).optional(),
  WECHAT_STANDIN: Joi.boolean().optional(),
  WECHAT_STANDIN_PORT: Joi.number().port().default(3901),
  WECHAT_TIMEOUT_MS: Joi.number().integer().min(100).default(5000),

  BOT_PUPPET: Joi.string().valid('mock', 'service').default('mock'),
  WECHATY_PUPPET_SERVICE_TOKEN: Joi.string().allow('').when('BOT_PUPPET', { is: 'service', then: Joi.required().invalid('') }),
  BOT_NAME: Joi.string().default('meiyan-bot'),

  DEMO_SEED: Joi.boolean().optional(),

  POINTS_QUESTIONNAIRE: Joi.number().integer().min(0).max(100000).default(100),
  POINTS_PER_YUAN_SKIN: Joi.number().min(0).max(100).precision(2).default(1),
  POINTS_PER_YUAN_LIGHT: Joi.number().min(0).max(100).precision(2).default(1),
  POINTS_PER_YUAN_SURGERY: Joi.number().min(0).max(100).precision(2).default(1),
  POINTS_REVIEW_SHARED: Joi.number().integer().min(0).max(100000).default(50),
  POINTS_REFERRAL: Joi.number().integer().min(0).max(100000).default(200),
  POINTS_REFERRAL_NEW_CLIENT_MULTIPLIER: Joi.number().integer().min(1).max(10).default(2),
  POINTS_EXPIRY_MONTHS: Joi.number().integer().min(1).max(120).default(12),
  POINTS_EXPIRING_SOON_DAYS: Joi.number().integer().min(1).max(365).default(30),
  REWARD_VOUCHER_VALID_DAYS: Joi.number().integer().min(1).max(3650).default(90),
})
  .custom((env, helpers) => {
    if (env.NODE_ENV === 'production' && env.WECHAT_STANDIN) return helpers.message({ custom: 'WECHAT_STANDIN cannot be on in production' });
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

/** Reads the environment once, validates every variable, and reports all problems together. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env, { dotenv = true } = {}): Config {
  const raw = dotenv ? { ...loadDotenv(), ...source } : source;
  const { value: env, error } = schema.validate(raw, { abortEarly: false, convert: true });
  const problems = error ? error.details.map((d) => d.message) : [];
  if (problems.length) throw new ConfigError(problems);

  const dataKeys = parseDataKeys(env.DATA_KEYS, problems);
  const blindIndexKey = Buffer.from(env.BLIND_INDEX_KEY, 'base64');
  if (blindIndexKey.length < 32) problems.push('"BLIND_INDEX_KEY" must decode (base64) to at least 32 bytes');
  if (env.NODE_ENV === 'production' && (env.DATA_KEYS === DEV_DATA_KEY || env.BLIND_INDEX_KEY === DEV_BLIND_KEY)) {
    problems.push('"DATA_KEYS" and "BLIND_INDEX_KEY" must not be the development keys in production');
  }
  if (problems.length) throw new ConfigError(problems);

  const roles: Role[] = env.ROLES === 'all' ? ['api', 'bot', 'scheduler'] : [...new Set(env.ROLES.split(',') as Role[])];
  const standIn: boolean = env.WECHAT_STANDIN ?? (!env.WECHAT_APPID && env.NODE_ENV !== 'production');
  const apiBaseUrl: string =
    env.WECHAT_API_BASE ?? (standIn ? `http://127.0.0.1:${env.WECHAT_STANDIN_PORT}` : 'https://api.weixin.qq.com');

  return {
    env: env.NODE_ENV,
    roles,
    port: env.PORT,
    host: env.HOST,
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
    crypto: { dataKeys, currentKeyVersion: Math.max(...dataKeys.keys()), blindIndexKey },
    auth: {
      clientSessionTtlSeconds: env.CLIENT_SESSION_TTL_SECONDS,
      staffSessionTtlSeconds: env.STAFF_SESSION_TTL_SECONDS,
      loginRateLimitPerIp: env.LOGIN_RATE_LIMIT_PER_IP,
      loginRateLimitPerClient: env.LOGIN_RATE_LIMIT_PER_CLIENT,
      loginRateWindowSeconds: env.LOGIN_RATE_WINDOW_SECONDS,
      staffLockoutAttempts: env.STAFF_LOCKOUT_ATTEMPTS,
      staffLockoutMinutes: env.STAFF_LOCKOUT_MINUTES,
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
      standInPort: env.WECHAT_STANDIN_PORT,
      timeoutMs: env.WECHAT_TIMEOUT_MS,
    },
    bot: { puppet: env.BOT_PUPPET, puppetToken: env.WECHATY_PUPPET_SERVICE_TOKEN ?? '', name: env.BOT_NAME },
    demoSeed: env.DEMO_SEED ?? env.NODE_ENV === 'development',
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
  };
}

/** The names of every environment variable the product reads (documented in .env.example). */
export const CONFIG_VARIABLES: string[] = Object.keys((schema.describe() as { keys: Record<string, unknown> }).keys);
