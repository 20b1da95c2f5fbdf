/**
 * The configuration: the environment (or `.env`) read once into one typed, validated object.
 *
 * Where a new setting goes: into its area's file under `./areas/` — one `setting(...)` / `int(...)`
 * entry holding the env name, the joi rule, the default (per NODE_ENV where they differ), the doc
 * line and where it lands in the area's slice. Its type follows from that entry: there is no
 * interface to extend. Then `npm run config:docs` rewrites `.env.example` and README's settings
 * table from the declarations (test/config/docs.test.ts fails until it has run).
 * A new area: one file in `./areas/` and one entry in AREAS below.
 * This file keeps only what spans areas or depends on NODE_ENV: production refusals, the data
 * keys, the local stand-ins and the official-WeCom derivation.
 */
import Joi from 'joi';
import os from 'node:os';
import path from 'node:path';
import { loadDotenv } from './dotenv';
import { localDevKeys } from './local';
import { Area, readSlice, settingsOf, Shape, SliceOf } from './setting';
import { demo, ops, server } from './areas/server';
import { db, redis } from './areas/db';
import { http } from './areas/http';
import { crypto } from './areas/crypto';
import { auth } from './areas/auth';
import { rateLimits } from './areas/rate-limits';
import { policy } from './areas/policy';
import { wechat } from './areas/wechat';
import { wecom } from './areas/wecom';
import { bot } from './areas/bot';
import { points, rewards, wallet } from './areas/points';
import { care } from './areas/care';
import { rfm } from './areas/rfm';
import { delivery, scheduler } from './areas/delivery';
import { appointments } from './areas/appointments';
import { orders, imports, marketing } from './areas/orders';
import { referrals } from './areas/referrals';
import { feedback } from './areas/feedback';
import { community } from './areas/community';

export type { Role } from './areas/server';
export type { NodeEnv } from './setting';

/** Every area, in the order .env.example and README's table list them. */
export const AREAS = {
  server, ops, db, redis, http, crypto, auth, rateLimits, policy, wechat, wecom, bot, demo,
  points, rewards, wallet, care, rfm, delivery, scheduler, appointments, orders, imports, marketing, referrals, feedback, community,
};
type Slices = { [K in keyof typeof AREAS]: SliceOf<(typeof AREAS)[K]['settings']> };

const SETTINGS = Object.values(AREAS).flatMap((a) => settingsOf(a.settings));
const schema = Joi.object(Object.fromEntries(SETTINGS.map((s) => [s.name, s.rule]))).unknown(true);

/** The names of every environment variable the product reads (documented in .env.example and README). */
export const CONFIG_VARIABLES: string[] = SETTINGS.map((s) => s.name);

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

// Fixed, published keys for the test environment only. Development generates its own per
// installation (config/local.ts); production must set its own and may never use these.
const TEST_DATA_KEY = '1:ZGV2LW9ubHktZGF0YS1rZXktbm90LWZvci1wcm9kISE=';
const TEST_BLIND_KEY = 'ZGV2LW9ubHktYmxpbmQtaW5kZXgtbm90LTQtcHJvZCE=';

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

/** The data keys: set, or the published test keys in test, or this installation's own in development. */
function cryptoSlice(s: Slices, localDir: string, problems: string[]) {
  let { dataKeys: dataSpec, blindIndexKey: blindSpec } = s.crypto;
  if (s.server.env === 'test') {
    dataSpec ??= TEST_DATA_KEY;
    blindSpec ??= TEST_BLIND_KEY;
  } else if (s.server.env === 'development' && (!dataSpec || !blindSpec)) {
    const local = localDevKeys(localDir);
    dataSpec ??= local.DATA_KEYS;
    blindSpec ??= local.BLIND_INDEX_KEY;
  }
  // Production without them was refused by the schema already.
  const dataKeys = parseDataKeys(dataSpec!, problems);
  const blindIndexKeys = parseBlindIndexKeys(blindSpec!, problems);
  const published = (spec: string, key: string) => spec.split(',').some((part) => part.split(':').pop() === key.split(':').pop());
  if (s.server.env === 'production' && (published(dataSpec!, TEST_DATA_KEY) || published(blindSpec!, TEST_BLIND_KEY))) {
    problems.push('"DATA_KEYS" and "BLIND_INDEX_KEY" must not be the published development/test keys in production');
  }
  return {
    /** AES-256-GCM data keys by version; the highest version encrypts, all decrypt. */
    dataKeys,
    currentKeyVersion: Math.max(...dataKeys.keys()),
    /** HMAC key for blind indexes (phone, name lookups); separate from the data keys. The newest version's. */
    blindIndexKey: blindIndexKeys.get(Math.max(...blindIndexKeys.keys(), 1)) ?? Buffer.alloc(0),
    /** Blind-index keys by version: the highest indexes, all are looked up (a rotation in progress). */
    blindIndexKeys,
  };
}

/** Without an AppID (outside production) the local WeChat stand-in plays WeChat, beside the API port. */
function wechatSlice(s: Slices) {
  const standIn = s.wechat.standIn ?? (!s.wechat.appId && s.server.env !== 'production');
  const standInPort = s.wechat.standInPort ?? (s.server.port === 0 ? 0 : Math.min(65535, s.server.port + 901));
  return {
    ...s.wechat,
    appId: s.wechat.appId || (standIn ? 'wxstandin0000000' : ''),
    appSecret: s.wechat.appSecret || (standIn ? 'standin-secret' : ''),
    apiBaseUrl: s.wechat.apiBaseUrl ?? (standIn ? `http://127.0.0.1:${standInPort}` : 'https://api.weixin.qq.com'),
    /** Run the local WeChat stand-in inside this process (local demo, no real AppID). */
    standIn,
    standInPort,
  };
}

/** Like WeChat's: without a corp id (outside production) the local WeCom stand-in plays WeCom. */
function wecomSlice(s: Slices) {
  const w = s.wecom;
  const standIn = w.standIn ?? (!w.corpId && s.server.env !== 'production');
  // Development-only credentials for the stand-in; a real corp sets its own (the wecom area checks them).
  const orStandIn = (value: string, standInValue: string) => value || (standIn ? standInValue : '');
  return {
    ...w,
    /** The official API is in use: the mode asks for it and a corp (or the local stand-in) is there. */
    official: w.mode !== 'bot' && Boolean(w.corpId || standIn),
    corpId: orStandIn(w.corpId, 'wwstandin00000000'),
    agentId: orStandIn(w.agentId, '1000002'),
    agentSecret: orStandIn(w.agentSecret, 'standin-agent-secret'),
    contactSecret: orStandIn(w.contactSecret, 'standin-contact-secret'),
    apiBaseUrl: w.apiBaseUrl ?? (standIn ? `http://127.0.0.1:${w.standInPort}` : 'https://qyapi.weixin.qq.com'),
    /** Run the local WeCom stand-in inside this process (local demo, no real corp id). */
    standIn,
    callbackToken: orStandIn(w.callbackToken, 'standinToken'),
    callbackAesKey: orStandIn(w.callbackAesKey, 'c3RhbmRpbi1vbmx5LWNhbGxiYWNrLWtleS0zMmJ5dGU'),
    welcomePicMediaId: orStandIn(w.welcomePicMediaId, 'standin-cover-media'),
  };
}

// Production refuses what only a demo may have: the demo seed (well-known accounts), the
// database's superuser or no database password, WeChat secrets over plain HTTP, the stand-ins.
function environmentProblems(s: Slices): string[] {
  const production = s.server.env === 'production';
  const refusals: [boolean, string][] = [
    [s.ops.port === s.server.port, 'OPS_PORT must differ from PORT'],
    [production && s.wecom.standIn === true, 'WECOM_STANDIN cannot be on in production'],
    [production && s.wechat.standIn === true, 'WECHAT_STANDIN cannot be on in production'],
    [production && s.demo.demoSeed, 'DEMO_SEED cannot be on in production'],
    [production && s.db.user === 'root', 'DB_USER cannot be root in production: give the API its own database user'],
    [production && !s.db.password, 'DB_PASSWORD cannot be empty in production'],
    [production && s.wechat.apiBaseUrl !== undefined && !/^https:/i.test(s.wechat.apiBaseUrl),
      'WECHAT_API_BASE must be https in production (the AppSecret and access tokens travel on it)'],
    [production && (!s.wechat.appId || !s.wechat.appSecret), 'WECHAT_APPID and WECHAT_SECRET are required in production'],
  ];
  return refusals.filter(([refused]) => refused).map(([, message]) => message);
}

function compose(s: Slices, problems: string[]) {
  // Tests (which seed demo staff too) keep the checkout's own .local/ untouched.
  const localDir = s.server.localDir ?? (s.server.env === 'test' ? path.join(os.tmpdir(), `meiyan-test-local-${process.pid}`) : path.resolve(process.cwd(), '.local'));
  return {
    ...s.server,
    publicUrl: s.server.publicUrl ?? `http://localhost:${s.server.port}`,
    /** Per-installation development secrets (generated data keys, demo passwords), 0600 files outside git. */
    localDir,
    ...s.demo,
    /** Port (and address) of the operations listener for /metrics, /openapi.json, /docs; null = all on PORT. */
    ops: s.ops,
    db: s.db,
    redis: s.redis,
    http: s.http,
    crypto: cryptoSlice(s, localDir, problems),
    auth: s.auth,
    policy: s.policy,
    wechat: wechatSlice(s),
    wecom: wecomSlice(s),
    bot: s.bot,
    points: s.points,
    rewards: s.rewards,
    wallet: s.wallet,
    delivery: s.delivery,
    scheduler: s.scheduler,
    care: s.care,
    rfm: s.rfm,
    appointments: s.appointments,
    orders: s.orders,
    imports: s.imports,
    marketing: s.marketing,
    referrals: s.referrals,
    feedback: s.feedback,
    community: s.community,
    /** Per-client and per-address limits of client actions that cost staff time, WeChat quota or heavy reads. */
    rateLimits: s.rateLimits,
  };
}

export type Config = ReturnType<typeof compose>;

/** Reads the environment once, validates every variable, and reports all problems together. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env, { dotenv = true } = {}): Config {
  const raw = dotenv ? { ...loadDotenv(), ...source } : source;
  const { value: env, error } = schema.validate(raw, { abortEarly: false, convert: true });
  if (error) throw new ConfigError(error.details.map((d) => d.message));

  const problems: string[] = [];
  const slices = {} as Record<string, unknown>;
  for (const [key, a] of Object.entries(AREAS) as [string, Area<Shape>][]) {
    const slice = readSlice(a.settings, env, problems);
    problems.push(...(a.check?.(slice) ?? []));
    slices[key] = slice;
  }
  problems.push(...environmentProblems(slices as Slices));
  const config = compose(slices as Slices, problems);
  if (problems.length) throw new ConfigError(problems);
  return config;
}
