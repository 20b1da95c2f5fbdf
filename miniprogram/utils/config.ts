/**
 * Where the mini-program finds the API. DevTools (envVersion 'develop') talks to a local API;
 * trial and release builds to the hospital's HTTPS domain (it must be listed as a 合法域名 in
 * the mini-program admin console). Change `develop` to your machine's LAN address to test on a phone.
 */
export const config = {
  baseUrls: {
    develop: 'http://127.0.0.1:3000',
    trial: 'https://api.example-hospital.cn',
    release: 'https://api.example-hospital.cn',
  } as Record<string, string>,
  /** Waits between the tries of an idempotent call that failed on the network (3 tries in all). */
  retryDelaysMs: [400, 1200],
  /** wx.request timeout. */
  timeoutMs: 15000,
  /**
   * Local development only (DevTools, envVersion 'develop'): the API's WeChat stand-in, e.g.
   * 'http://127.0.0.1:3901'. When set, login codes come from the stand-in (which the local API
   * trusts) instead of wx.login (whose codes only real WeChat accepts). Leave empty otherwise.
   */
  devStandInUrl: '',
};

/** The build that is running: 'develop' (DevTools), 'trial' or 'release'. */
export function envVersion(): string {
  try {
    return wx.getAccountInfoSync().miniProgram.envVersion || 'develop';
  } catch {
    return 'develop';
  }
}

/** The base URL for the build that is running (DevTools, trial or release). */
export function defaultBaseUrl(): string {
  return config.baseUrls[envVersion()] ?? config.baseUrls.develop;
}
