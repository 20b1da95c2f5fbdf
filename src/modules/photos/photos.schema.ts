import Joi from 'joi';
import { idParams, publicIdParam } from '../../shared/http/schemas';
export { idParams };

export const uploadQuery = Joi.object<{ treatment: string; step: string }>({
  treatment: publicIdParam,
  step: Joi.string().pattern(/^[a-z0-9_]{1,32}$/).required(),
});

export const photoView = Joi.object({
  id: Joi.string(),
  treatment: Joi.string(),
  step: Joi.string(),
  contentType: Joi.string().valid('image/jpeg', 'image/png', 'image/webp'),
  sizeBytes: Joi.number().integer(),
  createdAt: Joi.date(),
});
export const stepsResponse = Joi.object({
  maxBytes: Joi.number().integer(),
  items: Joi.array().items(Joi.object({
    treatment: Joi.string(),
    project: Joi.string(),
    step: Joi.string(),
    dueAt: Joi.date(),
    open: Joi.boolean(),
    photos: Joi.array().items(photoView),
  })),
});
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
