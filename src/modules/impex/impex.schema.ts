import Joi from 'joi';
import { idParams } from '../../shared/http/schemas';
import { IMPORT_KINDS } from './impex.kinds';
import { IMPORT_STATUSES } from './impex.entity';

export { idParams };

export const uploadQuery = Joi.object<{ kind: (typeof IMPORT_KINDS)[number]; filename: string; sourceSystem: string }>({
  kind: Joi.string().valid(...IMPORT_KINDS).required(),
  filename: Joi.string().min(1).max(255).pattern(/^[^\u0000-\u001f\u007f/\\]+$/, 'file name').required(),
  sourceSystem: Joi.string().min(1).max(32).pattern(/^[A-Za-z0-9_.-]+$/, 'source system id').default('legacy')
    .description('which system the file comes from; its ids are unique within it (a second import of the same ids changes nothing)'),
});

/** Field key → 0-based column index. */
const mapping = Joi.object().pattern(Joi.string().max(32), Joi.number().integer().min(0).max(1000));

export const startBody = Joi.object<{ mapping?: Record<string, number> }>({ mapping: mapping.description('field key → 0-based column; default: the last mapping (first: guessed from the headers)') }).required();

const problem = Joi.object({ line: Joi.number().integer(), column: Joi.string().allow(null), reason: Joi.string() });
const counts = Joi.object({ created: Joi.number().integer(), matched: Joi.number().integer(), unchanged: Joi.number().integer(), failed: Joi.number().integer() });

export const jobResponse = Joi.object({
  id: Joi.string(),
  kind: Joi.string().valid(...IMPORT_KINDS),
  sourceSystem: Joi.string(),
  filename: Joi.string(),
  format: Joi.string().valid('xlsx', 'csv'),
  status: Joi.string().valid(...IMPORT_STATUSES),
  headers: Joi.array().items(Joi.string().allow('')),
  mapping,
  fields: Joi.array().items(Joi.object({ key: Joi.string(), label: Joi.string(), required: Joi.boolean() })),
  rowsTotal: Joi.number().integer().allow(null),
  rowsDone: Joi.number().integer(),
  counts: counts.allow(null),
  problems: Joi.array().items(problem).description('at most 5000 listed; problemCount counts all'),
  problemCount: Joi.number().integer(),
  createdAt: Joi.date(),
  finishedAt: Joi.date().allow(null),
});
