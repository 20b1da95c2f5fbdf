/**
 * The policy texts this build shows, with their versions. They must match the API's
 * PRIVACY_POLICY_VERSION / HEALTH_CONSENT_VERSION / GUARDIAN_CONSENT_VERSION; when the API has a
 * newer one it answers POLICY_VERSION_OUTDATED and the client is asked to update the app.
 */
export const POLICY = {
  privacy: { version: '2026-01', title: '隐私政策' },
  health: { version: '2026-01', title: '健康信息授权' },
  guardian: { version: '2026-01', title: '监护人同意书' },
  /** Under this age a guardian consents first (the API's GUARDIAN_AGE_UNDER). */
  guardianAgeUnder: 14,
};

export const PRIVACY_POINTS: { title: string; text: string }[] = [
  { title: '我们收集什么', text: '微信身份标识、您主动填写的资料（姓名、生日、手机号、地址）、问卷回答与预约记录。' },
  { title: '为什么收集', text: '为您提供面诊方案、预约、术后回访和积分服务；不会用于与服务无关的用途。' },
  { title: '如何保护', text: '敏感信息加密保存，仅为您服务的医生和顾问在必要时查看，每次查看都有记录。' },
  { title: '您的权利', text: '您可以随时在「我的」中查看、导出、更正您的数据，撤回授权或注销账号。' },
];

export const HEALTH_POINTS: { title: string; text: string }[] = [
  { title: '健康信息包括', text: '过敏史、用药、既往项目与身体状况，以及问卷中与健康相关的回答。' },
  { title: '仅用于', text: '医生评估您的情况、制定安全的方案；不会用于营销。' },
  { title: '谁能看到', text: '仅您的主诊医生可见，已加密保存。' },
  { title: '随时撤回', text: '撤回后我们将删除您的健康信息，之后需要重新授权才能填写。' },
];
