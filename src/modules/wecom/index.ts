import type { Task } from '../../shared/task';
import type { WeComService } from './wecom.service';

export { WeComService } from './wecom.service';
export type { WeComDeps, JssdkConfig, JssdkSignature } from './wecom.service';
export type { CallbackQuery } from './wecom.callbacks';
export type { ContactWayView } from './wecom.contactways';
export type { StaffNotice, NoticeReport } from './wecom.notices';
export type { WorkNoticeSources } from './wecom.worknotices';
export type { AddedHook, EventOutcome } from './wecom.events';
export type { ClientTagStore } from './wecom.tags';
export type { SendTaskFallback } from './wecom.sendtasks';
export { WeComErrors } from './wecom.errors';
export { registerWeComRoutes } from './wecom.routes';
export * from './wecom.entity';

/**
 * Every minute: processes WeCom callback events still due (those whose background processing
 * failed or whose process died). Rows are claimed by a conditional UPDATE, so it is safe beside
 * the API processes and on two schedulers. For allTasks().
 */
export const wecomEventsTask: Task<{ wecomOfficial: WeComService }> = {
  id: 'wecom-events',
  schedule: '* * * * *',
  description: 'Process WeCom callback events still due; delete one-tap contact-me codes never used',
  run: async ({ services, now }) => ({
    items: (await services.wecomOfficial.processEvents()) + (services.wecomOfficial.official ? await services.wecomOfficial.contactWays.purgeUnusedClientCodes(now) : 0),
  }),
};

/**
 * Every minute: reads back the results of open send tasks (each every WECOM_SEND_TASK_CHECK_MINUTES)
 * and gives what the consultant did not send by the deadline back to delivery. Items are settled by
 * conditional UPDATEs and delivery takes a message back once, so two schedulers do no harm. For allTasks().
 */
export const wecomSendTasksTask: Task<{ wecomOfficial: WeComService }> = {
  id: 'wecom-send-tasks',
  schedule: '* * * * *',
  description: 'Read back WeCom send-task results; unsent messages past the deadline take the next channel',
  run: async ({ services, now }) => ({ items: services.wecomOfficial.official ? await services.wecomOfficial.sendTasks.check(now) : 0 }),
};

/**
 * Every minute: new tasks, cases, A-grade leads, overdue cases and posts to approve reach the staff
 * members concerned as one WeCom app notice each. One row per (item, staff member) under a unique
 * key, claimed by a conditional UPDATE, so two schedulers notify once. For allTasks().
 */
export const wecomWorkNoticesTask: Task<{ wecomOfficial: WeComService }> = {
  id: 'wecom-work-notices',
  schedule: '* * * * *',
  description: 'Tell staff about new tasks, cases, A-grade leads, overdue cases and posts to approve through the WeCom app',
  run: async ({ services, now }) => ({ items: services.wecomOfficial.official ? await services.wecomOfficial.workNotices.run(now) : 0 }),
};
