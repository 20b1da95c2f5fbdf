/**
 * How the client's tags look on the WeCom contact: one tag group per dimension (DOMAIN.md, WeCom
 * tags). Wechaty 1.x knows flat tag ids only, so a tag's id carries its group: `<group>/<value>`.
 */
export const TAG_GROUPS: Record<string, string> = {
  project: '意向项目',
  stage: '客户阶段',
  value_tier: '价值分层',
  lead_grade: '线索等级',
  rfm: 'RFM分层',
};

const SEPARATOR = '/';

export function tagGroupOf(dimension: string): string {
  return TAG_GROUPS[dimension] ?? dimension;
}

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
