import { randomBytes } from 'node:crypto';
import type autocannon from 'autocannon';
import { loadConfig } from '../../src/config';
import { createDataSource } from '../../src/datasource';
import { WeComCrypto } from '../../src/integrations/wecom/crypto';
import { flatXml } from '../../src/integrations/wecom/xml';
import { CONNECTIONS, DURATION, dropDatabase, freePort, load, progress, report, startProcess, stopProcess } from './harness';

const DB_NAME = 'meiyan_bench_wecom';
const CORP_ID = 'wwbench0000000001';
const TOKEN = 'benchToken';
const AES_KEY = randomBytes(32).toString('base64').replace(/=+$/, '').replace(/[+/]/g, 'A');
// Events sealed ahead of the run (each distinct, so every one is recorded, none is a redelivery).
const EVENTS = Number(process.env.BENCH_WECOM_EVENTS ?? 60_000);

/**
 * WeCom callbacks one API process takes per second: each POST verified (SHA-1 signature),
 * decrypted (AES-256-CBC), parsed and recorded (one INSERT on its natural key), while the same
 * process works through the recorded events in the background, as it does in production.
 */
export async function wecomCallbacksBench(benchEnv: Record<string, string>): Promise<void> {
  const port = await freePort();
  const env = {
    ...benchEnv, DB_NAME, PORT: String(port), HOST: '127.0.0.1',
    WECOM_STANDIN: 'false', WECOM_CORP_ID: CORP_ID, WECOM_AGENT_ID: '1000002', WECOM_AGENT_SECRET: 'bench', WECOM_CONTACT_SECRET: 'bench',
    WECOM_API_BASE: 'http://127.0.0.1:9', WECOM_CALLBACK_TOKEN: TOKEN, WECOM_CALLBACK_AES_KEY: AES_KEY,
  };
  const config = loadConfig({ ...process.env, ...env }, { dotenv: false });
  await dropDatabase(config.db, DB_NAME);
  const crypto = new WeComCrypto(TOKEN, AES_KEY, CORP_ID);
  progress(`sealing ${EVENTS} callback events`);
  const ts = Math.floor(Date.now() / 1000);
  const sealed = Array.from({ length: EVENTS }, (_, i) => {
    const encrypt = crypto.encrypt(flatXml({
      ToUserName: CORP_ID, FromUserName: 'sys', CreateTime: ts, MsgType: 'event', Event: 'change_external_contact',
      ChangeType: 'edit_external_contact', UserID: `user${i % 50}`, ExternalUserID: `wmBench${i}`,
    }));
    const nonce = String(1e9 + i);
    return {
      path: `/api/wecom/callback?msg_signature=${crypto.signature(String(ts), nonce, encrypt)}&timestamp=${ts}&nonce=${nonce}`,
      body: flatXml({ ToUserName: CORP_ID, Encrypt: encrypt, AgentID: '1000002' }),
    };
  });
  let next = 0;
  const requests: autocannon.Request[] = [{
    method: 'POST',
    headers: { 'content-type': 'text/xml' },
    setupRequest: (req) => {
      const e = sealed[next++ % sealed.length];
      return { ...req, path: e.path, body: e.body };
    },
  }];
  const app = await startProcess('dist/src/main.js', { ...env, ROLES: 'api' }, `http://127.0.0.1:${port}/readyz`);
  try {
    progress('POST /api/wecom/callback');
    const r = await load({ url: `http://127.0.0.1:${port}`, requests, pid: app.pid, warmup: 1 });
    if (r.non2xx) throw new Error(`wecom callbacks bench saw ${r.non2xx} non-2xx answers`);
    if (next > sealed.length) progress(`note: ${next - sealed.length} requests were redeliveries (raise BENCH_WECOM_EVENTS)`);
    const db = createDataSource(config.db);
    await db.initialize();
    const [{ n }] = await db.query('SELECT COUNT(*) AS n FROM wecom_callback_events');
    await db.destroy();
    report('wecom_callbacks', { per_s: r.rps, goal_per_s: 500, p99_ms: r.p99, cpu_us: r.cpuUs!, recorded: Number(n), errors: r.errors, connections: CONNECTIONS, duration_s: DURATION });
  } finally {
    await stopProcess(app);
    await dropDatabase(config.db, DB_NAME);
  }
}
