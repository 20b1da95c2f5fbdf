import { randomBytes } from 'node:crypto';
import type { TestContext } from './context';

let seq = 0;

/** A unique fake openid, shaped like WeChat's (28 chars, starting with "o"). */
export function fakeOpenid(): string {
  return `o${randomBytes(20).toString('base64url').slice(0, 23)}${(seq++ % 10000).toString().padStart(4, '0')}`;
}

/**
 * Logs a client in through the real route, as the mini-program would: mints a wx.login code on
 * the stand-in and posts it to /api/mp/auth/login. Returns the session token and the client's
 * public id (and the openid used, for assertions on the database row).
 *
 * Every supertest request comes from 127.0.0.1, so unless the context trusts the proxy (then a
 * per-call X-Forwarded-For is sent), the address's login counter is cleared after each call so
 * test files don't throttle one another.
 */
export async function loginClient(
  t: TestContext,
  opts: { openid?: string; unionid?: string; launch?: object; ip?: string } = {},
): Promise<{ token: string; publicId: string; openid: string }> {
  const openid = opts.openid ?? fakeOpenid();
  const code = t.standIn.issueLoginCode({ openid, unionid: opts.unionid });
  const req = t.http.post('/api/mp/auth/login');
  if (t.config.http.trustProxy) req.set('X-Forwarded-For', opts.ip ?? randomIp());
  const res = await req.send({ code, ...(opts.launch ? { launch: opts.launch } : {}) });
  if (!t.config.http.trustProxy) {
    await Promise.all(['127.0.0.1', '::ffff:127.0.0.1', '::1'].map((ip) => t.services.mpAuth.resetLoginLimits(ip)));
  }
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  const body = res.body as { token: string; client: { id: string } };
  return { token: body.token, publicId: body.client.id, openid };
}

/** A random private address, for per-IP limits in tests that trust the proxy. */
export function randomIp(): string {
  const b = randomBytes(3);
  return `10.${b[0]}.${b[1]}.${b[2]}`;
}
