import { InitialSchema1795365676285 } from './1795365676285-InitialSchema';

/** Every migration, oldest first. A committed migration is never edited; add new ones at the end. */
export const migrations: Function[] = [InitialSchema1795365676285];
