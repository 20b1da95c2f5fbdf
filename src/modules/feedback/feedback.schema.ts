import Joi from 'joi';
import { idParams, publicIdParam } from '../../shared/http/schemas';
import { exportFormat } from '../../shared/http/export';
import type { TableFormat } from '../../shared/tabular';
export { idParams };
import { COMPLAINT_CATEGORIES, INDICATORS, SHARE_CHANNELS, WINBACK_RULES, type IndicatorScores } from './feedback.rules';
import type { CaseListQuery, ComplaintInput, ReportRange, ResolveCaseInput, ShareInput, SurveyAnswerInput } from './feedback.types';

/** A client-generated UUID that makes a retried complaint harmless. */
const requestId = Joi.string().guid({ version: ['uuidv4', 'uuidv7'] }).required();
const PRINTABLE = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;
const freeText = (max: number) => Joi.string().max(max).pattern(PRINTABLE, 'printable');
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

const score = Joi.number().integer().min(1).max(5).required();
export const indicatorsSchema = Joi.object<IndicatorScores>(Object.fromEntries(INDICATORS.map((i) => [i, score]))).required();

export const answerBody = Joi.object<SurveyAnswerInput, true>({
  indicators: indicatorsSchema,
  nps: Joi.number().integer().min(0).max(10).required(),
  comment: freeText(1000).allow(''),
}).required();

export const shareBody = Joi.object<ShareInput, true>({
  channel: Joi.string().valid(...SHARE_CHANNELS).required()
    .description('where the experience was shared; WeChat chats and Moments are not offered (WeChat forbids rewarding shares)'),
}).required();

export const complaintBody = Joi.object<ComplaintInput, true>({
  category: Joi.string().valid(...COMPLAINT_CATEGORIES).required(),
  text: freeText(1000).min(5).pattern(/\S/).required(),
  orderId: publicIdParam.optional(),
  requestId,
}).required();

export const resolveBody = Joi.object<ResolveCaseInput>({
  resolution: freeText(1000).min(2).pattern(/\S/).required(),
  compensation: Joi.object({
    kind: Joi.string().valid('voucher', 'review_appointment').required(),
    rule: Joi.when('kind', { is: 'voucher', then: Joi.string().valid(...WINBACK_RULES).required(), otherwise: Joi.forbidden() })
      .description('the win-back voucher: winback_amount (amount off), winback_percent (percent off with a cap), winback_care (a free care service)'),
    at: Joi.when('kind', { is: 'review_appointment', then: Joi.string().isoDate().required(), otherwise: Joi.forbidden() })
      .description('the free review appointment\'s start (an opening-hours slot)'),
  }).description('what the supervisor (主管) gives; only the supervisor role and the director may give one'),
}).required();

const caseFilters = { status: Joi.string().valid('open', 'resolved'), overdue: Joi.boolean() };
export const caseListQuery = Joi.object<CaseListQuery, true>({
  ...caseFilters,
  page: Joi.number().integer().min(1).max(10000).default(1),
  pageSize: Joi.number().integer().min(1).max(100).default(20),
});
/** The case list as a file: the list's filters (no paging) and the format. */
export const caseExportQuery = Joi.object<Pick<CaseListQuery, 'status' | 'overdue'> & { format: TableFormat }, true>({
  ...caseFilters,
  format: exportFormat,
});

export const reportQuery = Joi.object<ReportRange, true>({
  from: Joi.string().pattern(DATE, 'YYYY-MM-DD').description('first day, Asia/Shanghai (default: 29 days before `to`)'),
  to: Joi.string().pattern(DATE, 'YYYY-MM-DD').description('last day included, Asia/Shanghai (default: today)'),
});

const scores = Joi.object(Object.fromEntries(INDICATORS.map((i) => [i, Joi.number().integer().min(1).max(5)])));
export const surveyView = Joi.object({
  id: Joi.string(),
  status: Joi.string().valid('open', 'answered', 'expired'),
  expiresAt: Joi.date(),
  order: Joi.object({
    id: Joi.string().allow(''),
    paidAt: Joi.date().allow(null),
    doctor: Joi.object({ name: Joi.string() }).allow(null),
    projects: Joi.array().items(Joi.object({ id: Joi.string(), name: Joi.string() })),
  }),
  questions: Joi.array().items(Joi.object({ key: Joi.string().valid(...INDICATORS), label: Joi.string() })),
  answer: Joi.object({
    indicators: scores.allow(null), nps: Joi.number().integer(), comment: Joi.string().allow(null), answeredAt: Joi.date(), via: Joi.string().valid('miniprogram', 'bot'),
  }).allow(null),
  canShare: Joi.boolean(),
  sharedAt: Joi.date().allow(null),
});
export const surveysResponse = Joi.object({ items: Joi.array().items(surveyView) });
export const answerResponse = Joi.object({ survey: surveyView, replayed: Joi.boolean() });
export const shareResponse = Joi.object({ sharedAt: Joi.date(), channel: Joi.string(), points: Joi.number().integer(), replayed: Joi.boolean() });

export const clientCaseView = Joi.object({
  id: Joi.string(), category: Joi.string().allow(null), status: Joi.string().valid('open', 'resolved'), createdAt: Joi.date(), resolvedAt: Joi.date().allow(null),
});
export const complaintResponse = Joi.object({ complaint: clientCaseView, replayed: Joi.boolean() });
export const complaintsResponse = Joi.object({ items: Joi.array().items(clientCaseView) });

export const caseView = Joi.object({
  id: Joi.string(),
  client: Joi.object({ id: Joi.string() }),
  source: Joi.string().valid('survey', 'complaint'),
  grade: Joi.string().valid('low', 'medium', 'high'),
  category: Joi.string().allow(null),
  status: Joi.string().valid('open', 'resolved'),
  assigneeRole: Joi.string(),
  deadlineAt: Joi.date(),
  overdue: Joi.boolean(),
  escalatedAt: Joi.date().allow(null),
  order: Joi.object({ id: Joi.string() }).allow(null),
  survey: Joi.object({ id: Joi.string(), nps: Joi.number().integer().allow(null) }).allow(null),
  createdAt: Joi.date(),
  resolvedAt: Joi.date().allow(null),
});
export const casesResponse = Joi.object({ items: Joi.array().items(caseView), page: Joi.number().integer(), hasMore: Joi.boolean() });
export const caseDetail = caseView.keys({
  text: Joi.string().allow(null),
  answer: Joi.object({ indicators: scores.allow(null), nps: Joi.number().integer().allow(null), comment: Joi.string().allow(null) }).allow(null),
  resolution: Joi.string().allow(null),
  resolvedBy: Joi.object({ id: Joi.string(), name: Joi.string().allow('') }).allow(null),
  compensation: Joi.object({ kind: Joi.string().valid('voucher', 'review_appointment'), rule: Joi.string().allow(null), ref: Joi.string().allow(null) }).allow(null)
    .description("what the supervisor gave: the voucher's rule and id, or the free review appointment's id"),
});

const figures = {
  responses: Joi.number().integer(),
  promoters: Joi.number().integer(),
  passives: Joi.number().integer(),
  detractors: Joi.number().integer(),
  nps: Joi.number().allow(null).description('promoters% − detractors%'),
  indicators: Joi.object(Object.fromEntries(INDICATORS.map((i) => [i, Joi.number().allow(null)]))),
};
export const reportResponse = Joi.object({
  from: Joi.string(),
  to: Joi.string(),
  overall: Joi.object(figures),
  byDoctor: Joi.array().items(Joi.object({ doctor: Joi.object({ id: Joi.string(), name: Joi.string() }), ...figures })),
  byProject: Joi.array().items(Joi.object({ project: Joi.object({ id: Joi.string(), code: Joi.string(), name: Joi.string() }), ...figures })),
  compensations: Joi.object({
    resolved: Joi.number().integer(),
    none: Joi.number().integer(),
    vouchers: Joi.array().items(Joi.object({ rule: Joi.string(), count: Joi.number().integer() })),
    reviewAppointments: Joi.number().integer(),
  }).description('cases resolved in the range and what the supervisors gave'),
  previous: Joi.object({ from: Joi.string(), to: Joi.string(), overall: Joi.object(figures) }).description('the period just before, for comparison: whole calendar months as many months before (Q1 → Q4 of the year before), any other range as many days before'),
});
