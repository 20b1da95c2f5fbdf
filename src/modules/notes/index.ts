export { NotesService, noteAad } from './notes.service';
export type { NotesDeps, NoteView } from './notes.service';
export { registerNoteRoutes } from './notes.routes';
export * from './notes.entity';
