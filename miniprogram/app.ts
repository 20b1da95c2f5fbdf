/**
 * The App: logs in on launch, sending the launch query (referral code, utm, scene) so the API
 * records where the client came from. Pages do not wait for it: every request logs in first
 * when there is no session, sharing this one login.
 */
import { ensureLogin, type LaunchOptions } from './utils/auth';

interface GlobalData {
  /** The launch the app started with (for pages that care, e.g. the share page). */
  launch?: LaunchOptions;
}

App<{ globalData: GlobalData; launched: boolean }>({
  globalData: {},
  launched: false,

  onLaunch(options: WechatMiniprogram.App.LaunchShowOption) {
    const launch = { path: options.path, query: options.query as Record<string, string>, scene: options.scene };
    this.globalData.launch = launch;
    ensureLogin(launch).catch(() => {
      // Pages log in again on their first request and show the friendly message there.
    });
  },

  onShow(options: WechatMiniprogram.App.LaunchShowOption) {
    // A hot start from a share link or a poster: let the API record this touch too.
    if (this.launched) {
      ensureLogin({ path: options.path, query: options.query as Record<string, string>, scene: options.scene }).catch(() => undefined);
    }
    this.launched = true;
  },
});
