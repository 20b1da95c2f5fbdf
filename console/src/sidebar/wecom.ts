import { api, unwrap } from '@/api/client';

/** Inside the WeCom client (desktop or phone): its user agent names wxwork. */
export function insideWeCom(ua = globalThis.navigator?.userAgent ?? ''): boolean {
  return /wxwork/i.test(ua);
}

interface JsSdkConfig {
  corpId: string;
  agentId: string | number;
  config: { timestamp: number | string; nonceStr: string; signature: string };
  agentConfig: { timestamp: number | string; nonceStr: string; signature: string };
}

/**
 * The client of the chat this sidebar is opened beside: the JS-SDK names the external contact
 * (ww.register with the corp and agent signatures, then getCurExternalContact), and the API maps
 * the contact to a client the signed-in staff member may see. Null when any step is unavailable
 * (no signature endpoint yet, not configured, contact not linked): the caller falls back to the URL.
 */
export async function clientFromWeCom(pageUrl: string): Promise<{ clientId: string | null; reason: string }> {
  let cfg: JsSdkConfig;
  try {
    cfg = await unwrap<JsSdkConfig>(api.GET('/api/staff/wecom/jssdk-config' as never, { params: { query: { url: pageUrl.split('#')[0] } } } as never));
  } catch {
    return { clientId: null, reason: 'no_signature' };
  }
  try {
    const ww = await import('@wecom/jssdk');
    ww.register({
      corpId: cfg.corpId,
      agentId: cfg.agentId,
      jsApiList: ['getCurExternalContact'],
      getConfigSignature: () => cfg.config,
      getAgentConfigSignature: () => cfg.agentConfig,
    });
    const { userId } = await ww.getCurExternalContact();
    const res = await unwrap<{ clientId: string }>(api.GET(`/api/staff/wecom/contacts/${encodeURIComponent(userId)}/client` as never, {} as never));
    return { clientId: res.clientId, reason: 'ok' };
  } catch {
    return { clientId: null, reason: 'not_linked' };
  }
}
