import Joi from 'joi';

export const reportQuery = Joi.object({
  from: Joi.date().iso().required(),
  to: Joi.date().iso().greater(Joi.ref('from')).required(),
});

export const dormantReportResponse = Joi.object({
  from: Joi.string(),
  to: Joi.string(),
  tiers: Joi.array().items(Joi.object({ tier: Joi.string(), contacted: Joi.number(), cameBack: Joi.number(), rate: Joi.number() })),
});

export const segmentsResponse = Joi.object({ items: Joi.array().items(Joi.object({ segment: Joi.string(), clients: Joi.number() })) });
