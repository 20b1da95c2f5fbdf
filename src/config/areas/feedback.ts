import { area, int, oneOf, pagePath, setting, STAFF_ROLES } from '../setting';

export const feedback = area('Satisfaction surveys 满意度 and complaints 投诉', {
  surveyValidDays: int('SURVEY_VALID_DAYS', { min: 1, max: 365, default: 30, doc: 'Days a satisfaction survey (opened per order, sent around day 7) can be answered' }),
  // DOMAIN.md: poor ratings are escalated.
  caseNpsAtMost: int('SURVEY_CASE_NPS_AT_MOST', { min: 0, max: 10, default: 6, doc: 'An NPS answer (0–10) at or below this opens a case for a supervisor' }),
  caseIndicatorAtMost: int('SURVEY_CASE_INDICATOR_AT_MOST', { min: 0, max: 5, default: 2, doc: 'Any of the ten indicators (1–5) at or below this opens a case too' }),
  caseDeadlineHours: int('CASE_DEADLINE_HOURS', { min: 1, max: 720, default: 24, doc: 'Hours to resolve a case (投诉 24 小时内处理); an open case past it alerts the director once' }),
  caseAssigneeRole: oneOf('CASE_ASSIGNEE_ROLE', STAFF_ROLES, {
    default: 'customer_service', doc: 'Staff role whose worklist gets new cases: director | doctor | consultant | customer_service',
  }),
  // DOMAIN.md: poor ratings are escalated to a supervisor for a remedy.
  supervisorRole: oneOf('SUPERVISOR_ROLE', STAFF_ROLES, {
    default: 'director',
    doc: '主管 (supervisor): low-score cases go to this role, and only it (and the director) may give a compensation (voucher or free review) when resolving a case.',
  }),
  sharePage: setting('SURVEY_SHARE_PAGE', pagePath(), {
    default: 'packageSurvey/survey/index',
    doc: 'Mini-program page where a promoter (NPS 9–10) shares their experience (no leading /, no query; the survey travels as id=…)',
  }),
});
