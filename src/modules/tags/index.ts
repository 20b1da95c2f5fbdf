export { TagsService } from './tags.service';
export type { TagSet, TagChange, TagRow, LockedTags } from './tags.service';
export * from './tags.entity';
