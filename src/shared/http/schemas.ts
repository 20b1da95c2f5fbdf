import Joi from 'joi';

/** A public id (22 url-safe characters, shared/crypto publicId()); never a sequential id (STYLE.md). */
export const publicIdSchema = Joi.string().pattern(/^[A-Za-z0-9_-]{22}$/).messages({ 'string.pattern.base': '{{#label}} is not a valid id' });

/** A required public id, for path parameters. */
export const publicIdParam = publicIdSchema.required();

/** `/:id` by public id. */
export const idParams = Joi.object<{ id: string }>({ id: publicIdParam });

/** A page of a list, as a validated query holds it (the defaults filled in). */
export interface Paging {
  page: number;
  pageSize: number;
}

/** The keys of paging, for a list query with filters of its own: `Joi.object<Paging & Filters>({ ...pageKeys, … })`. */
export const pageKeys = {
  page: Joi.number().integer().min(1).max(10000).default(1),
  pageSize: Joi.number().integer().min(1).max(100).default(20),
};

/** Paging of a list: page from 1, up to 100 a page. */
export const pageQuery = Joi.object<Paging>(pageKeys);
