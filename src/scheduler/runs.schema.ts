import Joi from 'joi';

export const runsQuery = Joi.object({
  taskId: Joi.string().pattern(/^[a-z0-9-]{1,64}$/),
  limit: Joi.number().integer().min(1).max(500).default(50),
});

const runView = Joi.object({
  taskId: Joi.string(),
  tick: Joi.date(),
  startedAt: Joi.date(),
  finishedAt: Joi.date().allow(null),
  items: Joi.number().integer().allow(null),
  error: Joi.string().allow(null),
  instance: Joi.string(),
});
export const runsResponse = Joi.object({
  tasks: Joi.array().items(Joi.object({ id: Joi.string(), schedule: Joi.string(), description: Joi.string(), lastRun: runView.allow(null) })),
  runs: Joi.array().items(runView),
});
