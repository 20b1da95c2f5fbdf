export { TagsService } from './tags.service';
export type { TagSet, TagChange } from './tags.service';
export * from './tags.entity';
