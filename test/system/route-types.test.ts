import Joi from 'joi';
import { ApiRouter } from '../../src/shared/http/route';
import { statusOf } from '../../src/shared/errors';

// Compile-time checks of the route wrapper's types: `npm run lint` (tsc) fails when a line marked
// below as an expected error compiles, i.e. when the types stop catching the mistake.
describe('route types', () => {
  const api = new ApiRouter({ authenticate: async () => { throw new Error('not used'); }, onRoleDenied: async () => undefined });

  it('types a handler\'s input from its joi schemas, and a route declares only known error codes', () => {
    const body = Joi.object<{ note: string; count?: number }>({ note: Joi.string().required(), count: Joi.number().integer() });
    api.add(
      { method: 'post', path: '/typed/:id', summary: 'typed', tags: ['t'], auth: 'none', body, params: Joi.object<{ id: string }>({ id: Joi.string() }), errors: ['NOT_FOUND', 'TASK_NOT_OPEN'] },
      ({ body: b, params, query }) => {
        const note: string = b.note;
        const id: string = params.id;
        // @ts-expect-error the body's note is a string
        const wrong: number = b.note;
        // @ts-expect-error no query schema: no query values
        const q: string = query.anything;
        return { note, id, wrong, q };
      },
    );
    api.add({ method: 'get', path: '/typed-nobody', summary: 'no body', tags: ['t'], auth: 'none' }, ({ body: b }) => {
      // @ts-expect-error a route without a body schema gets no body
      return b.note;
    });
    // @ts-expect-error an error code nobody declared
    api.add({ method: 'get', path: '/typed-err', summary: 'bad code', tags: ['t'], auth: 'none', errors: ['NO_SUCH_CODE'] }, () => null);

    expect(api.specs.map((s) => s.path)).toEqual(['/typed/:id', '/typed-nobody', '/typed-err']);
    // A declared code has its status (the registry and the runtime table agree).
    expect(statusOf('NOT_FOUND')).toBe(404);
  });
});
