/**
 * How the client's tags look in WeCom, whichever channel sets them (the bot's contact tags or the
 * official API's corporate tags): one tag group per dimension (DOMAIN.md, WeCom tags).
 */
export const TAG_GROUPS: Record<string, string> = {
  project: '意向项目',
  stage: '客户阶段',
  value_tier: '价值分层',
  lead_grade: '线索等级',
  rfm: 'RFM分层',
};

export function tagGroupOf(dimension: string): string {
  return TAG_GROUPS[dimension] ?? dimension;
}
