/**
 * The API's shapes for the mini-program, taken from the generated `api-schema.d.ts` (npm run
 * openapi:dump writes it from the server's route table; CI fails when it is stale), so a service
 * names a route instead of copying its JSON by hand.
 */
import type { paths } from './api-schema';

type Operation<P extends keyof paths, M extends string> = M extends keyof paths[P] ? NonNullable<paths[P][M]> : never;
type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : never;

/** The JSON a route answers on success (200 or 201). */
export type ApiOk<P extends keyof paths, M extends string = 'get'> = Operation<P, M> extends { responses: infer R }
  ? JsonOf<R[200 & keyof R]> | JsonOf<R[201 & keyof R]>
  : never;

/** The JSON body a route takes. */
export type ApiBody<P extends keyof paths, M extends string> = Operation<P, M> extends { requestBody?: infer B } ? JsonOf<NonNullable<B>> : never;

/** The item type of a list answer ({ items: T[] }) or of an array answer. */
export type ItemOf<T> = T extends { items?: (infer I)[] } ? I : T extends (infer I)[] ? I : never;
