import Joi from 'joi';
import { area, int, setting } from '../setting';

// The stand-in and the URLs it implies are derived in index.ts (they depend on PORT and NODE_ENV).
export const wechat = area('WeChat mini-program server API', {
  appId: setting('WECHAT_APPID', Joi.string().allow(''), {
    default: '',
    doc: 'The mini-program\'s AppID (mp.weixin.qq.com → 开发管理 → 开发设置).\nEmpty outside production: the local WeChat stand-in is used instead.',
  }),
  appSecret: setting('WECHAT_SECRET', Joi.string().allow(''), { default: '', doc: 'The mini-program\'s AppSecret (required in production)' }),
  apiBaseUrl: setting('WECHAT_API_BASE', Joi.string().uri({ scheme: ['http', 'https'] }), {
    example: 'https://api.weixin.qq.com',
    doc: 'Base URL of the WeChat API; default https://api.weixin.qq.com, or the stand-in when it runs.\nProduction refuses one that is not https (the AppSecret and access tokens travel on it)',
  }),
  standIn: setting('WECHAT_STANDIN', Joi.boolean(), {
    example: 'true', doc: 'Run the local WeChat stand-in in this process (default: on when WECHAT_APPID is empty; never in production)',
  }),
  // Unset: PORT + 901 (3901 beside 3000), so instances on other API ports do not collide; 0: any free port.
  standInPort: setting('WECHAT_STANDIN_PORT', Joi.number().port(), {
    example: '3901',
    doc: 'Port of the local stand-in: unset = PORT + 901 (3901 beside the default 3000), so a second instance on\nanother PORT gets its own; 0 = any free port (printed at start)',
  }),
  timeoutMs: int('WECHAT_TIMEOUT_MS', { min: 100, default: 5000, doc: 'Timeout of one WeChat API call (ms)' }),
});
