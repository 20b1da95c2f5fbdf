export { MarketingService, ROI_MAX_MONTHS, UNKNOWN_CHANNEL } from './marketing.service';
export type { MarketingDeps, RoiReport, RoiRow, RoiFigures, SpendView, Attribution } from './marketing.service';
export { MarketingErrors } from './marketing.errors';
export { registerMarketingRoutes } from './marketing.routes';
export * from './marketing.entity';
