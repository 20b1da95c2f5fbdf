import type { ApiRouter } from '../../shared/http/route';
import { actorFromContext } from '../audit';
import type { NotesService } from './notes.service';
import { addNoteBody, idParams, listNotesQuery, noteView, notesResponse } from './notes.schema';

const STAFF = ['staff: clients'];

/** HTTP ↔ NotesService. */
export function registerNoteRoutes(api: ApiRouter, notes: NotesService): void {
  api
    .add(
      {
        method: 'get', path: '/api/staff/clients/:id/notes', summary: 'Staff notes and contact log on a client, newest first (audited)', tags: STAFF, auth: 'staff',
        params: idParams, query: listNotesQuery, response: notesResponse, errors: ['NOT_FOUND'],
      },
      ({ ctx, params, query }) => notes.list(actorFromContext(ctx), params.id, query),
    )
    .add(
      {
        method: 'post', path: '/api/staff/clients/:id/notes', summary: 'Add a note or a contact record (call, visit, chat) to a client (encrypted, audited)', tags: STAFF, auth: 'staff',
        params: idParams, body: addNoteBody, status: 201, response: noteView, errors: ['NOT_FOUND', 'VALIDATION_FAILED'],
      },
      ({ ctx, params, body }) => notes.add(actorFromContext(ctx), params.id, body),
    );
}
