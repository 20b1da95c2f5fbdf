import { MigrationInterface, QueryRunner } from 'typeorm';

// The default intent questionnaire 意向问卷 (issue 3, item 2; DOMAIN.md, intent survey steps 2 and 3),
// published as version 1 with fixed public ids so a re-run or a down/up keeps them stable. Kept in
// this file on purpose: a committed migration must not change when application code does.
const TEMPLATE_PUBLIC_ID = 'NLAo85ihEPKcueUaQkhbjA';
const VERSION_PUBLIC_ID = 'hB3niM6JkomjdAkJjIFQFQ';

const PAST = ['non_surgical', 'surgical', 'both'];

export const DEFAULT_INTENT_DEFINITION = {
  title: '变美意向问卷',
  intro: '花 5 分钟告诉我们您的想法，医生和专属顾问会据此为您准备更合适的建议。填写内容随时自动保存，换手机也能接着填。',
  sections: [
    {
      id: 'goals',
      title: '您的变美计划',
      questions: [
        {
          id: 'areas', type: 'body_area', title: '您最想改善哪些部位？', required: true, min: 1, max: 5,
          options: [
            { value: 'nose', label: '鼻部' },
            { value: 'eyes', label: '眼部' },
            { value: 'face', label: '面部（轮廓、填充、抗衰）' },
            { value: 'skin', label: '皮肤（斑点、痘印、松弛、肤色）' },
            { value: 'body', label: '身体（吸脂、塑形）' },
          ],
        },
        { id: 'area_detail', type: 'textarea', title: '具体想改善的地方（选填）', help: '比如：鼻梁偏低、单眼皮、法令纹、下颌线不清晰……', max: 500 },
        {
          id: 'expected_effect', type: 'multiple', title: '您希望达到什么样的效果？', required: true, min: 1, max: 2,
          options: [
            { value: 'natural', label: '自然，别人看不出做过' },
            { value: 'defined', label: '立体精致，变化明显' },
            { value: 'lasting', label: '效果维持得久' },
            { value: 'quick', label: '见效快' },
          ],
        },
        {
          id: 'downtime', type: 'single', title: '您能接受多长的恢复期？', required: true,
          options: [
            { value: 'none', label: '完全不能有，第二天要正常上班、见人' },
            { value: 'week', label: '一周左右' },
            { value: 'month', label: '一个月以内' },
            { value: 'any', label: '只要效果好，恢复期长些也可以' },
          ],
        },
        {
          id: 'timeline', type: 'single', title: '您打算什么时候开始？', required: true,
          options: [
            { value: 'within_1m', label: '一个月内' },
            { value: 'within_3m', label: '一到三个月' },
            { value: 'within_6m', label: '三到六个月' },
            { value: 'undecided', label: '还没想好，先了解一下' },
          ],
        },
      ],
    },
    {
      id: 'budget',
      title: '预算',
      questions: [
        { id: 'budget_max', type: 'number', title: '这次变美，您最多愿意投入多少？', required: true, unit: '元', moneyUnitFen: 100, min: 0, max: 2000000 },
        {
          id: 'budget_min', type: 'number', title: '您觉得比较合适的起步预算是多少？（选填）', help: '和上一题一起，就是您能接受的预算范围',
          unit: '元', moneyUnitFen: 100, min: 0, max: 2000000, notAbove: 'budget_max',
        },
        {
          id: 'budget_flex', type: 'single', title: '如果医生建议的方案超出预算，您会？', required: true,
          options: [
            { value: 'strict', label: '严格控制在预算内' },
            { value: 'some', label: '效果明显更好的话，可以适当增加' },
            { value: 'open', label: '预算不是主要考虑' },
          ],
        },
      ],
    },
    {
      id: 'health',
      title: '健康状况',
      description: '这些信息只用于医生评估安全性，加密保存，仅医生和院长可以查看。填写前需要您同意健康信息授权。',
      sensitive: true,
      questions: [
        {
          id: 'health_general', type: 'single', title: '您目前的身体状况如何？', required: true,
          options: [
            { value: 'good', label: '很好，没有在治疗的疾病' },
            { value: 'minor', label: '有些小问题，不影响日常生活' },
            { value: 'treating', label: '正在治疗某种疾病' },
          ],
        },
        { id: 'treatment_detail', type: 'text', title: '正在治疗什么疾病？', required: true, max: 100, showIf: { q: 'health_general', in: ['treating'] } },
        {
          id: 'chronic', type: 'multiple', title: '您是否有以下情况？', required: true, min: 1,
          options: [
            { value: 'none', label: '以上都没有', none: true },
            { value: 'hypertension', label: '高血压' },
            { value: 'diabetes', label: '糖尿病' },
            { value: 'heart', label: '心脏疾病' },
            { value: 'thyroid', label: '甲状腺疾病' },
            { value: 'autoimmune', label: '自身免疫性疾病（如红斑狼疮）' },
            { value: 'bleeding', label: '凝血功能障碍或容易出血' },
            { value: 'keloid', label: '瘢痕体质（伤口容易长疤痕疙瘩）', archiveAs: '瘢痕体质' },
            { value: 'other', label: '其他', noArchive: true },
          ],
        },
        { id: 'chronic_other', type: 'text', title: '请说明其他情况', required: true, max: 100, showIf: { q: 'chronic', anyOf: ['other'] } },
        {
          id: 'allergies', type: 'multiple', title: '您对以下哪些东西过敏？', required: true, min: 1,
          options: [
            { value: 'none', label: '没有已知过敏', none: true },
            { value: 'local_anesthetic', label: '局部麻醉药（如利多卡因）', archiveAs: '局部麻醉药过敏' },
            { value: 'hyaluronic', label: '玻尿酸类填充剂', archiveAs: '玻尿酸类产品过敏' },
            { value: 'antibiotics', label: '抗生素（如青霉素、头孢）', archiveAs: '抗生素过敏' },
            { value: 'latex', label: '乳胶', archiveAs: '乳胶过敏' },
            { value: 'iodine', label: '碘伏或碘类消毒剂', archiveAs: '碘过敏' },
            { value: 'other', label: '其他', noArchive: true },
          ],
        },
        { id: 'allergy_other', type: 'text', title: '请写下其他过敏物', required: true, max: 100, showIf: { q: 'allergies', anyOf: ['other'] } },
        {
          id: 'medications', type: 'multiple', title: '您目前在用以下哪些药物？', required: true, min: 1,
          options: [
            { value: 'none', label: '都没有', none: true },
            { value: 'anticoagulant', label: '抗凝或抗血小板药（如阿司匹林、华法林、氯吡格雷）', archiveAs: '抗凝/抗血小板药' },
            { value: 'isotretinoin', label: '口服异维A酸（祛痘药）', archiveAs: '口服异维A酸' },
            { value: 'steroids', label: '激素类药物', archiveAs: '激素类药物' },
            { value: 'immunosuppressant', label: '免疫抑制剂' },
            { value: 'other', label: '其他', noArchive: true },
          ],
        },
        { id: 'medication_other', type: 'text', title: '请写下其他药物', required: true, max: 100, showIf: { q: 'medications', anyOf: ['other'] } },
        {
          id: 'pregnancy', type: 'single', title: '您目前是否处于以下状态？', required: true,
          options: [
            { value: 'pregnant', label: '怀孕中', archiveAs: '妊娠期' },
            { value: 'breastfeeding', label: '哺乳期', archiveAs: '哺乳期' },
            { value: 'planning', label: '半年内有备孕计划', archiveAs: '备孕中' },
            { value: 'no', label: '都不是', none: true },
            { value: 'not_applicable', label: '不适用', none: true },
          ],
        },
      ],
    },
    {
      id: 'experience',
      title: '过往经历',
      description: '以前做过的项目属于病史，同样只给医生和院长看。',
      sensitive: true,
      questions: [
        {
          id: 'past_experience', type: 'single', title: '您以前做过医美项目吗？', required: true,
          options: [
            { value: 'never', label: '从没做过' },
            { value: 'non_surgical', label: '做过轻医美（注射、光电等）' },
            { value: 'surgical', label: '做过手术类项目' },
            { value: 'both', label: '两类都做过' },
          ],
        },
        {
          id: 'past_procedures', type: 'multiple', title: '做过哪些项目？', required: true, min: 1, showIf: { q: 'past_experience', in: PAST },
          options: [
            { value: 'double_eyelid', label: '双眼皮' },
            { value: 'rhinoplasty', label: '隆鼻' },
            { value: 'filler', label: '玻尿酸填充' },
            { value: 'botulinum', label: '肉毒素' },
            { value: 'photo', label: '光子嫩肤等光电项目' },
            { value: 'liposuction', label: '吸脂' },
            { value: 'other', label: '其他项目' },
          ],
        },
        {
          id: 'past_satisfaction', type: 'single', title: '对之前的效果满意吗？', required: true, showIf: { q: 'past_experience', in: PAST },
          options: [
            { value: 'very', label: '很满意' },
            { value: 'ok', label: '基本满意' },
            { value: 'not', label: '不太满意' },
            { value: 'repair', label: '需要修复' },
          ],
        },
        { id: 'past_issue', type: 'textarea', title: '遇到了什么问题？（选填）', max: 500, showIf: { q: 'past_satisfaction', in: ['not', 'repair'] } },
      ],
    },
    {
      id: 'understanding',
      title: '对风险与恢复的了解',
      questions: [
        {
          id: 'risk_understanding', type: 'single', title: '关于医美项目的风险，哪种说法最接近您的想法？', required: true,
          options: [
            { value: 'clear', label: '任何项目都有风险，希望医生讲清楚' },
            { value: 'partly', label: '知道有些风险，但了解不多' },
            { value: 'none', label: '现在技术很成熟，应该没什么风险' },
          ],
        },
        {
          id: 'recovery_understanding', type: 'single', title: '关于术后恢复，您的了解是？', required: true,
          options: [
            { value: 'clear', label: '知道需要恢复期，会按医嘱护理和复诊' },
            { value: 'partly', label: '大概知道，具体不清楚' },
            { value: 'none', label: '不太了解' },
          ],
        },
        {
          id: 'maintenance', type: 'single', title: '有些项目需要定期补打或维护，您能接受吗？', required: true,
          options: [
            { value: 'regular', label: '可以，定期维护没问题' },
            { value: 'sometimes', label: '偶尔可以' },
            { value: 'once', label: '希望一次到位，以后不用再做' },
          ],
        },
        {
          id: 'result_expectation', type: 'single', title: '您对效果的期待是？', required: true,
          options: [
            { value: 'varies', label: '理解效果因人而异，希望医生给出合理预期' },
            { value: 'guaranteed', label: '希望医院保证达到我想要的效果' },
            { value: 'permanent', label: '希望效果能永久保持' },
          ],
        },
      ],
    },
    {
      id: 'channel',
      title: '了解渠道',
      questions: [
        {
          id: 'heard_from', type: 'multiple', title: '您是从哪里知道我们的？', required: true, min: 1,
          options: [
            { value: 'xiaohongshu', label: '小红书' },
            { value: 'douyin', label: '抖音' },
            { value: 'friend', label: '朋友介绍' },
            { value: 'search', label: '搜索引擎' },
            { value: 'wechat', label: '微信公众号或视频号' },
            { value: 'offline', label: '线下门店或广告' },
            { value: 'other', label: '其他' },
          ],
        },
        {
          id: 'influences', type: 'multiple', title: '选择医院时，您最看重什么？（最多 3 项）', required: true, min: 1, max: 3,
          options: [
            { value: 'doctor', label: '医生的资历和经验' },
            { value: 'cases', label: '真实案例' },
            { value: 'safety', label: '医院资质与安全' },
            { value: 'price', label: '价格' },
            { value: 'reviews', label: '口碑和评价' },
            { value: 'service', label: '服务与环境' },
            { value: 'advice', label: '亲友的意见' },
          ],
        },
      ],
    },
    {
      id: 'mindset',
      title: '您的想法与偏好',
      questions: [
        {
          id: 'motivation', type: 'multiple', title: '这次想变美的主要原因是？（最多 3 项）', required: true, min: 1, max: 3,
          options: [
            { value: 'confidence', label: '让自己更自信' },
            { value: 'career', label: '工作或面试需要' },
            { value: 'event', label: '婚礼等重要场合' },
            { value: 'relationship', label: '伴侣或家人的建议' },
            { value: 'repair', label: '改善以前不满意的地方' },
            { value: 'trend', label: '身边朋友都在做' },
          ],
        },
        { id: 'target_date', type: 'date', title: '重要场合是哪一天？（选填）', dateRange: 'future', showIf: { q: 'motivation', anyOf: ['event'] } },
        {
          id: 'eagerness', type: 'scale', title: '您现在想做的意愿有多强？', required: true, min: 1, max: 10, minLabel: '只是看看', maxLabel: '非常想做',
        },
        {
          id: 'risk_attitude', type: 'single', title: '面对效果和风险，您更接近哪一种？', required: true,
          options: [
            { value: 'safety_first', label: '安全第一，有风险宁可不做' },
            { value: 'balanced', label: '可以接受常见的小风险' },
            { value: 'effect_first', label: '效果优先，愿意承担一定风险' },
          ],
        },
        {
          id: 'preference', type: 'single', title: '下面几点，您最看重哪一个？', required: true,
          options: [
            { value: 'safety', label: '安全' },
            { value: 'natural', label: '自然' },
            { value: 'recovery', label: '恢复快' },
            { value: 'effect', label: '效果明显' },
          ],
        },
        {
          id: 'decision_style', type: 'single', title: '您一般怎么做决定？', required: true,
          options: [
            { value: 'quick', label: '自己拿主意，想好了就做' },
            { value: 'compare', label: '会多方比较、查很多资料' },
            { value: 'family', label: '需要和家人商量' },
            { value: 'doctor', label: '主要听医生的专业建议' },
          ],
        },
        {
          id: 'visit', type: 'single', title: '您愿意来院面诊吗？', required: true,
          options: [
            { value: 'soon', label: '愿意，希望尽快安排' },
            { value: 'later', label: '愿意，但要过段时间' },
            { value: 'online', label: '先在线上多了解' },
          ],
        },
        { id: 'notes', type: 'textarea', title: '还有什么想告诉我们的吗？（选填）', max: 1000 },
      ],
    },
  ],
  rules: {
    intent: {
      components: [
        {
          id: 'urgency', label: '紧迫度', weight: 40,
          parts: [
            { q: 'timeline', points: { within_1m: 100, within_3m: 75, within_6m: 40, undecided: 10 }, weight: 3 },
            { cases: [{ when: { q: 'eagerness', gte: 8 }, points: 100 }, { when: { q: 'eagerness', gte: 5 }, points: 60 }], else: 20 },
          ],
        },
        {
          id: 'budget_fit', label: '预算匹配', weight: 35,
          parts: [
            {
              cases: [
                { when: { q: 'budget_max', belowPriceOf: 'areas', factor: 0.5 }, points: 10 },
                { when: { q: 'budget_max', belowPriceOf: 'areas', factor: 1 }, points: 50 },
              ],
              else: 100, weight: 3,
            },
            { q: 'budget_flex', points: { strict: 40, some: 80, open: 100 } },
          ],
        },
        {
          id: 'readiness', label: '就诊准备度', weight: 25,
          parts: [
            { q: 'visit', points: { soon: 100, later: 55, online: 25 }, weight: 2 },
            { q: 'decision_style', points: { quick: 100, doctor: 85, compare: 55, family: 45 } },
            { q: 'recovery_understanding', points: { clear: 100, partly: 60, none: 30 } },
          ],
        },
      ],
    },
    grades: [
      { grade: 'A', min: 75, tag: 'A级-高意向' },
      { grade: 'B', min: 55, tag: 'B级-有意向' },
      { grade: 'C', min: 35, tag: 'C级-培育中' },
      { grade: 'D', min: 0, tag: 'D级-待激活' },
    ],
    risk: {
      cases: [
        { when: { q: 'risk_attitude', in: ['safety_first'] }, level: 'low' },
        { when: { q: 'risk_understanding', in: ['none'] }, level: 'low' },
        { when: { all: [{ q: 'risk_attitude', in: ['effect_first'] }, { q: 'risk_understanding', in: ['clear'] }] }, level: 'high' },
      ],
      default: 'medium',
    },
    priceRanges: {
      nose: { minFen: 1500000, maxFen: 6000000 },
      eyes: { minFen: 800000, maxFen: 2500000 },
      face: { minFen: 300000, maxFen: 8000000 },
      skin: { minFen: 100000, maxFen: 1000000 },
      body: { minFen: 1500000, maxFen: 6000000 },
    },
    budgetBands: [
      { band: 'premium', minFen: 5000000, valueTier: '高净值' },
      { band: 'standard', minFen: 1000000, valueTier: '普通' },
      { band: 'entry', minFen: 0, valueTier: '普通' },
    ],
    expectationFlags: [
      { code: 'no_downtime_but_surgery', label: '不接受恢复期，却想做手术类部位', when: { all: [{ q: 'downtime', in: ['none'] }, { q: 'areas', anyOf: ['nose', 'eyes', 'body'] }] } },
      { code: 'expects_guarantee', label: '期待医院保证效果', when: { q: 'result_expectation', in: ['guaranteed'] } },
      {
        code: 'expects_permanent', label: '期待效果永久',
        when: { any: [{ q: 'result_expectation', in: ['permanent'] }, { all: [{ q: 'maintenance', in: ['once'] }, { q: 'areas', anyOf: ['skin', 'face'] }] }] },
      },
      { code: 'budget_far_below', label: '预算远低于项目价格区间', when: { q: 'budget_max', belowPriceOf: 'areas', factor: 0.5 } },
      { code: 'underestimates_risk', label: '认为医美没有风险', when: { q: 'risk_understanding', in: ['none'] } },
      {
        code: 'external_motivation', label: '主要因他人影响而来',
        when: { all: [{ q: 'motivation', anyOf: ['relationship', 'trend'] }, { q: 'motivation', noneOf: ['confidence'] }] },
      },
    ],
    safetyFlags: [
      { code: 'allergy_local_anesthetic', label: '局部麻醉药过敏', severity: 'contraindication', when: { q: 'allergies', anyOf: ['local_anesthetic'] } },
      { code: 'allergy_hyaluronic', label: '玻尿酸类产品过敏', severity: 'contraindication', when: { q: 'allergies', anyOf: ['hyaluronic'] } },
      { code: 'anticoagulant', label: '正在服用抗凝/抗血小板药', severity: 'caution', when: { q: 'medications', anyOf: ['anticoagulant'] } },
      { code: 'isotretinoin', label: '正在口服异维A酸', severity: 'caution', when: { q: 'medications', anyOf: ['isotretinoin'] } },
      { code: 'pregnancy', label: '妊娠期或哺乳期', severity: 'contraindication', when: { q: 'pregnancy', in: ['pregnant', 'breastfeeding'] } },
      { code: 'keloid', label: '瘢痕体质', severity: 'caution', when: { q: 'chronic', anyOf: ['keloid'] } },
      { code: 'bleeding_disorder', label: '凝血功能异常', severity: 'contraindication', when: { q: 'chronic', anyOf: ['bleeding'] } },
      { code: 'under_treatment', label: '正在治疗其他疾病', severity: 'caution', when: { q: 'health_general', in: ['treating'] } },
      { code: 'revision_case', label: '既往项目不满意或需修复', severity: 'caution', when: { q: 'past_satisfaction', in: ['not', 'repair'] } },
    ],
    tags: [
      { dimension: 'project', q: 'areas', map: { nose: ['鼻部'], eyes: ['眼部'], face: ['面部整形'], skin: ['皮肤管理'], body: ['身体塑形'] } },
    ],
    archive: {
      projects: 'areas',
      budgetMax: 'budget_max',
      budgetMin: 'budget_min',
      keyAnswers: [
        'expected_effect', 'downtime', 'timeline', 'budget_flex', 'result_expectation', 'maintenance', 'motivation', 'target_date',
        'eagerness', 'risk_attitude', 'preference', 'decision_style', 'visit', 'heard_from', 'influences',
      ],
      medical: {
        allergies: ['allergies', 'allergy_other'],
        medications: ['medications', 'medication_other'],
        conditions: ['chronic', 'chronic_other', 'treatment_detail', 'pregnancy'],
        pastProcedures: { q: 'past_procedures', satisfaction: { q: 'past_satisfaction', satisfied: ['very', 'ok'] } },
      },
    },
  },
};

/** Questionnaire templates and versions, drafts, responses and the archive's intent part (issue 3). */
export class Questionnaires1795400200000 implements MigrationInterface {
  name = 'Questionnaires1795400200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`questionnaire_templates\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`public_id\` char(22) NOT NULL, \`code\` varchar(32) NOT NULL, \`title\` varchar(100) NOT NULL, \`published_version_id\` int UNSIGNED NULL, \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), \`updated_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), UNIQUE INDEX \`uq_questionnaire_templates_public_id\` (\`public_id\`), UNIQUE INDEX \`uq_questionnaire_templates_code\` (\`code\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`questionnaire_versions\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`public_id\` char(22) NOT NULL, \`template_id\` int UNSIGNED NOT NULL, \`number\` int UNSIGNED NOT NULL, \`status\` enum ('draft', 'published') NOT NULL DEFAULT 'draft', \`definition\` json NOT NULL, \`created_by\` int UNSIGNED NULL, \`published_by\` int UNSIGNED NULL, \`published_at\` datetime(3) NULL, \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), \`updated_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), UNIQUE INDEX \`uq_questionnaire_versions_public_id\` (\`public_id\`), UNIQUE INDEX \`uq_questionnaire_versions_number\` (\`template_id\`, \`number\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`questionnaire_drafts\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`client_id\` int UNSIGNED NOT NULL, \`template_id\` int UNSIGNED NOT NULL, \`version_id\` int UNSIGNED NOT NULL, \`answers_enc\` mediumblob NULL, \`revision\` int UNSIGNED NOT NULL DEFAULT '0', \`started_at\` datetime(3) NOT NULL, \`updated_at\` datetime(3) NOT NULL, \`submitted_response_id\` int UNSIGNED NULL, UNIQUE INDEX \`uq_questionnaire_drafts_client_template\` (\`client_id\`, \`template_id\`), INDEX \`ix_questionnaire_drafts_started\` (\`template_id\`, \`started_at\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`questionnaire_responses\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`public_id\` char(22) NOT NULL, \`client_id\` int UNSIGNED NOT NULL, \`template_id\` int UNSIGNED NOT NULL, \`version_id\` int UNSIGNED NOT NULL, \`submission_id\` char(36) NOT NULL, \`request_hash\` char(64) NOT NULL, \`submitted_at\` datetime(3) NOT NULL, \`intent_score\` tinyint UNSIGNED NOT NULL, \`intent_components\` json NOT NULL, \`lead_grade\` char(1) NOT NULL, \`risk_tolerance\` varchar(16) NOT NULL, \`completeness_pct\` tinyint UNSIGNED NOT NULL, \`expectation_flags\` json NOT NULL, \`answers_enc\` mediumblob NOT NULL, \`health_answers_enc\` mediumblob NULL, \`safety_flags_enc\` blob NULL, \`points_awarded\` int UNSIGNED NOT NULL DEFAULT '0', UNIQUE INDEX \`uq_questionnaire_responses_public_id\` (\`public_id\`), UNIQUE INDEX \`uq_questionnaire_responses_submission\` (\`client_id\`, \`submission_id\`), INDEX \`ix_questionnaire_responses_client\` (\`client_id\`, \`submitted_at\`), INDEX \`ix_questionnaire_responses_template\` (\`template_id\`, \`submitted_at\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`client_intents\` (\`client_id\` int UNSIGNED NOT NULL, \`latest_response_id\` int UNSIGNED NOT NULL, \`template_id\` int UNSIGNED NOT NULL, \`projects\` json NOT NULL, \`budget_max_fen\` int NULL, \`budget_min_fen\` int NULL, \`budget_band\` varchar(16) NULL, \`intent_score\` tinyint UNSIGNED NOT NULL, \`intent_components\` json NOT NULL, \`lead_grade\` char(1) NOT NULL, \`risk_tolerance\` varchar(16) NOT NULL, \`expectation_flags\` json NOT NULL, \`key_answers\` json NOT NULL, \`completeness_pct\` tinyint UNSIGNED NOT NULL, \`submitted_at\` datetime(3) NOT NULL, \`updated_at\` datetime(3) NOT NULL, INDEX \`ix_client_intents_grade\` (\`lead_grade\`, \`intent_score\`), PRIMARY KEY (\`client_id\`)) ENGINE=InnoDB`);
    await queryRunner.query(
      'INSERT INTO `questionnaire_templates` (`public_id`, `code`, `title`) VALUES (?, ?, ?)',
      [TEMPLATE_PUBLIC_ID, 'intent', DEFAULT_INTENT_DEFINITION.title],
    );
    await queryRunner.query(
      `INSERT INTO \`questionnaire_versions\` (\`public_id\`, \`template_id\`, \`number\`, \`status\`, \`definition\`, \`published_at\`)
       SELECT ?, t.id, 1, 'published', ?, CURRENT_TIMESTAMP(3) FROM \`questionnaire_templates\` t WHERE t.public_id = ?`,
      [VERSION_PUBLIC_ID, JSON.stringify(DEFAULT_INTENT_DEFINITION), TEMPLATE_PUBLIC_ID],
    );
    await queryRunner.query(
      'UPDATE `questionnaire_templates` t JOIN `questionnaire_versions` v ON v.public_id = ? SET t.published_version_id = v.id WHERE t.public_id = ?',
      [VERSION_PUBLIC_ID, TEMPLATE_PUBLIC_ID],
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `client_intents`');
    await queryRunner.query('DROP TABLE `questionnaire_responses`');
    await queryRunner.query('DROP TABLE `questionnaire_drafts`');
    await queryRunner.query('DROP TABLE `questionnaire_versions`');
    await queryRunner.query('DROP TABLE `questionnaire_templates`');
  }
}
