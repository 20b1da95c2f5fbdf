/**
 * <remind-me template-ids="{{[REMINDER_TEMPLATES.followup]}}" label="到期提醒我" bind:result="…" />
 *
 * A button that asks for one-time subscription messages (wx.requestSubscribeMessage — WeChat only
 * allows it from a tap, so it is called right in the tap handler, before anything asynchronous),
 * reports each template's answer to POST /api/mp/subscriptions (an accept lets the API send one
 * reminder to a client who is not a WeCom contact) and says what happened in a toast.
 * Fires `result` with { accepted: string[], results: { [templateId]: answer }, saved: boolean }.
 */
import { isAccepted, reportSubscription, resultsOf, type SubscribeResult } from '../../services/subscriptions';

// WeChat takes at most 3 one-time templates per request.
const MAX_TEMPLATES = 3;
// errCode of requestSubscribeMessage:fail when the client switched subscription messages off in settings.
const SWITCHED_OFF = 20004;

Component({
  options: { addGlobalClass: true },
  properties: {
    templateIds: { type: Array, value: [] as string[] },
    label: { type: String, value: '提醒我' },
    /** Shown once the client has accepted at least once on this page. */
    doneLabel: { type: String, value: '已开启提醒' },
    /** 'primary' (full-width pill) or 'plain' (small outlined pill, for inside a card). */
    kind: { type: String, value: 'plain' },
  },
  data: {
    busy: false,
    done: false,
  },
  methods: {
    onTap() {
      const tmplIds = (this.data.templateIds as string[]).filter((t) => typeof t === 'string' && t).slice(0, MAX_TEMPLATES);
      if (!tmplIds.length || this.data.busy) return;
      this.setData({ busy: true });
      wx.requestSubscribeMessage({
        tmplIds,
        success: (res) => {
          void this.report(resultsOf(res as unknown as Record<string, unknown>, tmplIds));
        },
        fail: (err) => {
          this.setData({ busy: false });
          const code = (err as { errCode?: number }).errCode;
          if (code === SWITCHED_OFF) {
            wx.showModal({
              title: '通知已关闭',
              content: '您关闭了小程序的订阅消息。如需提醒，可在右上角「…」→「设置」→「通知管理」中开启。',
              showCancel: false,
              confirmText: '知道了',
            });
          } else {
            wx.showToast({ title: '暂时无法开启提醒，请稍后再试', icon: 'none' });
          }
          this.triggerEvent('result', { accepted: [], results: {}, saved: false });
        },
      });
    },

    async report(results: Record<string, SubscribeResult>) {
      const accepted = Object.keys(results).filter((id) => isAccepted(results[id]));
      let saved = true;
      // Every answer goes to the API (a 'ban' clears the credits there); they are independent.
      const outcomes = await Promise.allSettled(Object.keys(results).map((id) => reportSubscription(id, results[id])));
      if (outcomes.some((o) => o.status === 'rejected')) saved = false;
      this.setData({ busy: false, done: this.data.done || (accepted.length > 0 && saved) });
      if (accepted.length && saved) wx.showToast({ title: '已开启提醒，到时会通知您', icon: 'none' });
      else if (accepted.length) wx.showToast({ title: '提醒没有保存成功，请再点一次', icon: 'none' });
      else wx.showToast({ title: '未开启提醒，需要时可再点一次', icon: 'none' });
      this.triggerEvent('result', { accepted, results, saved });
    },
  },
});
