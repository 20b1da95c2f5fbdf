import Joi from 'joi';
import { area, int, setting } from '../setting';

export const http = area('HTTP', {
  bodyLimit: setting('BODY_LIMIT', Joi.string().pattern(/^\d+(b|kb|mb)$/i), {
    default: '100kb', doc: 'Largest JSON body accepted (e.g. 100kb, 1mb); larger bodies get 413 BODY_TOO_LARGE',
  }),
  corsOrigins: setting('CORS_ORIGINS', Joi.string().allow(''), {
    default: '',
    doc: 'Browser origins allowed by CORS, comma separated (the mini-program itself needs none)',
    map: (v) => v.split(',').map((s) => s.trim()).filter(Boolean),
  }),
  trustProxy: setting('TRUST_PROXY', Joi.boolean(), {
    default: false,
    doc: 'Trust X-Forwarded-For from a load balancer in front. Behind a proxy, set it to true: otherwise every\nrequest seems to come from the proxy and the per-IP login limit applies to everyone at once',
  }),
  trustProxyHops: int('TRUST_PROXY_HOPS', {
    min: 1, max: 10, default: 1,
    doc: 'How many proxies in front append to X-Forwarded-For; the client address is taken that many entries\nfrom the right, so a caller cannot choose its own address by sending the header itself',
  }),
});
