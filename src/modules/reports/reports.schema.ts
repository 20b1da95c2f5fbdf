import Joi from 'joi';
import { exportFormat } from '../../shared/http/export';

const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

export const staffPerformanceQuery = Joi.object({
  from: Joi.string().pattern(DATE, 'YYYY-MM-DD').description('first day, Asia/Shanghai (with `to`; default: the first day of this quarter)'),
  to: Joi.string().pattern(DATE, 'YYYY-MM-DD').description('last day included, Asia/Shanghai, at most 366 days after `from` (default: the last day of this quarter)'),
});
export const staffPerformanceExportQuery = staffPerformanceQuery.keys({ format: exportFormat });

const count = (d: string) => Joi.number().integer().description(d);
const rate = (d: string) => Joi.number().min(0).max(1).allow(null).description(d);

// Every date below is the Asia/Shanghai calendar: a day runs 00:00–23:59:59.999 there.
const consultantFigures = Joi.object({
  leads: count("clients created in the period whose dedicated consultant is this consultant (the archive's consultant when the report is read: assignments keep no history)"),
  questionnaires: count("questionnaire responses submitted in the period by this consultant's clients"),
  plans: count("doctors' plans first proposed in the period to this consultant's clients (drafts never shown do not count)"),
  firstPaidOrders: count("this consultant's clients whose first order still worth something (not voided, not refunded in full) was paid in the period: new paying clients"),
  convertedLeads: count('of `leads`, those with an order still worth something paid before the end of the period'),
  conversionRate: rate('convertedLeads / leads (0–1, four decimals); null without leads'),
  revenueFen: count("orders of this consultant's clients paid in the period, paid minus refunded as they stand when read (a later refund lowers the period of the payment), voided orders nothing; fen"),
  surveys: count("satisfaction surveys answered in the period by this consultant's clients"),
  averageScore: Joi.number().allow(null).description('the mean of every indicator score (1–5) given in those surveys, two decimals; null without scores'),
  nps: Joi.number().allow(null).description('NPS of those surveys: % promoters (9–10) − % detractors (0–6) of the surveys with an NPS answer, one decimal; null without one'),
});
const doctorFigures = Joi.object({
  plansProposed: count("this doctor's plans first proposed to the client in the period"),
  plansAccepted: count('of `plansProposed`, those the client accepted before the end of the period'),
  acceptanceRate: rate('plansAccepted / plansProposed (0–1, four decimals); null without proposed plans'),
  treatments: count('treatments (procedure sessions) this doctor performed in the period'),
  surveys: count('satisfaction surveys answered in the period about orders naming this doctor (as the satisfaction report counts them)'),
  nps: Joi.number().allow(null).description('NPS of those surveys: % promoters (9–10) − % detractors (0–6) of the surveys with an NPS answer, one decimal; null without one'),
});
const changeOf = (figures: Joi.ObjectSchema) => Joi.object(Object.fromEntries(Object.keys(figures.describe().keys).map((k) => [k, Joi.number().allow(null)])))
  .description('current − previous, figure by figure (rates in points of 0–1); null where either side is null');
const row = (figures: Joi.ObjectSchema) => Joi.object({
  staff: Joi.object({ id: Joi.string(), name: Joi.string(), active: Joi.boolean() }),
  current: figures,
  previous: figures.description('the same figures over the previous period'),
  change: changeOf(figures),
});

export const staffPerformanceResponse = Joi.object({
  from: Joi.string(),
  to: Joi.string(),
  previous: Joi.object({ from: Joi.string(), to: Joi.string() }).description('the period ending the day before `from`: whole calendar months as many months before (Q1 → Q4 of the year before), any other range as many calendar days before'),
  consultants: Joi.array().items(row(consultantFigures)).description('every active consultant, and a former one with figures in either period'),
  doctors: Joi.array().items(row(doctorFigures)).description('every active doctor, and a former one with figures in either period'),
});
