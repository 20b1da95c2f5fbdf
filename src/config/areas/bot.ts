import Joi from 'joi';
import { area, int, oneOf, setting } from '../setting';

export const bot = area('WeCom bot (Wechaty)', {
  puppet: oneOf('BOT_PUPPET', ['mock', 'service'], {
    default: 'mock', doc: 'mock: a simulated WeCom (local runs, tests); service: a real account through wechaty-puppet-service',
  }),
  puppetToken: setting('WECHATY_PUPPET_SERVICE_TOKEN', Joi.string().allow('').when('BOT_PUPPET', { is: 'service', then: Joi.required().invalid('') }), {
    example: '',
    doc: 'Token of the puppet service for the real WeCom account (required when BOT_PUPPET=service)',
    map: (v) => v ?? '',
  }),
  name: setting('BOT_NAME', Joi.string(), { default: 'meiyan-bot', doc: 'Name of the Wechaty instance (one per WeCom account)' }),
  serviceEndpoint: setting('WECHATY_PUPPET_SERVICE_ENDPOINT', Joi.string().pattern(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'host:port'), {
    example: '127.0.0.1:8788',
    doc: 'puppet-service: connect straight to a gateway at host:port instead of resolving the token (optional)',
    map: (v) => v ?? null,
  }),
  serviceNoTls: setting('WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT', Joi.boolean(), {
    default: false, doc: 'puppet-service: talk to that gateway without TLS (only for a gateway on a trusted local network)',
  }),
  staleMessageSeconds: int('BOT_STALE_MESSAGE_SECONDS', {
    min: 10, max: 86_400, default: 120, doc: 'Chat messages older than this (seconds) when they reach the bot, e.g. replayed after a reconnect, are ignored',
  }),
  staffRoomTopic: setting('BOT_STAFF_ROOM_TOPIC', Joi.string().min(1).max(64), {
    default: '美颜医院·员工通知群', doc: 'Topic of the WeCom group staff alerts are posted to (the bot account must be a member)',
  }),
  bindingCodeTtlHours: int('WECOM_BINDING_CODE_TTL_HOURS', {
    min: 1, max: 720, default: 24, doc: 'Hours a WeCom binding code (shown in the mini-program, sent in the chat to link the contact) stays valid',
  }),
  bindingMaxFailures: int('WECOM_BINDING_MAX_FAILURES', {
    min: 1, max: 100, default: 5, doc: 'Wrong binding codes one contact may send per hour; further codes from it are ignored until the hour passes',
  }),
});
