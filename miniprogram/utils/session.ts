/**
 * What the mini-program keeps in wx storage between launches: the session token, the launch
 * query still to send on first login, and a notice for the home page after a refused referral.
 */
const TOKEN_KEY = 'session.token';
const LAUNCH_KEY = 'session.launch';
const REFERRAL_NOTICE_KEY = 'session.referralNotice';
const REFERRAL_CONSENT_KEY = 'session.referralConsentPending';

/** Mirrors the API's launch schema (POST /api/mp/auth/login `launch`). */
export interface LaunchInfo {
  referralCode?: string | null;
  utmSource?: string | null;
  utmMedium?: string | null;
  utmCampaign?: string | null;
  scene?: number | null;
  wecomState?: string | null;
}

interface StoredToken {
  token: string;
  expiresAt: number;
}

function read<T>(key: string): T | undefined {
  try {
    const v = wx.getStorageSync(key) as T | '';
    return v === '' || v === null ? undefined : (v as T);
  } catch {
    return undefined;
  }
}

function write(key: string, value: unknown): void {
  try {
    wx.setStorageSync(key, value);
  } catch {
    // Storage full or unavailable: the session still works for this launch, only not the next.
  }
}

function remove(key: string): void {
  try {
    wx.removeStorageSync(key);
  } catch {
    // nothing to clean
  }
}

export const session = {
  /** The token, unless it is missing or already past its expiry (then a login is due). */
  token(): string | undefined {
    const t = read<StoredToken>(TOKEN_KEY);
    if (!t || !t.token) return undefined;
    return t.expiresAt > Date.now() ? t.token : undefined;
  },
  setToken(token: string, expiresInSeconds: number): void {
    // A minute of margin so a token does not expire between the check and the call.
    write(TOKEN_KEY, { token, expiresAt: Date.now() + Math.max(0, expiresInSeconds - 60) * 1000 });
  },
  clearToken(): void {
    remove(TOKEN_KEY);
  },
  pendingLaunch(): LaunchInfo | undefined {
    return read<LaunchInfo>(LAUNCH_KEY);
  },
  setPendingLaunch(launch: LaunchInfo): void {
    write(LAUNCH_KEY, launch);
  },
  clearPendingLaunch(): void {
    remove(LAUNCH_KEY);
  },
  /** Why a referral code was refused at login, until the home page has told the client. */
  referralNotice(): string | undefined {
    return read<string>(REFERRAL_NOTICE_KEY);
  },
  setReferralNotice(reason: string): void {
    write(REFERRAL_NOTICE_KEY, reason);
  },
  clearReferralNotice(): void {
    remove(REFERRAL_NOTICE_KEY);
  },
  /** True from a login that bound a referral until the client has answered whether the referrer may see their status. */
  referralConsentPending(): boolean {
    return read<boolean>(REFERRAL_CONSENT_KEY) === true;
  },
  setReferralConsentPending(): void {
    write(REFERRAL_CONSENT_KEY, true);
  },
  clearReferralConsentPending(): void {
    remove(REFERRAL_CONSENT_KEY);
  },
};
