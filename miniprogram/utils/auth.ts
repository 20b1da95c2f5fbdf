/**
 * Login on launch and the launch query: where the client came from (share link `ref`, a scanned
 * mini-program code's `scene` 'ref=CODE', utm fields, WeCom "contact me" state) goes with the
 * first login, so the API records the first touch and binds the referral.
 */
import { login, request } from './request';
import { session, type LaunchInfo } from './session';

/** What App.onLaunch / onShow receive (the parts we read). */
export interface LaunchOptions {
  path?: string;
  query?: Record<string, string | undefined>;
  scene?: number;
}

const REFERRAL_CODE = /^[A-Za-z0-9]{4,32}$/;

/** What the home page says when a referral code could not be bound (the client is registered anyway). */
export const REFERRAL_NOTICES: Record<string, string> = {
  REFERRAL_CODE_UNKNOWN: '邀请码无效，您已正常注册，不影响使用',
  REFERRAL_OWNER_INACTIVE: '邀请人账号已注销，本次邀请未能关联，不影响您正常使用',
  REFERRAL_SELF: '这是您自己的邀请码哦，分享给朋友才有效',
  REFERRAL_CYCLE: '这位朋友的邀请未能关联，不影响您正常使用',
  REFERRAL_NOT_NEW_CLIENT: '您已经是我们的老朋友啦，邀请仅对新朋友有效',
  REFERRAL_ALREADY_BOUND: '您之前已关联过邀请人，本次未重复关联',
  REFERRAL_UNAVAILABLE: '邀请暂时未能关联，不影响您正常使用',
};

function decode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/** 'ref=AB12CD&u=x' (the scene of a wxacode, URL-encoded or not) → { ref: 'AB12CD', u: 'x' } */
export function parseScene(scene: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!scene) return out;
  for (const part of decode(scene).split('&')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

const clip = (v: string | undefined, max: number) => (v ? decode(v).trim().slice(0, max) || undefined : undefined);

/**
 * The launch info to send with login, or undefined when the launch carried nothing. A referral
 * code that cannot be valid is not sent (the API would refuse the whole login): the client is
 * told, like for any refused code.
 */
export function launchInfoFrom(opts: LaunchOptions | undefined): LaunchInfo | undefined {
  if (!opts) return undefined;
  const q = opts.query ?? {};
  const scene = parseScene(q.scene);
  const rawRef = q.ref ?? q.referralCode ?? scene.ref ?? scene.r;
  const ref = rawRef ? decode(rawRef).trim() : undefined;
  const info: LaunchInfo = {
    referralCode: ref && REFERRAL_CODE.test(ref) ? ref.toUpperCase() : undefined,
    utmSource: clip(q.utm_source ?? q.utmSource ?? scene.us, 64),
    utmMedium: clip(q.utm_medium ?? q.utmMedium ?? scene.um, 64),
    utmCampaign: clip(q.utm_campaign ?? q.utmCampaign ?? scene.uc, 128),
    wecomState: clip(q.wecom_state ?? q.wecomState ?? q.state, 64),
    scene: typeof opts.scene === 'number' && opts.scene >= 0 && opts.scene <= 99999 ? opts.scene : undefined,
  };
  if (ref && !info.referralCode) session.setReferralNotice('REFERRAL_CODE_UNKNOWN');
  const compact: LaunchInfo = {};
  for (const [k, v] of Object.entries(info)) if (v !== undefined) (compact as Record<string, unknown>)[k] = v;
  return Object.keys(compact).length ? compact : undefined;
}

/** True when the launch says where the client came from (not just the scene number). */
function hasTouch(info: LaunchInfo): boolean {
  return Boolean(info.referralCode || info.utmSource || info.utmMedium || info.utmCampaign || info.wecomState);
}

/**
 * Logs in unless a valid session exists. A launch with a referral code, utm or WeCom state logs
 * in again even then, so the API records the touch (and a new client's referral binds).
 * Rejects with ApiError.
 */
export async function ensureLogin(launch?: LaunchOptions): Promise<void> {
  const info = launchInfoFrom(launch);
  if (info && (!session.token() || hasTouch(info))) {
    session.setPendingLaunch(info);
    await login();
    return;
  }
  if (!session.token()) await login();
}

/** Ends the session on the API (best effort) and forgets the token. */
export async function logout(): Promise<void> {
  try {
    if (session.token()) await request<void>({ method: 'POST', path: '/api/mp/auth/logout' });
  } catch {
    // The token is dropped anyway; the API lets it expire.
  } finally {
    session.clearToken();
  }
}

/** Whether the home page should ask the referral status question (a login bound the client and it is unanswered). */
export function referralConsentPending(): boolean {
  return session.referralConsentPending();
}

/**
 * Records the answer to "may my referrer see my status?" (off unless ticked) and stops asking.
 * Rejects with ApiError; the question then stays.
 */
export async function answerReferralConsent(sharesStatus: boolean): Promise<void> {
  await request<unknown>({ method: 'PUT', path: '/api/mp/referrals/status-consent', data: { sharesStatus }, idempotent: true });
  session.clearReferralConsentPending();
}

/** The notice about a refused referral code, once (the home page shows it), or undefined. */
export function takeReferralNotice(): string | undefined {
  const reason = session.referralNotice();
  if (!reason) return undefined;
  session.clearReferralNotice();
  return REFERRAL_NOTICES[reason] ?? REFERRAL_NOTICES.REFERRAL_UNAVAILABLE;
}
