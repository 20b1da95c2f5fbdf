import type { ApiRouter } from '../../shared/http/route';
import { actorFromContext } from '../audit';
import type { ImpexService } from './impex.service';
import { idParams, jobResponse, startBody, uploadQuery } from './impex.schema';

const TAGS = ['staff: imports'];
const DIRECTOR = ['director'] as const;
export const UPLOAD_TYPES = ['application/octet-stream', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'text/csv'] as const;

/** HTTP ↔ ImpexService. The upload is the raw file as the body (not multipart), its name in the query. */
export function registerImpexRoutes(api: ApiRouter, impex: ImpexService): void {
  api
    .add(
      {
        method: 'post', path: '/api/staff/imports', summary: 'Upload an xlsx or CSV (UTF-8) file to import: answers its headers and a guessed column mapping', tags: TAGS, auth: 'staff',
        roles: DIRECTOR, query: uploadQuery, upload: UPLOAD_TYPES, status: 201, response: jobResponse,
        errors: ['IMPORT_FILE_UNREADABLE', 'IMPORT_FILE_EMPTY', 'IMPORT_FILE_TOO_LARGE'],
      },
      ({ ctx, query }) => {
        const declared = ctx.request.length;
        return impex.upload(actorFromContext(ctx), query, ctx.req, Number.isFinite(declared) ? declared : undefined);
      },
    )
    .add(
      { method: 'get', path: '/api/staff/imports/:id', summary: 'An import: status, progress (rows done of total), counts and every row problem', tags: TAGS, auth: 'staff', roles: DIRECTOR, params: idParams, response: jobResponse, errors: ['NOT_FOUND'] },
      ({ ctx, params }) => impex.get(actorFromContext(ctx), params.id),
    )
    .add(
      {
        method: 'post', path: '/api/staff/imports/:id/check', summary: 'Start a dry run with this mapping: nothing is written; poll the import for its report', tags: TAGS, auth: 'staff',
        roles: DIRECTOR, params: idParams, body: startBody, status: 202, response: jobResponse, errors: ['NOT_FOUND', 'IMPORT_MAPPING_INVALID', 'IMPORT_ALREADY_RUN', 'IMPORT_FILE_EXPIRED'],
      },
      ({ ctx, params, body }) => impex.startCheck(actorFromContext(ctx), params.id, body.mapping),
    )
    .add(
      {
        method: 'post', path: '/api/staff/imports/:id/run', summary: 'Start the real run in batches (a batch with a bad row writes nothing); poll the import for progress', tags: TAGS, auth: 'staff',
        roles: DIRECTOR, params: idParams, body: startBody, status: 202, response: jobResponse, errors: ['NOT_FOUND', 'IMPORT_MAPPING_INVALID', 'IMPORT_ALREADY_RUN', 'IMPORT_FILE_EXPIRED'],
      },
      ({ ctx, params, body }) => impex.startRun(actorFromContext(ctx), params.id, body.mapping),
    );
}
