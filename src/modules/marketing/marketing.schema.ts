import Joi from 'joi';
import { idParams } from '../../shared/http/schemas';

export { idParams };

/** A business month (Asia/Shanghai), YYYY-MM. */
const month = Joi.string().pattern(/^\d{4}-(0[1-9]|1[0-2])$/, 'YYYY-MM');
const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;
// Up to ¥10 billion in fen: far above any real month of advertising, well inside a JS safe integer.
const fen = Joi.number().integer().min(0).max(1_000_000_000_000);

export const addSpendBody = Joi.object<{ channel: string; month: string; campaign?: string | null; amountFen: number; note?: string | null }>({
  channel: Joi.string().min(1).max(64).pattern(/^[a-z0-9_]+$/, 'channel id').required(),
  month: month.required(),
  campaign: Joi.string().min(1).max(128).pattern(PRINTABLE, 'printable').allow(null),
  amountFen: fen.min(1).required(),
  note: Joi.string().max(200).pattern(PRINTABLE, 'printable').allow(null, ''),
}).required();

export const correctSpendBody = Joi.object<{ amountFen: number; reason: string }>({
  amountFen: fen.required().description('the right amount of the corrected entry; the difference is recorded as a new entry'),
  reason: Joi.string().min(1).max(200).pattern(/\S/).pattern(PRINTABLE, 'printable').required(),
}).required();

export const listSpendQuery = Joi.object({
  from: month.required(),
  to: month.required(),
  channel: Joi.string().max(64),
});

export const roiQuery = Joi.object({
  from: month.required(),
  to: month.required(),
  attribution: Joi.string().valid('first', 'last').default('first').description('first touch (the channel that brought the client) or the last touch before each payment'),
  groupBy: Joi.string().valid('month', 'range').default('month'),
});

export const roiExportQuery = roiQuery.keys({ format: Joi.string().valid('csv', 'xlsx').required() });

export const spendView = Joi.object({
  id: Joi.string(),
  channel: Joi.string(),
  month: Joi.string(),
  campaign: Joi.string().allow(null),
  amountFen: Joi.number().integer().description('negative on a correction that lowers its entry'),
  corrects: Joi.string().allow(null).description('the entry this one corrects'),
  note: Joi.string().allow(null),
  recordedBy: Joi.string().allow(null),
  createdAt: Joi.date(),
});
export const spendListResponse = Joi.object({
  items: Joi.array().items(spendView.keys({ effectiveFen: Joi.number().integer().allow(null).description('an original entry with its corrections; null on a correction') })),
  totalFen: Joi.number().integer(),
});

const rate = Joi.number().allow(null);
const figures = {
  spendFen: Joi.number().integer(),
  leads: Joi.number().integer(),
  questionnaires: Joi.number().integer(),
  plans: Joi.number().integer(),
  firstOrders: Joi.number().integer(),
  conversion: Joi.object({
    leadToQuestionnaire: rate,
    questionnaireToPlan: rate,
    planToFirstOrder: rate,
    leadToFirstOrder: rate,
  }),
  revenueFen: Joi.number().integer().description(
    'orders paid in the period net of refunds, at the amount paid — the part paid from stored value 储值 (released referral cashback) included: '
    + 'the order was sold at that price and the stored value is settled by it. Only the referral cashback base leaves stored value out (no cashback on cashback).',
  ),
  payingClients: Joi.number().integer(),
  newPayingClients: Joi.number().integer(),
  averageTicketFen: Joi.number().integer().allow(null),
  costPerLeadFen: Joi.number().integer().allow(null),
  cacFen: Joi.number().integer().allow(null),
  roi: rate,
};
export const roiResponse = Joi.object({
  from: Joi.string(),
  to: Joi.string(),
  attribution: Joi.string().valid('first', 'last'),
  groupBy: Joi.string().valid('month', 'range'),
  rows: Joi.array().items(Joi.object({ channel: Joi.string(), month: Joi.string().allow(null), ...figures })),
  totals: Joi.object(figures),
  referrers: Joi.array().items(Joi.object({ clientId: Joi.string(), referredPayingClients: Joi.number().integer(), revenueFen: Joi.number().integer() })),
});
