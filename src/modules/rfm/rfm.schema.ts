import Joi from 'joi';

export const reportQuery = Joi.object({
  from: Joi.date().iso().required(),
  to: Joi.date().iso().greater(Joi.ref('from')).required(),
});

const tiers = Joi.array().items(Joi.object({ tier: Joi.string(), contacted: Joi.number(), cameBack: Joi.number(), rate: Joi.number(), revenueFen: Joi.number().integer().description('what those who came back spent since the step, net of refunds (fen)') }));
export const dormantReportResponse = Joi.object({
  from: Joi.string(),
  to: Joi.string(),
  tiers,
  previous: Joi.object({ from: Joi.string(), to: Joi.string(), tiers }).description('the period just before, for comparison: whole Shanghai months (midnight of a 1st to midnight of a 1st) as many months before, any other span the equal span before'),
});

export const segmentsResponse = Joi.object({ items: Joi.array().items(Joi.object({ segment: Joi.string(), clients: Joi.number() })) });
