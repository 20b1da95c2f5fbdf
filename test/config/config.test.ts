import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

// Development generates its keys into LOCAL_DIR: a folder of this test's own, not the checkout's.
const base = { NODE_ENV: 'development', LOCAL_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'meiyan-config-')) };

describe('configuration', () => {
  it('loads local defaults in development', () => {
    const c = loadConfig(base, { dotenv: false });
    expect(c.port).toBe(3000);
    expect(c.roles).toEqual(['api', 'bot', 'scheduler']);
    expect(c.wechat.standIn).toBe(true);
    expect(c.crypto.dataKeys.get(1)).toHaveLength(32);
  });

  it('puts the WeChat stand-in beside the API port, so two instances on other ports do not collide', () => {
    const a = loadConfig(base, { dotenv: false });
    const b = loadConfig({ ...base, PORT: '3005' }, { dotenv: false });
    expect([a.wechat.standInPort, a.wechat.apiBaseUrl]).toEqual([3901, 'http://127.0.0.1:3901']);
    expect([b.wechat.standInPort, b.wechat.apiBaseUrl]).toEqual([3906, 'http://127.0.0.1:3906']);
    expect(loadConfig({ ...base, PORT: '3005', WECHAT_STANDIN_PORT: '4000' }, { dotenv: false }).wechat.standInPort).toBe(4000);
    expect(loadConfig({ ...base, WECHAT_STANDIN_PORT: '0' }, { dotenv: false }).wechat.standInPort).toBe(0);
  });

  it('names every bad variable at once', () => {
    let err: unknown;
    try {
      loadConfig({ ...base, PORT: 'eighty', DB_POOL_SIZE: '0', ROLES: 'api,web', LOG_LEVEL: 'loud' }, { dotenv: false });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = (err as ConfigError).message;
    for (const name of ['PORT', 'DB_POOL_SIZE', 'ROLES', 'LOG_LEVEL']) expect(text).toContain(name);
  });

  it('has no default secrets in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' }, { dotenv: false })).toThrow(/DATA_KEYS[\s\S]*BLIND_INDEX_KEY|BLIND_INDEX_KEY[\s\S]*DATA_KEYS/);
  });

  it('refuses the published test keys in production', () => {
    const dev = loadConfig({ NODE_ENV: 'test' }, { dotenv: false });
    expect(() =>
      loadConfig({
        NODE_ENV: 'production', WECHAT_APPID: 'wx1', WECHAT_SECRET: 's', DB_USER: 'meiyan', DB_PASSWORD: 'x',
        DATA_KEYS: `1:${dev.crypto.dataKeys.get(1)!.toString('base64')}`, BLIND_INDEX_KEY: dev.crypto.blindIndexKey.toString('base64'),
      }, { dotenv: false }),
    ).toThrow(/published/);
  });

  it('rejects a data key that is not 32 bytes', () => {
    expect(() => loadConfig({ ...base, DATA_KEYS: '1:c2hvcnQ=' }, { dotenv: false })).toThrow(/DATA_KEYS.*32 bytes/);
  });

  it('reads BLIND_INDEX_KEY as one key (version 1) or as versions during a rotation, and names a bad one', () => {
    const k = Buffer.alloc(32, 7).toString('base64');
    const j = Buffer.alloc(32, 9).toString('base64');
    expect([...loadConfig({ ...base, BLIND_INDEX_KEY: k }, { dotenv: false }).crypto.blindIndexKeys.keys()]).toEqual([1]);
    const rotating = loadConfig({ ...base, BLIND_INDEX_KEY: `1:${k},2:${j}` }, { dotenv: false });
    expect([...rotating.crypto.blindIndexKeys.keys()]).toEqual([1, 2]);
    expect(rotating.crypto.blindIndexKey.equals(Buffer.from(j, 'base64'))).toBe(true);
    expect(() => loadConfig({ ...base, BLIND_INDEX_KEY: `1:${k},2:c2hvcnQ=c2hvcnQ=c2hvcnQ=c2hvcnQ=` }, { dotenv: false })).toThrow(/BLIND_INDEX_KEY.*version 2.*32 bytes/);
    expect(() => loadConfig({ ...base, BLIND_INDEX_KEY: `1:${k},1:${j}` }, { dotenv: false })).toThrow(/BLIND_INDEX_KEY.*twice/);
  });

  it('uses the newest key version to encrypt', () => {
    const k = Buffer.alloc(32, 7).toString('base64');
    const c = loadConfig({ ...base, DATA_KEYS: `1:${k},3:${k}` }, { dotenv: false });
    expect(c.crypto.currentKeyVersion).toBe(3);
  });

  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env, { dotenv: false });
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
    return [];
  };

  it('names every broken rule between settings at once, each on its edge', () => {
    const problems = problemsOf({
      ...base, APPOINTMENT_OPEN_FROM: '18:00', APPOINTMENT_OPEN_UNTIL: '18:00', RFM_GIFT_MONTHS: '3', RFM_MONETARY_TIERS_YUAN: '10,10,20,30',
      REFERRAL_TIERS: '1:500', WECOM_CORP_ID: 'ww1', WECOM_AGENT_ID: '1000002',
    });
    expect(problems.sort()).toEqual([
      '"REFERRAL_TIERS" must start with a tier at 0 converted referrals',
      'APPOINTMENT_OPEN_FROM must be before APPOINTMENT_OPEN_UNTIL',
      'RFM_CARE_MONTHS < RFM_GIFT_MONTHS < RFM_CALLBACK_MONTHS must hold',
      'RFM_MONETARY_TIERS_YUAN must be increasing',
      'with WECOM_CORP_ID set, the official WeCom API needs WECOM_AGENT_SECRET, WECOM_CONTACT_SECRET, WECOM_CALLBACK_TOKEN, WECOM_CALLBACK_AES_KEY',
    ]);
    expect(problemsOf({ ...base, APPOINTMENT_OPEN_FROM: '17:59', APPOINTMENT_OPEN_UNTIL: '18:00', RFM_GIFT_MONTHS: '4', RFM_MONETARY_TIERS_YUAN: '10,11,20,30', REFERRAL_TIERS: '0:500' })).toEqual([]);
    expect(problemsOf({ ...base, WECOM_MODE: 'bot', WECOM_CORP_ID: 'ww1' })).toEqual([]);
  });

  it('production names every refusal at once', () => {
    const prod = {
      NODE_ENV: 'production', WECHAT_APPID: 'wx1', WECHAT_SECRET: 's', DB_USER: 'meiyan', DB_PASSWORD: 'x',
      DATA_KEYS: `1:${Buffer.alloc(32, 9).toString('base64')}`, BLIND_INDEX_KEY: Buffer.alloc(32, 8).toString('base64'),
    };
    expect(problemsOf(prod)).toEqual([]);
    const problems = problemsOf({ ...prod, DB_USER: 'root', DEMO_SEED: 'true', WECHAT_API_BASE: 'http://api.weixin.qq.com', WECOM_STANDIN: 'true' });
    for (const name of ['DB_USER', 'DEMO_SEED', 'WECHAT_API_BASE', 'WECOM_STANDIN']) expect(problems.join('\n')).toContain(name);
    expect(problems).toHaveLength(4);
  });

  it('needs a puppet token for the real WeCom puppet', () => {
    expect(() => loadConfig({ ...base, BOT_PUPPET: 'service' }, { dotenv: false })).toThrow(/WECHATY_PUPPET_SERVICE_TOKEN/);
  });
});
