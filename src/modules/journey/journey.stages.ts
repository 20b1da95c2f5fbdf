/** Client stages (DOMAIN.md, dynamic tags and the intent pipeline). */
export const CLIENT_STAGES = ['lead', 'surveyed', 'consulting', 'plan_proposed', 'plan_accepted', 'booked', 'post_op', 'dormant', 'lost'] as const;
export type ClientStage = (typeof CLIENT_STAGES)[number];

/** The pipeline's order; dormant and lost sit outside it. */
export const PIPELINE_ORDER: readonly ClientStage[] = ['lead', 'surveyed', 'consulting', 'plan_proposed', 'plan_accepted', 'booked', 'post_op'];

/** The WeCom `stage` tag for each stage (意向 / 咨询期 / 已预约 / 术后恢复期 / 沉睡 / 流失). */
export const STAGE_TAGS: Record<ClientStage, string> = {
  lead: '意向客户',
  surveyed: '意向客户',
  consulting: '咨询期',
  plan_proposed: '咨询期',
  plan_accepted: '咨询期',
  booked: '已预约',
  post_op: '术后恢复期',
  dormant: '沉睡客户',
  lost: '流失客户',
};
