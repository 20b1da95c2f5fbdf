import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestContext, TestContext } from './context';
import { startWeComStandIn, WeComStandInHandle } from '../../src/integrations/wecom/standin';
import type { Clock } from '../../src/shared/clock';

export interface WeComTestContext extends TestContext {
  wecom: WeComStandInHandle;
  /** The app listening on a real port, so the stand-in can post callbacks to it. */
  appUrl: string;
  /** This context's WeCom userids: unique per test file, since the staff ↔ userid map lives in the shared database. */
  users: { zhangsan: string; lisi: string; wangwu: string; newcomer: string };
}

/** Callback credentials of these tests (not WeCom's published example, which has its own test). */
export const TEST_CALLBACK = { token: 'testToken42', aesKey: 'dGVzdC1vbmx5LXdlY29tLWNhbGxiYWNrLWtleS0zMmI' };

/**
 * A test context whose WeCom client talks to a WeCom stand-in over HTTP; the app listens on a free
 * port and the stand-in sends its callbacks there. Both share the test's manual clock.
 */
export async function createWeComTestContext(opts: { env?: Record<string, string>; now?: string; isolatedDatabase?: boolean } = {}): Promise<WeComTestContext> {
  let ctx: TestContext | null = null;
  const clock: Clock = { now: () => (ctx ? ctx.clock.now() : new Date()) };
  const corpId = `wwtest${Math.random().toString(36).slice(2, 12)}`;
  const secrets = { agentSecret: `agent-${corpId}`, contactSecret: `contact-${corpId}` };
  const suffix = corpId.slice(-8);
  const users = { zhangsan: `zhangsan_${suffix}`, lisi: `lisi_${suffix}`, wangwu: `wangwu_${suffix}`, newcomer: `newcomer_${suffix}` };
  const wecom = await startWeComStandIn({
    port: 0, clock, corpId, agentId: '1000002', ...secrets,
    callback: TEST_CALLBACK, users: [users.zhangsan, users.lisi, users.wangwu],
  });
  ctx = await createTestContext({
    now: opts.now,
    isolatedDatabase: opts.isolatedDatabase,
    env: {
      WECOM_STANDIN: 'false', WECOM_API_BASE: wecom.url, WECOM_CORP_ID: corpId, WECOM_AGENT_ID: '1000002',
      WECOM_AGENT_SECRET: secrets.agentSecret, WECOM_CONTACT_SECRET: secrets.contactSecret,
      WECOM_CALLBACK_TOKEN: TEST_CALLBACK.token, WECOM_CALLBACK_AES_KEY: TEST_CALLBACK.aesKey,
      WECOM_BACKOFF_BASE_MS: '5', WECOM_TIMEOUT_MS: '1000', WECOM_WELCOME_PIC_MEDIA_ID: 'test-cover-media',
      ...opts.env,
    },
  });
  const server = http.createServer(ctx.handle.app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  wecom.setCallbackUrl(`${appUrl}/api/wecom/callback`);
  const base = ctx;
  return {
    ...base,
    wecom,
    appUrl,
    users,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await wecom.close();
      await base.close();
    },
  };
}
