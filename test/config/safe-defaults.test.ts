import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { createTestContext, TestContext } from '../helpers/context';
import { seedDemo } from '../../src/modules/demo';

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'meiyan-local-'));
const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe('development is safe by default (NODE_ENV unset)', () => {
  it('generates data keys once per installation into LOCAL_DIR (0700 folder, 0600 file), never the published ones', () => {
    const dir = path.join(tmpDir(), '.local');
    const first = loadConfig({ LOCAL_DIR: dir }, { dotenv: false });
    expect(first.env).toBe('development');
    const file = path.join(dir, 'dev-keys.json');
    expect(mode(dir)).toBe(0o700);
    expect(mode(file)).toBe(0o600);
    const again = loadConfig({ LOCAL_DIR: dir }, { dotenv: false });
    expect(again.crypto.dataKeys.get(1)).toEqual(first.crypto.dataKeys.get(1));
    expect(again.crypto.blindIndexKey).toEqual(first.crypto.blindIndexKey);

    const other = loadConfig({ LOCAL_DIR: path.join(tmpDir(), '.local') }, { dotenv: false });
    expect(other.crypto.dataKeys.get(1)).not.toEqual(first.crypto.dataKeys.get(1));
    const published = loadConfig({ NODE_ENV: 'test' }, { dotenv: false });
    expect(first.crypto.dataKeys.get(1)).not.toEqual(published.crypto.dataKeys.get(1));
    expect(first.crypto.blindIndexKey).not.toEqual(published.crypto.blindIndexKey);
  });

  it('listens on 127.0.0.1 unless HOST says otherwise; production listens on every interface', () => {
    const dir = tmpDir();
    expect(loadConfig({ LOCAL_DIR: dir }, { dotenv: false }).host).toBe('127.0.0.1');
    expect(loadConfig({ LOCAL_DIR: dir, HOST: '0.0.0.0' }, { dotenv: false }).host).toBe('0.0.0.0');
    expect(loadConfig({ ...production() }, { dotenv: false }).host).toBe('0.0.0.0');
  });

  it('the test environment keeps its fixed keys and writes nothing', () => {
    const dir = path.join(tmpDir(), 'none');
    const a = loadConfig({ NODE_ENV: 'test', LOCAL_DIR: dir }, { dotenv: false });
    expect(a.crypto.dataKeys.get(1)).toHaveLength(32);
    expect(fs.existsSync(dir)).toBe(false);
  });
});

function production(extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'production', WECHAT_APPID: 'wx1', WECHAT_SECRET: 's', DB_USER: 'meiyan', DB_PASSWORD: 'db-secret',
    DATA_KEYS: `1:${Buffer.alloc(32, 9).toString('base64')}`, BLIND_INDEX_KEY: Buffer.alloc(32, 8).toString('base64'), ...extra,
  };
}

describe('production refuses to start with demo-grade settings', () => {
  it('starts with its own settings', () => {
    expect(loadConfig(production(), { dotenv: false }).demoSeed).toBe(false);
  });

  it.each([
    [{ DEMO_SEED: 'true' }, /DEMO_SEED/],
    [{ DB_USER: 'root' }, /DB_USER cannot be root/],
    [{ DB_PASSWORD: '' }, /DB_PASSWORD cannot be empty/],
    [{ WECHAT_API_BASE: 'http://api.weixin.qq.com' }, /WECHAT_API_BASE must be https/],
    [{ DATA_KEYS: '1:ZGV2LW9ubHktZGF0YS1rZXktbm90LWZvci1wcm9kISE=' }, /published/],
  ])('%p → refused', (extra, message) => {
    expect(() => loadConfig(production(extra), { dotenv: false })).toThrow(message);
  });
});

describe('demo staff passwords are this installation\'s own', () => {
  let t: TestContext;
  let dir: string;
  beforeAll(async () => {
    dir = path.join(tmpDir(), '.local');
    t = await createTestContext({ isolatedDatabase: true, env: { LOCAL_DIR: dir, STAFF_LOGIN_RATE_LIMIT_PER_IP: '1000' } });
  });
  afterAll(async () => { await t.close(); });

  const login = (username: string, password: string) => t.http.post('/api/staff/auth/login').send({ username, password });

  it('random at the first seed (an account with the once well-known password gets a new one), kept in a 0600 file, the same on the next start', async () => {
    await t.services.staff.ensureStaff({ role: 'director', username: 'director', displayName: '张院长', password: 'Demo-Director-2026' });
    const first = await seedDemo(t.deps, t.services);
    const director = first.staff.find((s) => s.username === 'director')!;
    expect(director.password).not.toBe('Demo-Director-2026');
    expect(director.password.length).toBeGreaterThanOrEqual(16);
    expect(new Set(first.staff.map((s) => s.password)).size).toBe(first.staff.length);
    expect(first.passwordsFile).toBe(path.join(dir, 'demo-staff.json'));
    expect(mode(first.passwordsFile)).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(first.passwordsFile, 'utf8'))).toMatchObject({ director: director.password });
    expect((await login('director', 'Demo-Director-2026')).status).toBe(401);
    expect((await login('director', director.password)).status).toBe(200);
    const [row] = await t.deps.db.query("SELECT password_hash AS h FROM staff WHERE username = 'director'");
    expect(String(row.h)).not.toContain(director.password);

    const second = await seedDemo(t.deps, t.services);
    expect(second.staff).toEqual(first.staff);
    expect((await login('doctor', second.staff.find((s) => s.username === 'doctor')!.password)).status).toBe(200);
  });

  it('DEMO_STAFF_PASSWORD sets one known password for scripted runs', async () => {
    const deps = { ...t.deps, config: { ...t.deps.config, demoStaffPassword: 'Scripted-Run-Pw-1' } };
    const summary = await seedDemo(deps, t.services);
    expect(summary.staff.every((s) => s.password === 'Scripted-Run-Pw-1')).toBe(true);
    expect((await login('consultant', 'Scripted-Run-Pw-1')).status).toBe(200);
  });
});
