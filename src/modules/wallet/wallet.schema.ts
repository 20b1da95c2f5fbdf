import Joi from 'joi';
import { idParams, pageQuery } from '../../shared/http/schemas';
import { WALLET_REASONS } from './wallet.entity';
export { idParams, pageQuery };

/** A client-generated UUID that makes a retried write harmless. */
const requestId = Joi.string().guid({ version: ['uuidv4', 'uuidv7'] }).required();
// Up to ¥1,000,000 in fen: far above any order, far below int overflow.
const amountFen = Joi.number().integer().min(1).max(100_000_000).required();

export const payBody = Joi.object<{ amountFen: number; requestId: string }>({ amountFen, requestId }).required();
export const convertBody = Joi.object<{ amountFen: number; requestId: string }>({ amountFen, requestId }).required();

const entryView = Joi.object({
  deltaFen: Joi.number().integer(),
  reason: Joi.string().valid(...WALLET_REASONS),
  reference: Joi.string().allow(null),
  balanceAfterFen: Joi.number().integer(),
  createdAt: Joi.date(),
});
export const payResponse = Joi.object({ entry: entryView, balanceFen: Joi.number().integer(), replayed: Joi.boolean(), orderPaidFen: Joi.number().integer() });
export const staffWalletResponse = Joi.object({ balanceFen: Joi.number().integer(), items: Joi.array().items(entryView), page: Joi.number().integer(), hasMore: Joi.boolean() });

const clientLine = Joi.object({
  kind: Joi.string().valid(...WALLET_REASONS, 'referral_month'),
  deltaFen: Joi.number().integer(),
  month: Joi.string().allow(null).description('Referral cashback lines: the Shanghai month (YYYY-MM) they total'),
  createdAt: Joi.date().allow(null),
});
export const clientWalletResponse = Joi.object({ balanceFen: Joi.number().integer(), items: Joi.array().items(clientLine), page: Joi.number().integer(), hasMore: Joi.boolean() });
export const convertResponse = Joi.object({
  balanceFen: Joi.number().integer(),
  replayed: Joi.boolean(),
  voucher: Joi.object({ publicId: Joi.string(), code: Joi.string(), valueFen: Joi.number().integer(), expiresAt: Joi.date().allow(null) }),
});
export const consistencyResponse = Joi.object({
  accounts: Joi.number().integer(),
  drift: Joi.array().items(Joi.object({ clientId: Joi.number().integer(), balanceFen: Joi.number().integer(), sumFen: Joi.number().integer() })),
  orders: Joi.array().items(Joi.object({ orderId: Joi.number().integer(), paidFen: Joi.number().integer(), restoredFen: Joi.number().integer() })),
});
