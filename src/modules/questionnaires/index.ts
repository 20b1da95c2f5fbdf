export { QuestionnairesService } from './questionnaires.service';
export { LeadExports } from './questionnaires.leads-export';
export { questionnaireAad } from './questionnaires.shared';
export type { QuestionnairesDeps } from './questionnaires.shared';
export type {
  ClientTemplateView, DraftView, SubmissionInput, SubmissionResult, ClientSummary, TemplateView, VersionView, VersionRef,
  LeadsQuery, LeadItem, StaffResponseView, LatestResponse,
} from './questionnaires.types';
export { QuestionnaireErrors } from './questionnaires.errors';
export { validateDefinition, QUESTION_TYPES, LEAD_GRADES, RISK_LEVELS } from './questionnaires.definition';
export type { Definition, QuestionDef, SectionDef, OptionDef, Condition, Rules, LeadGrade, RiskLevel } from './questionnaires.definition';
export { registerQuestionnaireRoutes } from './questionnaires.routes';
export { seedDemoQuestionnaires } from './questionnaires.demo';
export * from './questionnaires.entity';
export { submissionsAfter } from './questionnaires.leads-feed';
export { responsesByClientBetween } from './questionnaires.performance';
