export { MarketingService } from './marketing.service';
export type { MarketingDeps, SpendView } from './marketing.service';
export { ROI_MAX_MONTHS } from './marketing.roi';
export type { RoiReport, RoiRow, RoiFigures, Attribution, RoiQuery } from './marketing.roi';
export { UNKNOWN_CHANNEL, rebuildRoiRollup, refreshRoiRollup } from './marketing.rollup';
export { MarketingErrors } from './marketing.errors';
export { registerMarketingRoutes } from './marketing.routes';
export * from './marketing.entity';
