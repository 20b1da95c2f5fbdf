import Joi from 'joi';
import { area, int, oneOf, setting } from '../setting';

// The stand-in's credentials and `official` are derived in index.ts (they depend on NODE_ENV).
export const wecom = area('WeCom official API (self-built app + customer contact)', {
  mode: oneOf('WECOM_MODE', ['official', 'bot', 'both'], {
    default: 'both', doc: 'Which WeCom channels run: official (WeCom\'s own API only), bot (the Wechaty bot only), both',
  }),
  corpId: setting('WECOM_CORP_ID', Joi.string().pattern(/^[A-Za-z0-9_-]*$/).allow(''), {
    default: '',
    doc: 'The corp id 企业ID (work.weixin.qq.com admin → 我的企业). Empty outside production: the local\nWeCom stand-in plays the corp (and sends its callbacks to this process).',
  }),
  agentId: setting('WECOM_AGENT_ID', Joi.string().pattern(/^\d*$/).allow(''), {
    default: '', doc: 'The hospital\'s self-built app 自建应用: its AgentId (应用管理 → the app; staff notices, JS-SDK agent config)',
  }),
  agentSecret: setting('WECOM_AGENT_SECRET', Joi.string().allow(''), { default: '', doc: 'The self-built app\'s Secret' }),
  contactSecret: setting('WECOM_CONTACT_SECRET', Joi.string().allow(''), {
    default: '', doc: 'The customer-contact secret 客户联系 Secret (客户与上下游 → 客户联系 → API; contact-me codes, external contacts, tags, send tasks)',
  }),
  apiBaseUrl: setting('WECOM_API_BASE', Joi.string().uri({ scheme: ['http', 'https'] }), {
    example: 'https://qyapi.weixin.qq.com', doc: 'Base URL of the WeCom API; default https://qyapi.weixin.qq.com, or the stand-in when it runs',
  }),
  standIn: setting('WECOM_STANDIN', Joi.boolean(), {
    example: 'true', doc: 'Run the local WeCom stand-in in this process (default: on when WECOM_CORP_ID is empty; never in production)',
  }),
  standInPort: setting('WECOM_STANDIN_PORT', Joi.number().port(), { default: 3902, doc: 'Port of the local WeCom stand-in' }),
  timeoutMs: int('WECOM_TIMEOUT_MS', { min: 100, default: 5000, doc: 'Timeout of one WeCom API call (ms)' }),
  maxRetries: int('WECOM_MAX_RETRIES', {
    min: 0, max: 10, default: 3, doc: 'Retries when WeCom answers its rate limit (45009/45033) or busy (-1), WECOM_BACKOFF_BASE_MS × 2^n ms apart',
  }),
  backoffBaseMs: int('WECOM_BACKOFF_BASE_MS', { min: 1, max: 60000, default: 500, doc: 'Base of the retry backoff (ms)' }),
  callbackToken: setting('WECOM_CALLBACK_TOKEN', Joi.string().pattern(/^[A-Za-z0-9]{0,32}$/).allow(''), {
    default: '', doc: 'The callback URL\'s Token, as set in the app\'s 接收消息 → API接收',
  }),
  callbackAesKey: setting('WECOM_CALLBACK_AES_KEY', Joi.string().pattern(/^([A-Za-z0-9]{43})?$/, '43 letters and digits').allow(''), {
    default: '', doc: 'The callback URL\'s EncodingAESKey (43 characters), as set in the app\'s 接收消息 → API接收',
  }),
  callbackMaxAgeSeconds: int('WECOM_CALLBACK_MAX_AGE_SECONDS', {
    min: 10, max: 86400, default: 300, doc: 'A callback whose timestamp is further than this from now is a replay and is refused (seconds)',
  }),
  welcomeText: setting('WECOM_WELCOME_TEXT', Joi.string().max(1000), {
    default: '您好，我是您的专属顾问。点开下面的小程序填写意向问卷，方便为您推荐合适的方案。',
    doc: 'The welcome message sent when a client adds a consultant (within WeCom\'s 20-second window)',
  }),
  welcomeCardTitle: setting('WECOM_WELCOME_CARD_TITLE', Joi.string().max(64), {
    default: '填写意向问卷', doc: 'Title of the welcome\'s mini-program card, which opens the intent questionnaire',
  }),
  welcomeCardPage: setting('WECOM_WELCOME_CARD_PAGE', Joi.string().pattern(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*(\.html)?(\?[A-Za-z0-9_=&%.-]*)?$/, 'mini-program page path'), {
    default: 'packageSurvey/questionnaire/index.html?code=intent', doc: 'Mini-program page the welcome\'s card opens',
  }),
  welcomePicMediaId: setting('WECOM_WELCOME_PIC_MEDIA_ID', Joi.string().max(256).allow(''), {
    default: '', doc: 'The card\'s cover: a media id from WeCom\'s media/upload (empty: the welcome goes out as text only)',
  }),
  noticeCallsPerMinute: int('WECOM_NOTICE_CALLS_PER_MINUTE', {
    min: 1, max: 10000, default: 60,
    doc: 'Staff notices through the app (text cards into the console): message/send calls per minute,\nacross processes; notices with the same card share one call, the rest wait for the next minute',
  }),
  sendTaskHours: int('WECOM_SEND_TASK_HOURS', {
    min: 1, max: 72, default: 24,
    doc: 'Send tasks 群发任务 (client messages through the official API, confirmed by the consultant):\nhours to confirm before unsent messages take the next channel',
  }),
  sendTaskCheckMinutes: int('WECOM_SEND_TASK_CHECK_MINUTES', { min: 1, max: 1440, default: 10, doc: 'Minutes between readings of an open send task\'s results' }),
}, {
  check: (w) => {
    if (w.mode === 'bot' || !w.corpId) return [];
    const missing = Object.entries({
      WECOM_AGENT_ID: w.agentId, WECOM_AGENT_SECRET: w.agentSecret, WECOM_CONTACT_SECRET: w.contactSecret,
      WECOM_CALLBACK_TOKEN: w.callbackToken, WECOM_CALLBACK_AES_KEY: w.callbackAesKey,
    }).filter(([, v]) => !v).map(([k]) => k);
    return missing.length ? [`with WECOM_CORP_ID set, the official WeCom API needs ${missing.join(', ')}`] : [];
  },
});
