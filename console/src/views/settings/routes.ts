import type { RouteRecordRaw } from 'vue-router';

/**
 * The director's settings pages. Each names the API operation it is built on: the page is listed
 * (and reachable from the settings menu) only for roles that operation admits.
 */
export const SETTINGS_PAGES = [
  { path: 'staff', label: '员工账号', operation: 'GET /api/staff/staff', component: () => import('./StaffAccountsView.vue') },
  { path: 'followups', label: '随访计划', operation: 'PATCH /api/staff/care/templates/{id}', component: () => import('./FollowupPlansView.vue') },
  { path: 'projects', label: '项目目录', operation: 'PATCH /api/staff/projects/{id}', component: () => import('./ProjectsView.vue') },
  { path: 'rewards', label: '积分商城', operation: 'PATCH /api/staff/rewards/{id}', component: () => import('./RewardsView.vue') },
  { path: 'voucher-rules', label: '优惠券规则', operation: 'PATCH /api/staff/voucher-rules/{code}', component: () => import('./VoucherRulesView.vue') },
  { path: 'questionnaires', label: '问卷模板', operation: 'PUT /api/staff/questionnaire-versions/{id}', component: () => import('./QuestionnairesView.vue') },
  { path: 'audit', label: '操作日志', operation: 'GET /api/staff/audit', component: () => import('./AuditLogView.vue') },
] as const;

/**
 * The menu shows 设置 to a role admitted to any settings page. The follow-up plans are the widest
 * (customer service edits callback texts too); a vitest checks no page admits a role this misses.
 */
export const SETTINGS_MENU_OPERATION = 'PATCH /api/staff/care/templates/{id}';

export const settingsRoute: RouteRecordRaw = {
  path: 'settings',
  name: 'settings',
  component: () => import('./SettingsView.vue'),
  meta: { title: '设置', menu: { label: '设置', icon: 'Setting', operation: SETTINGS_MENU_OPERATION } },
  children: SETTINGS_PAGES.map((p) => ({ path: p.path, name: `settings-${p.path}`, component: p.component, meta: { title: p.label } })),
};
