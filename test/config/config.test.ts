import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../../src/config';

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

  it('uses the newest key version to encrypt', () => {
    const k = Buffer.alloc(32, 7).toString('base64');
    const c = loadConfig({ ...base, DATA_KEYS: `1:${k},3:${k}` }, { dotenv: false });
    expect(c.crypto.currentKeyVersion).toBe(3);
  });

  it('needs a puppet token for the real WeCom puppet', () => {
    expect(() => loadConfig({ ...base, BOT_PUPPET: 'service' }, { dotenv: false })).toThrow(/WECHATY_PUPPET_SERVICE_TOKEN/);
  });

  it('.env.example documents every variable', () => {
    const example = fs.readFileSync(path.resolve(__dirname, '../../.env.example'), 'utf8');
    const missing = CONFIG_VARIABLES.filter((name) => !new RegExp(`^#? ?${name}=`, 'm').test(example));
    expect(missing).toEqual([]);
  });
});
