import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Per-installation secrets of a development checkout, kept in a folder outside git (`.local/`,
 * git-ignored): the folder is 0700 and each file 0600, so only the developer's own user reads them.
 */
export function readLocalJson<T>(dir: string, name: string): T | null {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) return null;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

export function writeLocalJson(dir: string, name: string, value: unknown): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, name);
  // Written to a new file and renamed, so a reader never sees half a file, with 0600 from the start.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
  fs.chmodSync(file, 0o600);
  return file;
}

export interface LocalKeys {
  DATA_KEYS: string;
  BLIND_INDEX_KEY: string;
}

/**
 * The development data keys of this installation: generated once (random, never well known) into
 * `<dir>/dev-keys.json` and read back on every later start. Losing the file loses the local data.
 */
export function localDevKeys(dir: string): LocalKeys {
  const known = readLocalJson<LocalKeys>(dir, 'dev-keys.json');
  if (known?.DATA_KEYS && known.BLIND_INDEX_KEY) return known;
  const keys: LocalKeys = { DATA_KEYS: `1:${randomBytes(32).toString('base64')}`, BLIND_INDEX_KEY: randomBytes(32).toString('base64') };
  try {
    // Exclusive create: two processes starting together keep the same keys.
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(dir, 'dev-keys.json'), `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    return keys;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readLocalJson<LocalKeys>(dir, 'dev-keys.json')!;
    throw err;
  }
}
