import type { Task } from '../../shared/task';
import type { FeedbackService } from './feedback.service';

export { FeedbackService } from './feedback.service';
export { feedbackAad } from './feedback.shared';
export type { FeedbackDeps } from './feedback.shared';
export { CaseExports } from './feedback.export';
export type {
  SurveyAnswerInput, SurveyView, ShareResult, ComplaintInput, ClientCaseView, CaseView, CaseDetail, CaseListQuery,
  SatisfactionFigures, SatisfactionReport, Compensation, CompensationFigures,
} from './feedback.types';
export { FeedbackErrors } from './feedback.errors';
export {
  INDICATORS, INDICATOR_LABELS, COMPLAINT_CATEGORIES, SHARE_CHANNELS, PROMOTER_FROM, DETRACTOR_AT_MOST, surveyCaseGrade, complaintGrade, netPromoterScore, WINBACK_RULES,
} from './feedback.rules';
export type { Indicator, IndicatorScores, ComplaintCategory, ShareChannel, CaseThresholds, WinbackRule } from './feedback.rules';
export { registerFeedbackRoutes } from './feedback.routes';
export { reportQuery as satisfactionReportQuery } from './feedback.schema';
export * from './feedback.entity';

/**
 * Every 5 minutes: an open case past its deadline (投诉 24 小时内处理) alerts the director through the
 * bot, once per case ('staff_alert', key `case_overdue:<case>`). For allTasks().
 */
export const caseSlaTask: Task<{ feedback: FeedbackService }> = {
  id: 'case-sla',
  schedule: '*/5 * * * *',
  description: 'Alert the director about feedback cases past their deadline (once per case)',
  run: async ({ services, now }) => ({ items: await services.feedback.escalateOverdue(now) }),
};
export { surveysAnsweredBetween } from './feedback.performance';
export type { AnsweredSurvey } from './feedback.performance';
