import type { Task } from '../../shared/task';
import type { CommunityService } from './community.service';

export { CommunityService, imageHostAllowed } from './community.service';
export type { CommunityDeps, PostInput, PostPatch, PostScheduleInput, PostScheduleView, PostView, DeliveryView } from './community.service';
export { CommunityErrors } from './community.errors';
export { PostExports } from './community.export';
export { DEFAULT_BANNED_WORDING, loadBannedWording, findBannedWording } from './community.wording';
export type { BannedWording } from './community.wording';
export { latestOccurrence, nextOccurrence, dueOccurrence } from './community.schedule';
export type { PostSchedule, Occurrence } from './community.schedule';
export { registerCommunityRoutes } from './community.routes';
export * from './community.entity';

/**
 * Every 5 minutes: queues the due occurrence of each approved post (once per post and occurrence;
 * a slot missed by more than COMMUNITY_POST_GRACE_HOURS is skipped). For allTasks().
 */
export const communityPostsTask: Task<{ community: CommunityService }> = {
  id: 'community-posts',
  schedule: '*/5 * * * *',
  description: 'Queue due community posts to client groups and tagged clients',
  run: async ({ services, now }) => ({ items: await services.community.runDue(now) }),
};
