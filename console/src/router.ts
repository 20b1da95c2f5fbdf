import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { session, whenEnrolmentRequired, whenSessionExpires } from '@/composables/session';
import { OPERATION_ROLES } from '@/api/roles';
// The first screen's two views come with the main script: no second round trip before the workbench shows.
import LayoutView from '@/views/LayoutView.vue';
import WorkbenchView from '@/views/WorkbenchView.vue';
import { settingsRoute } from '@/views/settings/routes';

declare module 'vue-router' {
  interface RouteMeta {
    title?: string;
    /** Shown in the menu when the API admits this role to the operation the page is built on. */
    menu?: { label: string; icon: string; operation: string };
    public?: boolean;
  }
}

export const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('@/views/LoginView.vue'), meta: { public: true, title: '登录' } },
  {
    path: '/',
    component: LayoutView,
    children: [
      { path: '', name: 'workbench', component: WorkbenchView, meta: { title: '工作台', menu: { label: '工作台', icon: 'House', operation: 'GET /api/staff/me' } } },
      { path: 'leads', name: 'leads', component: () => import('@/views/LeadsView.vue'), meta: { title: '线索', menu: { label: '线索', icon: 'TrendCharts', operation: 'GET /api/staff/leads' } } },
      { path: 'clients', name: 'clients', component: () => import('@/views/ClientsView.vue'), meta: { title: '客户', menu: { label: '客户', icon: 'User', operation: 'GET /api/staff/clients' } } },
      { path: 'clients/new', name: 'client-new', component: () => import('@/views/NewClientView.vue'), meta: { title: '新建客户', menu: { label: '新建客户', icon: 'Plus', operation: 'POST /api/staff/clients' } } },
      { path: 'appointments', name: 'appointments', component: () => import('@/views/AppointmentsView.vue'), meta: { title: '预约日程', menu: { label: '预约日程', icon: 'Calendar', operation: 'GET /api/staff/appointments' } } },
      { path: 'imports', name: 'imports', component: () => import('@/views/ImportView.vue'), meta: { title: '数据导入', menu: { label: '数据导入', icon: 'Upload', operation: 'POST /api/staff/imports' } } },
      { path: 'contact-ways', name: 'contact-ways', component: () => import('@/views/ContactWaysView.vue'), meta: { title: '渠道活码', menu: { label: '渠道活码', icon: 'Share', operation: 'GET /api/staff/wecom/contact-ways' } } },
      { path: 'vouchers', name: 'vouchers', component: () => import('@/views/VouchersView.vue'), meta: { title: '核销', menu: { label: '核销', icon: 'Ticket', operation: 'POST /api/staff/vouchers/redeem' } } },
      { path: 'reports/roi', name: 'report-roi', component: () => import('@/views/reports/RoiReportView.vue'), meta: { title: '渠道ROI', menu: { label: '渠道ROI', icon: 'DataAnalysis', operation: 'GET /api/staff/reports/roi' } } },
      { path: 'orders', name: 'orders', component: () => import('@/views/OrdersView.vue'), meta: { title: '订单', menu: { label: '订单', icon: 'Wallet', operation: 'GET /api/staff/orders' } } },
      { path: 'community', name: 'community', component: () => import('@/views/CommunityView.vue'), meta: { title: '社群内容', menu: { label: '社群内容', icon: 'ChatDotRound', operation: 'POST /api/staff/community/posts' } } },
      { path: 'account', name: 'account', component: () => import('@/views/AccountView.vue'), meta: { title: '我的账号', menu: { label: '我的账号', icon: 'Lock', operation: 'POST /api/staff/me/password' } } },
      { path: 'reports/pipeline', name: 'report-pipeline', component: () => import('@/views/reports/PipelineReportView.vue'), meta: { title: '意向漏斗', menu: { label: '意向漏斗', icon: 'Filter', operation: 'GET /api/staff/metrics/pipeline' } } },
      { path: 'reports/satisfaction', name: 'report-satisfaction', component: () => import('@/views/reports/SatisfactionReportView.vue'), meta: { title: '满意度', menu: { label: '满意度', icon: 'Star', operation: 'GET /api/staff/reports/satisfaction' } } },
      { path: 'reports/staff-performance', name: 'report-staff-performance', component: () => import('@/views/reports/StaffPerformanceView.vue'), meta: { title: '员工绩效', menu: { label: '员工绩效', icon: 'Medal', operation: 'GET /api/staff/reports/staff-performance' } } },
      { path: 'reports/rfm', name: 'report-rfm', component: () => import('@/views/reports/RfmReportView.vue'), meta: { title: '客户分层', menu: { label: '客户分层', icon: 'PieChart', operation: 'GET /api/staff/reports/rfm/segments' } } },
      { path: 'reports/appointments', name: 'report-appointments', component: () => import('@/views/reports/AppointmentsReportView.vue'), meta: { title: '预约统计', menu: { label: '预约统计', icon: 'Histogram', operation: 'GET /api/staff/reports/appointments' } } },
      { path: 'reports/consistency', name: 'report-consistency', component: () => import('@/views/reports/ConsistencyReportView.vue'), meta: { title: '积分对账', menu: { label: '积分对账', icon: 'Finished', operation: 'GET /api/staff/points/consistency' } } },
      { path: 'clients/:clientId/plans/new', name: 'plan-new', component: () => import('@/views/PlanView.vue'), props: true, meta: { title: '写方案' } },
      { path: 'plans/:planId', name: 'plan', component: () => import('@/views/PlanView.vue'), props: true, meta: { title: '方案' } },
      { path: 'clients/:id', name: 'client', component: () => import('@/views/ClientView.vue'), props: true, meta: { title: '客户档案' } },
      settingsRoute,
    ],
  },
  { path: '/:rest(.*)*', redirect: '/' },
];

/** Whether the API admits this role to an operation (the generated table from /openapi.json). */
export function admits(operation: string, role: string | undefined): boolean {
  if (!(operation in OPERATION_ROLES)) return false;
  const roles = OPERATION_ROLES[operation];
  return roles === null || (role !== undefined && roles.includes(role));
}

export function createConsoleRouter() {
  const router = createRouter({ history: createWebHistory('/console/'), routes });
  router.beforeEach((to) => {
    if (!to.meta.public && !session.token) return { name: 'login', query: { redirect: to.fullPath } };
    if (to.name === 'login' && session.token) return { path: '/' };
    return true;
  });
  router.afterEach((to) => {
    document.title = `${to.meta.title ?? '工作台'} · 美颜客户管理`;
  });
  // The API said the session ended: back to login, and back here afterwards.
  whenSessionExpires(() => {
    const here = router.currentRoute.value;
    if (here.name !== 'login') void router.replace({ name: 'login', query: { redirect: here.fullPath, expired: '1' } });
  });
  // The API said this session may only enrol TOTP: to 我的账号, where the page says why.
  whenEnrolmentRequired(() => {
    if (router.currentRoute.value.name !== 'account') void router.replace({ name: 'account', query: { totp: 'required' } });
  });
  return router;
}
