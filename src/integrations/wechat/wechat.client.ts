import type { Config } from '../../config';
import type { Redis } from '../../shared/redis';
import type { Logger } from '../../shared/logger';
import type { WeChatApi, WeChatPhone, WeChatSession } from './types';
// STUB: replaced by the WeChat client work.
export class WeChatClient implements WeChatApi {
  constructor(readonly cfg: Config['wechat'], readonly redis: Redis, readonly log: Logger) {}
  code2Session(): Promise<WeChatSession> { throw new Error('not yet'); }
  getPhoneNumber(): Promise<WeChatPhone> { throw new Error('not yet'); }
  getAccessToken(): Promise<string> { throw new Error('not yet'); }
}
