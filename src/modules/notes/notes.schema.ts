import Joi from 'joi';
import { idParams } from '../../shared/http/schemas';
import { NOTE_KINDS, type NoteKind } from './notes.entity';

export { idParams };

// Printable text and line breaks; no other control characters.
const TEXT = /^[^\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f]*$/;

export const addNoteBody = Joi.object<{ kind: NoteKind; text: string }>({
  kind: Joi.string().valid(...NOTE_KINDS).default('note'),
  text: Joi.string().min(1).max(2000).pattern(/\S/).pattern(TEXT, 'printable').required(),
}).required();

export const listNotesQuery = Joi.object<{ page: number; pageSize: number }>({
  page: Joi.number().integer().min(1).max(10000).default(1),
  pageSize: Joi.number().integer().min(1).max(100).default(20),
});

export const noteView = Joi.object({
  id: Joi.string(),
  kind: Joi.string().valid(...NOTE_KINDS),
  text: Joi.string().allow(null),
  author: Joi.object({ id: Joi.string(), displayName: Joi.string() }).allow(null),
  createdAt: Joi.date(),
});
export const notesResponse = Joi.object({ items: Joi.array().items(noteView), page: Joi.number().integer(), hasMore: Joi.boolean() });
