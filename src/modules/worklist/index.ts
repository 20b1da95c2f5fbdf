export { WorklistService } from './worklist.service';
export { TaskExports } from './worklist.export';
export { taskAad } from './worklist.service';
export type { WorklistDeps, TaskInput, TaskView, TaskQuery, ClientTaskInput } from './worklist.service';
export { WorklistErrors } from './worklist.errors';
export { registerWorklistRoutes } from './worklist.routes';
export * from './worklist.entity';
