import Joi from 'joi';

export const reportQuery = Joi.object({
  from: Joi.date().iso().required(),
  to: Joi.date().iso().greater(Joi.ref('from')).required(),
});

const tiers = Joi.array().items(Joi.object({ tier: Joi.string(), contacted: Joi.number(), cameBack: Joi.number(), rate: Joi.number() }));
export const dormantReportResponse = Joi.object({
  from: Joi.string(),
  to: Joi.string(),
  tiers,
  previous: Joi.object({ from: Joi.string(), to: Joi.string(), tiers }).description('the period of the same length just before, for comparison'),
});

export const segmentsResponse = Joi.object({ items: Joi.array().items(Joi.object({ segment: Joi.string(), clients: Joi.number() })) });
