import Joi from 'joi';

// WeChat template ids are base64url-like strings (43 characters today).
const templateId = Joi.string().pattern(/^[A-Za-z0-9_-]{1,64}$/, 'template id');

export const subscriptionBody = Joi.object({
  templateId: templateId.required(),
  /** What wx.requestSubscribeMessage answered for this template. */
  result: Joi.string().valid('accept', 'acceptWithAudio', 'acceptWithAlert', 'reject', 'ban', 'filter').required(),
}).required();

export const subscriptionView = Joi.object({ templateId: Joi.string(), credits: Joi.number().integer(), updatedAt: Joi.date() });
export const subscriptionsResponse = Joi.object({ items: Joi.array().items(subscriptionView) });
