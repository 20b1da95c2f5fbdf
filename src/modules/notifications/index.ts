export { WorkStream } from './notifications.service';
export type { WorkKind, WorkListener, WorkSources } from './notifications.service';
export { registerNotificationRoutes } from './notifications.routes';
