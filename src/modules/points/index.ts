import type { Task } from '../../shared/task';
import type { PointsService } from './points.service';

export { PointsService } from './points.service';
export type {
  PointsDeps, LedgerInput, LedgerResult, EntryView, ClientEntryView, ExpiringSoon, ConsistencyReport, AccountLock, ReverseInput, ExpiryReport,
} from './points.service';
export { PointsErrors } from './points.errors';
export { rulesFromConfig, spendPoints, referralPoints, expiryOf } from './points.rules';
export type { EarningRules, SpendCategory } from './points.rules';
export { registerPointsRoutes } from './points.routes';
export * from './points.entity';

/**
 * Nightly points expiry: oldest lots first; safe to run twice (key `expire:<lotId>`). A lot
 * that fails is logged and skipped, the rest go on (the failure count is logged at error level). For allTasks().
 */
export const pointsExpiryTask: Task<{ points: PointsService }> = {
  id: 'points-expiry',
  schedule: '10 0 * * *',
  description: 'Write expiry entries for points lots past their expiry date',
  run: async ({ services, now }) => ({ items: await services.points.expireDue(now) }),
};
