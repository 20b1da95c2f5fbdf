/**
 * Friendly Chinese messages for the API's error codes, shown to the client instead of the
 * API's English message. Each engineer adds the codes of their pages here (one line each).
 */
export const FRIENDLY_MESSAGES: Record<string, string> = {
  // network and common
  NETWORK: '网络不太稳定，请检查网络后重试',
  TIMEOUT: '网络有点慢，请稍后再试',
  VALIDATION_FAILED: '填写的内容有误，请检查后再提交',
  MALFORMED_JSON: '请求出错了，请稍后再试',
  BODY_TOO_LARGE: '内容太长了，请精简后再提交',
  UNAUTHENTICATED: '登录已过期，请重新进入小程序',
  TOKEN_INVALID: '登录已过期，请重新进入小程序',
  FORBIDDEN: '暂时没有权限进行此操作',
  NOT_FOUND: '没有找到相关内容',
  CONFLICT: '操作冲突，请刷新后重试',
  RATE_LIMITED: '操作太频繁了，请稍等片刻再试',
  UPSTREAM_UNAVAILABLE: '微信服务暂时不可用，请稍后再试',
  NOT_READY: '服务正在启动，请稍后再试',
  INTERNAL: '服务开小差了，请稍后再试',
  IDEMPOTENCY_KEY_REUSED: '请求重复了，请刷新后重试',
  // login
  LOGIN_CODE_INVALID: '登录失败，请重新进入小程序',
  LOGIN_CODE_USED: '登录失败，请重新进入小程序',
  WECHAT_BLOCKED_USER: '该微信账号暂时无法使用本服务',
  LOGIN_ACCOUNT_DELETED: '该账号已注销，如需帮助请联系客服',
  WECHAT_UNAVAILABLE: '微信服务暂时不可用，请稍后再试',
  // me: phone, consents, binding
  PHONE_IN_USE: '该手机号已绑定其他账号，如需帮助请联系客服',
  PHONE_CODE_INVALID: '手机号授权已失效，请重新授权',
  PHONE_BINDING_BLOCKED: '暂时无法绑定手机号，请联系客服',
  POLICY_VERSION_OUTDATED: '隐私政策已更新，请阅读最新版本后再同意',
  GUARDIAN_CONSENT_REQUIRED: '未满14周岁，需要监护人同意后才能继续',
  HEALTH_CONSENT_REQUIRED: '填写健康信息前，请先同意健康信息授权',
  CONTACT_ALREADY_BOUND: '该企业微信已绑定其他账号',
  CLIENT_ALREADY_BOUND: '您已绑定企业微信，无需重复绑定',
  // points and rewards
  POINTS_INSUFFICIENT: '积分不足，先去赚点积分吧',
  REWARD_OUT_OF_STOCK: '这份礼品已经兑完了，看看其他礼品吧',
  REWARD_NOT_AVAILABLE: '这份礼品暂不可兑换',
  REWARD_LIMIT_REACHED: '这份礼品您已兑满，把机会留给其他人吧',
  VOUCHER_USED: '这张券已经使用过了',
  VOUCHER_EXPIRED: '这张券已过期',
  VOUCHER_CANCELLED: '这张券已取消',
  // questionnaire, plans, appointments, satisfaction, complaints
  QUESTIONNAIRE_INVALID_ANSWERS: '有几道题需要修改，请看题目下方的提示',
  QUESTIONNAIRE_NOT_PUBLISHED: '问卷正在准备中，请稍后再来',
  QUESTIONNAIRE_VERSION_NOT_CURRENT: '问卷内容刚刚更新了，请检查后再提交',
  QUESTIONNAIRE_DRAFT_CONFLICT: '您在其他设备上也填写过，已为您合并',
  PLAN_ALREADY_ACCEPTED: '这份方案您已经确认过了',
  PLAN_WITHDRAWN: '医生已撤回这份方案，新的方案会尽快给到您',
  PLAN_REVISION_OUTDATED: '医生刚刚更新了方案，请先查看最新版本',
  APPOINTMENT_IN_PAST: '这个时间已经过去了，请换一个时间',
  APPOINTMENT_OUTSIDE_HOURS: '这个时间不在门诊时间内，请换一个时间',
  APPOINTMENT_NOT_ON_SLOT: '请选择列表中的预约时间',
  APPOINTMENT_TOO_FAR_AHEAD: '暂时只能预约半年内的时间',
  APPOINTMENT_SLOT_FULL: '这个时间已约满，请换一个时间',
  APPOINTMENT_DOCTOR_UNAVAILABLE: '医生这个时间不出诊，请换一个时间或医生',
  APPOINTMENT_DOCTOR_INVALID: '请重新选择医生',
  APPOINTMENT_LIMIT_REACHED: '您已有待进行的预约，如需调整可先取消一个',
  APPOINTMENT_STATE_INVALID: '这个预约的状态已变化，请刷新后查看',
  SURVEY_ALREADY_ANSWERED: '这份问卷您已经填写过了，谢谢您',
  SURVEY_EXPIRED: '这份问卷已过期，如有意见欢迎随时反馈',
  SURVEY_NOT_SHAREABLE: '暂时无法分享，谢谢您的支持',
  // referral and reminders
  REFERRAL_QR_UNAVAILABLE: '小程序码暂时生成不了，请稍后再试',
  SUBSCRIPTION_TEMPLATES_LIMIT: '提醒设置已达上限',
};

/** The friendly message for an API error code; a gentle generic one for codes not in the table. */
export function friendlyMessage(code: string, status: number): string {
  const known = FRIENDLY_MESSAGES[code];
  if (known) return known;
  if (status >= 500) return FRIENDLY_MESSAGES.INTERNAL;
  if (status === 401) return FRIENDLY_MESSAGES.UNAUTHENTICATED;
  return '操作没有成功，请稍后再试';
}

/**
 * Field problems of an API error (details [{ field, message }]), keyed by field without the
 * 'body.' / 'query.' prefix: { name: '…' }. Each gets a Chinese message; the API's English
 * message is never shown.
 */
export function fieldErrors(err: { code: string; details?: unknown }, messages: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const details = Array.isArray(err.details) ? err.details : err.details && typeof err.details === 'object' ? [err.details] : [];
  for (const d of details as { field?: unknown }[]) {
    if (!d || typeof d.field !== 'string') continue;
    const field = d.field.replace(/^(body|query|params)\./, '');
    out[field] = messages[field] ?? messages[field.split('.')[0]] ?? '请检查这一项';
  }
  return out;
}
