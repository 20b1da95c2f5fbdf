import Joi from 'joi';
import { buildOpenApi } from '../../src/shared/http/openapi';
import type { RouteSpec } from '../../src/shared/http/route';

type Schema = { type?: string; required?: string[]; properties?: Record<string, Schema>; items?: Schema; additionalProperties?: unknown };
type Operation = { requestBody?: { content: Record<string, { schema: Schema }> }; responses: Record<string, { content?: Record<string, { schema: Schema }> }> };

const item = Joi.object({ id: Joi.string(), note: Joi.string().allow(null), extra: Joi.string().optional() });
const spec: RouteSpec = {
  method: 'post', path: '/typed', summary: 'typed', tags: ['t'], auth: 'none',
  body: Joi.object({ name: Joi.string().required(), nickname: Joi.string(), nested: Joi.object({ a: Joi.string() }) }),
  response: Joi.object({
    id: Joi.string(),
    items: Joi.array().items(item),
    role: Joi.string().valid('a', 'b').optional(),
    rest: Joi.object().unknown(true),
    gone: Joi.forbidden(),
  }),
};
const op = () => (buildOpenApi([spec], { title: 't', version: '1', serverUrl: 'http://localhost' }).paths['/typed'] as Record<string, Operation>).post;
const response = () => op().responses['200'].content!['application/json'].schema;

// The document's answers say what the API always sends: generated clients get required keys.
describe('the OpenAPI document', () => {
  it('requires every key of an answer unless its joi schema says .optional(), nested objects and array items too', () => {
    const r = response();
    expect(r.required).toEqual(['id', 'items', 'rest']);
    expect(r.properties!.items.items!.required).toEqual(['id', 'note']);
    expect(r.properties!.gone).toBeUndefined();
  });

  it('keeps joi\'s own rule for request bodies: a key is required only when it says .required()', () => {
    const body = op().requestBody!.content['application/json'].schema;
    expect(body.required).toEqual(['name']);
    expect(body.properties!.nested.required).toBeUndefined();
  });

  it('says that an object with .unknown(true) takes other keys, and a plain object does not', () => {
    expect(response().properties!.rest.additionalProperties).toBe(true);
    expect(response().additionalProperties).toBe(false);
  });
});
