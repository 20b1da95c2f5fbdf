/** Names staff read for the catalog's and the follow-up plans' codes (the API speaks in codes). */
export const PLAN_LABELS: Record<string, string> = { surgery: '手术类', light: '轻医美', skin: '基础皮肤护理' };
export const CATEGORY_LABELS = PLAN_LABELS;

export const STEP_LABELS: Record<string, string> = {
  checkin_48h: '术后48小时关怀', callback_48h: '48小时电话回访', survey_7d: '7天满意度问卷', followup_30d: '30天随访', followup_90d: '90天随访',
  effect_1m: '1个月效果追踪', effect_3m: '3个月效果追踪', effect_6m: '6个月效果追踪', repurchase: '复购提醒',
};

/** What a step does, and over which channel it reaches someone. */
export const ACTION_LABELS: Record<string, string> = {
  message: '发给客户的消息', task: '员工任务（电话回访）', survey: '满意度问卷链接', photo_request: '请客户发近照', repurchase: '复购提醒（含医生建议）',
};

export const ROLE_NAMES: Record<string, string> = { director: '院长', doctor: '医师', consultant: '咨询师', customer_service: '客服' };

export const REWARD_KINDS: Record<string, string> = { project_voucher: '项目抵扣券', care_product: '术后护理产品', salon_seat: '线下沙龙名额' };

/** What a voucher rule gives (the API's benefit kinds). */
export const BENEFIT_KINDS: Record<string, string> = { amount_off: '代金券（减金额）', percent_off: '折扣券（按比例，可封顶）', free_service: '免费服务体验券', gift: '礼品券' };

/** When each voucher rule issues (DOMAIN.md: every rule that promises something issues a voucher). */
export const VOUCHER_RULE_LABELS: Record<string, string> = {
  care_3m: '3 个月未消费关怀礼', gift_6m: '沉睡老客返场礼', skin_test: '返场礼附送皮肤检测', birthday: '生日特权', repurchase: '复购提醒优惠',
  winback_amount: '差评挽回（代金券）', winback_percent: '差评挽回（折扣券）', winback_care: '差评挽回（术后护理）',
  leaderboard_month: '月度推荐榜奖励', leaderboard_quarter: '季度推荐榜大奖',
};

export const label = (table: Record<string, string>, code: string | null | undefined): string => (code ? table[code] ?? code : '—');

const MINUTES_PER_DAY = 24 * 60;

/** 2880 → "术后 2 天"; 90 → "术后 1 小时 30 分"; null → timed from the project's effect duration. */
export function offsetText(minutes: number | null): string {
  if (minutes === null) return '效果到期前（按项目的效果时长）';
  const days = Math.floor(minutes / MINUTES_PER_DAY);
  const hours = Math.floor((minutes % MINUTES_PER_DAY) / 60);
  const mins = minutes % 60;
  const parts = [days ? `${days} 天` : '', hours ? `${hours} 小时` : '', mins ? `${mins} 分` : ''].filter(Boolean);
  return `治疗后 ${parts.join(' ') || '0 分'}`;
}

/** Days and hours as typed → minutes; null when not whole numbers in range (1 hour to 400 days, the API's cap). */
export function offsetMinutes(days: number | string, hours: number | string): number | null {
  const d = Number(days);
  const h = Number(hours);
  if (!Number.isInteger(d) || !Number.isInteger(h) || d < 0 || h < 0 || h > 23) return null;
  const total = d * MINUTES_PER_DAY + h * 60;
  return total >= 60 && total <= 400 * MINUTES_PER_DAY ? total : null;
}
