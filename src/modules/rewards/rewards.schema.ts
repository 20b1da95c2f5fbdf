import Joi from 'joi';
import { idParams, pageQuery, publicIdSchema } from '../../shared/http/schemas';
import { exportFormat } from '../../shared/http/export';
import { BENEFIT_KINDS } from './rewards.entity';
import type { RedeemInput, RewardItemInput, RewardItemPatch } from './rewards.service';
export { idParams, pageQuery };

/** A client-generated UUID that makes a retried redemption harmless. */
const requestId = Joi.string().guid({ version: ['uuidv4', 'uuidv7'] }).required();

const KINDS = ['project_voucher', 'care_product', 'salon_seat'];
const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;
const title = Joi.string().min(1).max(64).pattern(/\S/).pattern(PRINTABLE, 'printable');
const description = Joi.string().max(1000).allow('');
// Bodies are validated without conversion, so an ISO string becomes a Date here, explicitly.
const instant = Joi.string().isoDate().custom((v: string) => new Date(v));

export const createItemBody = Joi.object<RewardItemInput>({
  kind: Joi.string().valid(...KINDS).required(),
  title: title.required(),
  description,
  pointsPrice: Joi.number().integer().min(1).max(10_000_000).required(),
  stock: Joi.number().integer().min(0).max(1_000_000).required(),
  perClientLimit: Joi.number().integer().min(1).max(1000).allow(null),
  validFrom: instant.allow(null),
  validTo: instant.allow(null),
  active: Joi.boolean(),
}).required();

export const updateItemBody = Joi.object<RewardItemPatch>({
  kind: Joi.string().valid(...KINDS),
  title,
  description,
  pointsPrice: Joi.number().integer().min(1).max(10_000_000),
  stock: Joi.number().integer().min(0).max(1_000_000)
    .description('the stock level as counted now; replaces what redemptions did meanwhile (use stockDelta to add or remove units)'),
  stockDelta: Joi.number().integer().min(-1_000_000).max(1_000_000).invalid(0)
    .description('units to add (or remove, negative) relative to the current stock; never undoes a concurrent redemption'),
  perClientLimit: Joi.number().integer().min(1).max(1000).allow(null),
  validFrom: instant.allow(null),
  validTo: instant.allow(null),
  active: Joi.boolean(),
})
  .oxor('stock', 'stockDelta')
  .min(1)
  .required();

export const redeemBody = Joi.object<{ requestId: string }>({ requestId }).required();
export const voucherCodeQuery = Joi.object<{ code: string }>({ code: Joi.string().trim().pattern(/^[2-9A-HJKMNP-Za-hjkmnp-z]{10}$/, 'voucher code').required() });
export const redeemCodeBody = Joi.object<RedeemInput & { code: string }>({
  code: Joi.string().trim().pattern(/^[2-9A-HJKMNP-Za-hjkmnp-z]{10}$/, 'voucher code').required(),
  orderAmountFen: Joi.number().integer().min(0).max(100_000_000).description('the order amount in fen; a percent-off voucher needs it (the discount is rounded down to the fen, then capped)'),
  projectId: Joi.string().max(64).description('public id of the project the voucher is used on; a voucher limited to projects needs it'),
}).required();

export const itemView = Joi.object({
  id: Joi.string(),
  kind: Joi.string().valid(...KINDS),
  title: Joi.string(),
  description: Joi.string().allow(''),
  pointsPrice: Joi.number().integer(),
  stock: Joi.number().integer(),
  perClientLimit: Joi.number().integer().allow(null),
  validFrom: Joi.date().allow(null),
  validTo: Joi.date().allow(null),
  active: Joi.boolean(),
});
export const catalogResponse = Joi.object({ items: Joi.array().items(itemView.keys({ active: Joi.forbidden(), redeemedByMe: Joi.number().integer() })) });
export const itemsResponse = Joi.object({ items: Joi.array().items(itemView) });
const benefitView = Joi.object({
  kind: Joi.string().valid(...BENEFIT_KINDS),
  title: Joi.string(),
  valueFen: Joi.number().integer().allow(null),
  percent: Joi.number().integer().allow(null),
  capFen: Joi.number().integer().allow(null),
  service: Joi.string().allow(null),
  projects: Joi.array().items(Joi.string()).allow(null).description('project codes the voucher may be used on; null: any'),
  text: Joi.string().description('what it gives, as the client reads it'),
});
export const voucherView = Joi.object({
  id: Joi.string(),
  source: Joi.string().valid('points', 'rule'),
  item: Joi.object({ id: Joi.string(), kind: Joi.string().valid(...KINDS, ...BENEFIT_KINDS), title: Joi.string() })
    .description("the points-mall item; for a rule's voucher the rule, with the voucher's kind and title"),
  benefit: benefitView.allow(null),
  points: Joi.number().integer(),
  code: Joi.string(),
  status: Joi.string().valid('issued', 'used', 'cancelled', 'expired'),
  validFrom: Joi.date().allow(null),
  expiresAt: Joi.date(),
  usedAt: Joi.date().allow(null),
  orderAmountFen: Joi.number().integer().allow(null),
  discountFen: Joi.number().integer().allow(null),
  cancelledAt: Joi.date().allow(null),
  createdAt: Joi.date(),
});
export const vouchersResponse = Joi.object({ items: Joi.array().items(voucherView), page: Joi.number().integer(), hasMore: Joi.boolean() });
export const staffVoucherView = voucherView.keys({ clientId: Joi.string().allow(null) });

export const voucherExportQuery = Joi.object({
  client: publicIdSchema.description("one client's vouchers"),
  status: Joi.string().valid('issued', 'used', 'cancelled', 'expired'),
  source: Joi.string().valid('points', 'rule').description('redeemed with points, or issued by a rule (care gift, win-back, birthday …)'),
  format: exportFormat,
});
// ---- what each rule gives (voucher_rules), edited by the director ----

export const ruleCodeParams = Joi.object({ code: Joi.string().pattern(/^[a-z0-9_]{1,32}$/, 'rule code').required() });
const fen = Joi.number().integer().min(1).max(100_000_000);
export const updateVoucherRuleBody = Joi.object({
  kind: Joi.string().valid(...BENEFIT_KINDS),
  title,
  valueFen: fen.allow(null).description('amount_off: the amount taken off, in fen'),
  percent: Joi.number().integer().min(1).max(99).allow(null).description('percent_off: the percentage taken off (20 = 8折)'),
  capFen: fen.allow(null).description('percent_off: the most it takes off, in fen; null: no cap'),
  service: Joi.string().min(1).max(32).pattern(/\S/).pattern(PRINTABLE, 'printable').allow(null).description('free_service and gift: what the client receives'),
  projects: Joi.array().items(Joi.string().pattern(/^[a-z][a-z0-9_]{1,31}$/, 'project code')).min(1).max(50).unique().allow(null)
    .description('project codes its vouchers may be used on; null: any project'),
  validDays: Joi.number().integer().min(1).max(3650).description('a voucher is valid through the end of the Nth Shanghai day after it is issued'),
  active: Joi.boolean().description('off: the rule issues nothing'),
})
  .min(1)
  .required();
export const voucherRuleView = benefitView.keys({
  code: Joi.string(),
  validDays: Joi.number().integer(),
  active: Joi.boolean(),
  updatedAt: Joi.date(),
});
export const voucherRulesResponse = Joi.object({ items: Joi.array().items(voucherRuleView) });
