import type { Clock } from '../../shared/clock';
// STUB: replaced by the WeChat stand-in work.
export interface StandInHandle {
  url: string;
  close(): Promise<void>;
}
export async function startWeChatStandIn(_opts: { port?: number; host?: string; clock?: Clock; appId: string; appSecret: string }): Promise<StandInHandle> {
  return { url: 'http://127.0.0.1:1', close: async () => undefined };
}
