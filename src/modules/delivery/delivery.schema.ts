import Joi from 'joi';
import { SUBSCRIBE_RESULTS } from './delivery.types';
import type { SubscribeResult } from './delivery.types';

// WeChat template ids are base64url-like strings (43 characters today).
const templateId = Joi.string().pattern(/^[A-Za-z0-9_-]{1,64}$/, 'template id');

export const subscriptionBody = Joi.object<{ templateId: string; result: SubscribeResult }>({
  templateId: templateId.required(),
  /** What wx.requestSubscribeMessage answered for this template. */
  result: Joi.string().valid(...SUBSCRIBE_RESULTS).required(),
}).required();

export const subscriptionView = Joi.object({ templateId: Joi.string(), credits: Joi.number().integer(), updatedAt: Joi.date() });
export const subscriptionsResponse = Joi.object({ items: Joi.array().items(subscriptionView) });
