export { JourneyService } from './journey.service';
export type { StageMove, StageEventView } from './journey.service';
export { CLIENT_STAGES, PIPELINE_ORDER, STAGE_TAGS } from './journey.stages';
export type { ClientStage } from './journey.stages';
export * from './journey.entity';
