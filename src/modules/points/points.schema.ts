import Joi from 'joi';
import { idParams, pageQuery } from '../../shared/http/schemas';
export { idParams, pageQuery };

/** A client-generated UUID that makes a retried write harmless. */
export const requestId = Joi.string().guid({ version: ['uuidv4', 'uuidv7'] }).required();


export const adjustBody = Joi.object<{ delta: number; reason: string; requestId: string }>({
  delta: Joi.number().integer().min(-1_000_000).max(1_000_000).invalid(0).required(),
  reason: Joi.string().min(2).max(128).pattern(/\S/).pattern(/^[^\u0000-\u001f\u007f]*$/, 'printable').required(),
  requestId,
}).required();

const reasons = ['questionnaire', 'spend', 'review_shared', 'referral', 'manual_adjust', 'redeem', 'redeem_cancel', 'expire'];
export const entryView = Joi.object({
  delta: Joi.number().integer(),
  reason: Joi.string().valid(...reasons),
  reference: Joi.string().allow(null),
  balanceAfter: Joi.number().integer(),
  expiresAt: Joi.date().allow(null),
  remaining: Joi.number().integer().allow(null),
  createdAt: Joi.date(),
});
export const expiringSoonView = Joi.object({
  points: Joi.number().integer(),
  withinDays: Joi.number().integer(),
  lots: Joi.array().items(Joi.object({ points: Joi.number().integer(), expiresAt: Joi.date() })),
});
export const summaryResponse = Joi.object({ balance: Joi.number().integer(), expiringSoon: expiringSoonView });
// The client's ledger carries no `reference`: it can hold internal sequential ids (STYLE.md).
export const clientEntryView = entryView.keys({ reference: Joi.forbidden() });
export const entriesResponse = Joi.object({ items: Joi.array().items(clientEntryView), page: Joi.number().integer(), hasMore: Joi.boolean() });
export const ledgerResultResponse = Joi.object({ entry: entryView, balance: Joi.number().integer(), replayed: Joi.boolean() });
export const consistencyResponse = Joi.object({
  accounts: Joi.number().integer(),
  drift: Joi.array().items(Joi.object({ clientId: Joi.number().integer(), balance: Joi.number().integer(), sum: Joi.number().integer(), lots: Joi.number().integer() })),
});
