import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from '../../config';
import type { Redis } from '../../shared/redis';
import { ClientActionLimits, Limiter } from '../../shared/rate-limit';
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import { AppError } from '../../shared/errors';
import { sha256 } from '../../shared/crypto';
import { isDeadlock, isDuplicateKey, runInTransaction } from '../../shared/db';
import type { ClientPrincipal } from '../../shared/http/route';
import { WeChatApi, WeChatError, WeChatSession } from '../../integrations/wechat/types';
import { Client, ClientTouch, Touch } from '../clients';
import type { ClientsService } from '../clients';
import type { BindOutcome, ReferralsService } from '../referrals';
import type { SessionStore } from '../../shared/sessions';
import { AuthErrors } from './auth.errors';

/** The mini-program's launch query (first launch, share links, campaign codes, WeCom "contact me"). */
export interface LaunchQuery {
  referralCode?: string | null;
  utmSource?: string | null;
  utmMedium?: string | null;
  utmCampaign?: string | null;
  scene?: number | null;
  wecomState?: string | null;
}

export interface LoginInput {
  code: string;
  launch?: LaunchQuery | null;
  /** The caller's address, for the per-IP rate limit. */
  ip: string;
}

export interface LoginResult {
  token: string;
  expiresIn: number;
  client: { id: string; isNew: boolean };
  /** Only when the launch query carried a referral code: whether it bound the client, and if not why. */
  referral?: BindOutcome;
}

export interface MpAuthDeps {
  db: DataSource;
  redis: Redis;
  config: Config;
  clock: Clock;
  wechat: WeChatApi;
  sessions: SessionStore;
  clients: ClientsService;
  logger: Logger;
  /** Binds a new client who arrived with a referral code, in the login's transaction. */
  referrals?: Pick<ReferralsService, 'bindAtLogin'>;
  /** The client-action limits; referral binding is counted at login. */
  limits?: ClientActionLimits;
}

// Retry hints for the caller when WeChat cannot serve the login.
const RETRY_BUSY_SECONDS = 2;
const RETRY_UNREACHABLE_SECONDS = 5;
const RETRY_QUOTA_SECONDS = 60; // 45011 is WeChat's per-minute quota for our AppID
const RETRY_MISCONFIGURED_SECONDS = 60;
const MAX_UPSERT_ATTEMPTS = 5;
const TOO_MANY_LOGINS = 'Too many login attempts; please wait a moment';

/** Who is logging in, for the limits: the hashed openid and the address. */
interface Caller { client: string; ip: string }

/**
 * Mini-program login (DESIGN.md, main flow 1): wx.login code → code2session → client found or
 * created by openid/unionid → our own session token. session_key, openid and unionid never leave
 * this service.
 */
export class MpAuthService {
  private readonly perIp: Limiter;
  private readonly perClient: Limiter;

  constructor(private readonly deps: MpAuthDeps) {
    const { loginRateLimitPerIp, loginRateLimitPerClient, loginRateWindowSeconds } = deps.config.auth;
    this.perIp = new Limiter(deps.redis, 'login:ip', { points: loginRateLimitPerIp, durationSeconds: loginRateWindowSeconds });
    this.perClient = new Limiter(deps.redis, 'login:openid', { points: loginRateLimitPerClient, durationSeconds: loginRateWindowSeconds });
  }

  /** Exchanges a wx.login code for a session; creates the client on first login. */
  async login(input: LoginInput): Promise<LoginResult> {
    const { config, wechat, sessions, clock, logger } = this.deps;
    const { clientSessionTtlSeconds } = config.auth;
    // Per IP before WeChat: a flood of junk codes must not burn our AppID's WeChat quota.
    await this.perIp.consume(input.ip, TOO_MANY_LOGINS);

    let wx: WeChatSession;
    try {
      wx = await wechat.code2Session(input.code);
    } catch (err) {
      throw this.fromWeChat(err);
    }
    const openidKey = sha256(wx.openid).slice(0, 32);
    await this.perClient.consume(openidKey, TOO_MANY_LOGINS);

    const launch = cleanLaunch(input.launch);
    const { client, isNew, referral } = await this.findOrCreateClient(wx, launch, clock.now(), { client: openidKey, ip: input.ip });
    const session = await sessions.create({ kind: 'client', clientId: client.id, publicId: client.publicId }, clientSessionTtlSeconds);
    logger.info({ clientId: client.id, isNew, channel: isNew ? client.sourceChannel : undefined }, 'client logged in');
    return { token: session.token, expiresIn: session.expiresIn, client: { id: client.publicId, isNew }, ...(referral ? { referral } : {}) };
  }

  /** Ends the session the request was made with. */
  async logout(principal: Pick<ClientPrincipal, 'tokenHash'>): Promise<void> {
    await this.deps.sessions.revoke(principal.tokenHash);
  }

  /** Clears the login rate-limit counter of an address (support unblocking a shared NAT; test helpers on 127.0.0.1). */
  async resetLoginLimits(ip: string): Promise<void> {
    await this.perIp.reset(ip);
  }

  /**
   * Finds the client by openid, else by unionid (same person through another of the company's
   * apps), else creates one — in one transaction. Two first logins at once both try the insert;
   * the unique index on openid lets one win, and the loser retries and finds the winner's row.
   */
  private async findOrCreateClient(wx: WeChatSession, launch: LaunchQuery | null, now: Date, who: Caller): Promise<{ client: Client; isNew: boolean; referral?: BindOutcome }> {
    return runInTransaction(this.deps.db, (m) => this.upsertIn(m, wx, launch, now, who), {
      attempts: MAX_UPSERT_ATTEMPTS,
      retryIf: (err) => isDuplicateKey(err) || isDeadlock(err),
    });
  }

  private async upsertIn(m: EntityManager, wx: WeChatSession, launch: LaunchQuery | null, now: Date, who: Caller): Promise<{ client: Client; isNew: boolean; referral?: BindOutcome }> {
    const clients = m.getRepository(Client);
    const byOpenid = await clients.findOne({ where: { openid: wx.openid } });
    const byUnionid = wx.unionid && (!byOpenid || byOpenid.unionid !== wx.unionid) ? await clients.findOne({ where: { unionid: wx.unionid } }) : null;
    const existing = byOpenid ?? byUnionid;

    if (existing) {
      if (existing.status === 'deleted') {
        throw new AppError(AuthErrors.LOGIN_ACCOUNT_DELETED, 'This account was deleted at your request and cannot be used again');
      }
      const patch: Partial<Client> = { lastLoginAt: now };
      // openid is per AppID: when a known unionid arrives with a new openid, the new one is what our AppID can message.
      if (existing.openid !== wx.openid) patch.openid = wx.openid;
      // Learn the unionid once, unless another row already holds it (never merge two archives silently).
      if (wx.unionid && !existing.unionid && !byUnionid) patch.unionid = wx.unionid;
      if (wx.unionid && byUnionid && byOpenid && byUnionid.id !== byOpenid.id) {
        this.deps.logger.warn({ clientId: byOpenid.id, otherClientId: byUnionid.id }, 'unionid belongs to another client; not merged');
      }
      await clients.update({ id: existing.id }, patch);
      if (launch) await this.recordTouch(m, existing.id, 'login', launch, now);
      // Only new clients can be bound; the answer says why this one was not.
      const referral = await this.bindReferral(m, existing.id, false, wx, launch);
      return { client: { ...existing, ...patch } as Client, isNew: false, referral };
    }

    // Sign-ups with a referral code are limited per address and identity (fake accounts farming
    // rewards). Refused with 429 before the client exists, a sign-up retried later is still new and binds.
    if (launch?.referralCode && this.deps.limits) await this.deps.limits.hit('referralBinding', who);
    const firstTouch: Touch = { ...emptyTouch(), ...(launch ?? {}), at: now.toISOString() };
    // A lost race on openid/unionid throws a duplicate key; findOrCreateClient retries the whole transaction.
    const client = await this.deps.clients.createClient({
      openid: wx.openid,
      unionid: wx.unionid ?? null,
      stage: 'lead',
      firstTouch,
      sourceChannel: launch?.utmSource ?? 'mini_program',
      lastLoginAt: now,
    }, m);
    // The first touch is always recorded, so touch history starts with the arrival, launch query or not.
    await this.recordTouch(m, client.id, 'first', launch ?? {}, now);
    const referral = await this.bindReferral(m, client.id, true, wx, launch);
    // The channel is 'referral' only when the code bound the client; a refused code leaves the campaign's.
    if (referral?.bound) {
      await m.getRepository(Client).update({ id: client.id }, { sourceChannel: 'referral' });
      return { client: { ...client, sourceChannel: 'referral' } as Client, isNew: true, referral };
    }
    return { client, isNew: true, referral };
  }

  /** The referral binding of this login, when the launch query carried a code; it never fails the login. */
  private async bindReferral(m: EntityManager, clientId: number, isNew: boolean, wx: WeChatSession, launch: LaunchQuery | null): Promise<BindOutcome | undefined> {
    if (!launch?.referralCode || !this.deps.referrals) return undefined;
    return this.deps.referrals.bindAtLogin(m, { clientId, isNew, code: launch.referralCode, openid: wx.openid, unionid: wx.unionid ?? null });
  }

  private async recordTouch(m: EntityManager, clientId: number, kind: 'first' | 'login', launch: LaunchQuery, now: Date): Promise<void> {
    await m.getRepository(ClientTouch).insert({
      clientId,
      kind,
      utmSource: launch.utmSource ?? null,
      utmMedium: launch.utmMedium ?? null,
      utmCampaign: launch.utmCampaign ?? null,
      scene: launch.scene ?? null,
      referralCode: launch.referralCode ?? null,
      wecomState: launch.wecomState ?? null,
      createdAt: now,
    });
  }

  /** Maps WeChat's answer to what the mini-program should do. */
  private fromWeChat(err: unknown): Error {
    if (!(err instanceof WeChatError)) return err as Error;
    switch (err.errcode) {
      case 40029:
        return new AppError(AuthErrors.LOGIN_CODE_INVALID, 'The login code is invalid or expired; call wx.login again');
      case 40163:
        return new AppError(AuthErrors.LOGIN_CODE_USED, 'The login code was already used; call wx.login again');
      case 40226:
        return new AppError(AuthErrors.WECHAT_BLOCKED_USER, 'WeChat has blocked this account from logging in');
      case -1:
        return unavailable('WeChat is busy; please retry shortly', RETRY_BUSY_SECONDS);
      case -2:
        return unavailable('WeChat cannot be reached; please retry shortly', RETRY_UNREACHABLE_SECONDS);
      // 45011 is the minute quota of our whole AppID, not this caller's fault: 503 (service
      // degraded for everyone), not 429 (which tells one caller to slow down).
      case 45011:
        return unavailable('WeChat is limiting our requests; please retry in a minute', RETRY_QUOTA_SECONDS);
      default:
        // Wrong AppID/secret (40013, 40125) and anything undocumented: our side, not the caller's.
        this.deps.logger.error({ errcode: err.errcode, errmsg: err.errmsg }, 'code2session failed; check WECHAT_APPID / WECHAT_SECRET');
        return unavailable('Login is temporarily unavailable', RETRY_MISCONFIGURED_SECONDS);
    }
  }
}

function unavailable(message: string, retryAfterSeconds: number): AppError {
  return new AppError(AuthErrors.WECHAT_UNAVAILABLE, message, { retryAfterSeconds });
}

function emptyTouch(): Omit<Touch, 'at'> {
  return { utmSource: null, utmMedium: null, utmCampaign: null, scene: null, referralCode: null, wecomState: null };
}

/** Trims the launch query, drops empty values, upper-cases the referral code; null when nothing is left. */
function cleanLaunch(launch: LaunchQuery | null | undefined): LaunchQuery | null {
  if (!launch) return null;
  const str = (v: string | null | undefined) => (typeof v === 'string' && v.trim() ? v.trim() : null);
  const out: LaunchQuery = {
    referralCode: str(launch.referralCode)?.toUpperCase() ?? null,
    utmSource: str(launch.utmSource),
    utmMedium: str(launch.utmMedium),
    utmCampaign: str(launch.utmCampaign),
    scene: typeof launch.scene === 'number' ? launch.scene : null,
    wecomState: str(launch.wecomState),
  };
  return Object.values(out).some((v) => v !== null) ? out : null;
}
