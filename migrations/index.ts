import { InitialSchema1795365676285 } from './1795365676285-InitialSchema';
import { PointsAndRewards1795366173271 } from './1795366173271-PointsAndRewards';
import { OutboxTagsStages1795390000000 } from './1795390000000-OutboxTagsStages';

/** Every migration, oldest first. A committed migration is never edited; add new ones at the end. */
export const migrations: Function[] = [InitialSchema1795365676285, PointsAndRewards1795366173271, OutboxTagsStages1795390000000];
