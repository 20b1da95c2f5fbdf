import { shanghaiDay } from '@/composables/format';

/** What the operation log's actions mean, for the action filter and the list (others show their code). */
export const AUDIT_ACTIONS: Record<string, string> = {
  'client.read': '查看客户档案', 'client.search': '搜索客户', 'client.create': '新建客户', 'client.update': '修改客户', 'client.export': '导出客户数据',
  'client.delete': '删除客户账号', 'client.medical.read': '查看病史', 'client.medical.update': '修改病史', 'client.phone.reveal': '查看完整手机号',
  'client.note.create': '写沟通记录', 'order.record': '录入订单', 'points.adjust': '调整积分', 'plan.create': '写方案', 'plan.propose': '提交方案',
  'care.treatment.record': '记录治疗', 'care.followups.view': '查看随访安排', 'care.template.update': '修改随访计划', 'project.create': '新增项目', 'project.update': '修改项目',
  'project.deactivate': '停售项目', 'reward.create': '新增兑换品', 'reward.update': '修改兑换品', 'voucher.redeem': '核销',
  'questionnaire.version.create': '新建问卷版本', 'questionnaire.version.update': '修改问卷草稿', 'questionnaire.version.publish': '发布问卷版本',
  'staff.login': '员工登录', 'staff.create': '新建员工账号', 'staff.update': '修改员工账号', 'staff.password.reset': '重置员工密码',
  'staff.unlock': '解除登录锁定', 'staff.revoke_sessions': '强制下线', 'staff.totp.reset': '重置两步验证', 'route.denied': '越权访问被拒',
  'audit.list': '查询操作日志', 'staff.list': '查看员工列表', 'questionnaire.submit': '客户提交问卷',
  'order.export': '导出订单', 'lead.export': '导出线索', 'worklist.export': '导出待办', 'feedback.cases.export': '导出投诉与差评',
  'appointment.export': '导出预约', 'care.treatments.export': '导出施术记录', 'rewards.vouchers.export': '导出优惠券', 'community.posts.export': '导出社群内容',
  'audit.export': '导出操作日志', 'report.export': '导出报表', 'report.roi.export': '导出渠道 ROI',
};

/**
 * The API's date filter from a day range picked on the Shanghai calendar: `from` at the first day's
 * midnight, `to` (exclusive) at the midnight after the last day, both +08:00.
 */
export function auditRange(days: [string, string] | null): { from?: string; to?: string } {
  if (!days) return {};
  const [first, last] = days;
  const next = shanghaiDay(new Date(Date.parse(`${last}T12:00:00+08:00`) + 24 * 3600_000));
  return { from: `${first}T00:00:00+08:00`, to: `${next}T00:00:00+08:00` };
}

const PUBLIC_ID = /^[A-Za-z0-9_-]{22}$/;
const PHONE = /^\+?[\d\s-]{5,20}$/;

/** How a typed client reference is looked up: an archive number as it is, else by phone, else by name. */
export function clientLookup(text: string): { id: string } | { phone: string } | { name: string } | null {
  const t = text.trim();
  if (!t) return null;
  if (PUBLIC_ID.test(t)) return { id: t };
  if (PHONE.test(t)) return { phone: t };
  return t.length <= 32 ? { name: t } : null;
}
