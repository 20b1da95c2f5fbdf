import { TAG_GROUPS, tagGroupOf } from '../shared/tag-groups';

export { TAG_GROUPS, tagGroupOf };

/**
 * The bot's side of the tag sync: Wechaty 1.x knows flat tag ids only, so a tag's id carries its
 * group: `<group>/<value>` (the groups: shared/tag-groups.ts, the same as the official API's).
 */
const SEPARATOR = '/';

export function tagIdOf(dimension: string, value: string): string {
  return `${tagGroupOf(dimension)}${SEPARATOR}${value}`;
}

/**
 * What to add and remove so the contact carries exactly `wanted` in every group this product
 * manages (every known dimension, and any other dimension named in `wanted`): a group missing
 * from `wanted` is emptied. Tags outside those groups (set by staff by hand) are left alone.
 */
export function tagDiff(current: string[], wanted: Record<string, string[]>): { add: string[]; remove: string[] } {
  const groups = new Set([...Object.keys(TAG_GROUPS), ...Object.keys(wanted)].map(tagGroupOf));
  const want = new Set(Object.entries(wanted).flatMap(([dimension, values]) => values.map((v) => tagIdOf(dimension, v))));
  const have = new Set(current);
  const managed = current.filter((id) => {
    const cut = id.indexOf(SEPARATOR);
    return cut > 0 && groups.has(id.slice(0, cut));
  });
  return {
    add: [...want].filter((id) => !have.has(id)).sort(),
    remove: managed.filter((id) => !want.has(id)).sort(),
  };
}
