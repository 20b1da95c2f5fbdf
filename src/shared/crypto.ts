import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual, scrypt as scryptCb, createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { AppError, defineErrors } from './errors';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;

export const CryptoErrors = defineErrors({ DECRYPT_FAILED: 500 });

/**
 * Field encryption for personal and health data (DESIGN.md, cross-cutting decisions).
 * Layout of a ciphertext: [version:1][iv:12][tag:16][ciphertext]. The associated data binds it
 * to its row and column, so a value copied onto another row fails to decrypt.
 */
export class FieldCipher {
  private readonly blindKeys: Map<number, Buffer>;
  private readonly blindVersion: number;

  /** `blindKeys`: the blind-index keys by version (the highest indexes), or one key (version 1). */
  constructor(
    private readonly keys: Map<number, Buffer>,
    private readonly currentVersion: number,
    blindKeys: Buffer | Map<number, Buffer>,
  ) {
    if (!keys.has(currentVersion)) throw new Error(`no data key for version ${currentVersion}`);
    this.blindKeys = Buffer.isBuffer(blindKeys) ? new Map([[1, blindKeys]]) : blindKeys;
    if (!this.blindKeys.size) throw new Error('no blind-index key');
    this.blindVersion = Math.max(...this.blindKeys.keys());
  }

  encrypt(plain: string, aad: string): Buffer {
    return this.encryptBytes(Buffer.from(plain, 'utf8'), aad);
  }

  decrypt(blob: Buffer, aad: string): string {
    return this.decryptBytes(blob, aad).toString('utf8');
  }

  /** As encrypt, for binary content (photos); the same layout. */
  encryptBytes(plain: Buffer, aad: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentVersion)!, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.from([this.currentVersion]), iv, cipher.getAuthTag(), body]);
  }

  decryptBytes(blob: Buffer, aad: string): Buffer {
    const key = this.keys.get(blob[0]);
    if (!key || blob.length < 29) throw new AppError(CryptoErrors.DECRYPT_FAILED, 'Stored value cannot be decrypted');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(1, 13));
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(blob.subarray(13, 29));
      return Buffer.concat([decipher.update(blob.subarray(29)), decipher.final()]);
    } catch {
      throw new AppError(CryptoErrors.DECRYPT_FAILED, 'Stored value cannot be decrypted');
    }
  }

  encryptJson(value: unknown, aad: string): Buffer {
    return this.encrypt(JSON.stringify(value), aad);
  }

  keyVersionOf(blob: Buffer): number {
    return blob[0];
  }

  get currentKeyVersion(): number {
    return this.currentVersion;
  }

  /** Deterministic keyed hash for equality lookups on encrypted columns, under the newest blind-index key. */
  blindIndex(kind: string, normalized: string): string {
    return this.blindIndexUnder(this.blindVersion, kind, normalized);
  }

  /**
   * The value under every configured blind-index key, newest first: a lookup matches rows indexed
   * before a rotation as well as after (until the re-index reaches them).
   */
  blindIndexes(kind: string, normalized: string): string[] {
    return [...this.blindKeys.keys()].sort((a, b) => b - a).map((v) => this.blindIndexUnder(v, kind, normalized));
  }

  get currentBlindIndexVersion(): number {
    return this.blindVersion;
  }

  /**
   * Version 1 is the bare hex HMAC-SHA-256 (64 characters, as indexes were before versions);
   * later versions carry theirs: `<version>:` and the first 240 bits in hex, so every stored
   * index says which key made it and still fits its CHAR(64) column.
   */
  private blindIndexUnder(version: number, kind: string, normalized: string): string {
    const key = this.blindKeys.get(version);
    if (!key) throw new Error(`no blind-index key for version ${version}`);
    const mac = createHmac('sha256', key).update(`${kind}\u0000${normalized}`).digest('hex');
    return version === 1 ? mac : `${version}:${mac.slice(0, 60)}`;
  }
}

/** The key version a stored blind index was made under (see FieldCipher.blindIndex). */
export function blindIndexVersionOf(index: string): number {
  const sep = index.indexOf(':');
  return sep === -1 ? 1 : Number(index.slice(0, sep));
}

export function normalizePhone(phone: string): string {
  const digits = phone.replace(/[^\d+]/g, '');
  return digits.startsWith('+86') ? digits.slice(3) : digits.replace(/^0086/, '');
}

export function normalizeName(name: string): string {
  return name.normalize('NFKC').replace(/\s+/g, '').toLowerCase();
}

/** Opaque random tokens; only their SHA-256 is stored server side. */
export function newToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

// Unambiguous alphabet (no 0/O, 1/I/L): codes clients read aloud or type (referral, binding, vouchers).
const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export function randomCode(length: number, alphabet = CODE_ALPHABET): string {
  const out: string[] = [];
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      // Rejection sampling keeps every character equally likely.
      if (b < Math.floor(256 / alphabet.length) * alphabet.length) out.push(alphabet[b % alphabet.length]);
      if (out.length === length) break;
    }
  }
  return out.join('');
}

/** Public identifiers: 128 random bits, base64url (22 chars); never a sequence. */
export function publicId(): string {
  return randomBytes(16).toString('base64url');
}

// Password hashing: scrypt (memory-hard, in Node's crypto) with a per-password salt. The cost is
// stored with each hash, so hashes of an older cost still verify and are replaced at the next login.
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}
/** OWASP Password Storage Cheat Sheet: scrypt with N = 2^17, r = 8, p = 1 (128 MiB per hash). */
export const SCRYPT_OWASP: ScryptCost = { N: 2 ** 17, r: 8, p: 1 };
// scrypt needs 128·N·r bytes (plus 128·r·p); Node refuses above maxmem, so it is sized per cost.
const maxmemFor = (c: ScryptCost) => 128 * c.N * c.r + 128 * c.r * c.p + 16 * 1024 * 1024;

export async function hashPassword(password: string, cost: ScryptCost = SCRYPT_OWASP): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password.normalize('NFKC'), salt, 32, { ...cost, maxmem: maxmemFor(cost) });
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** True when a stored hash was made at another cost than `cost` (rehash it once the password is known). */
export function passwordNeedsRehash(stored: string, cost: ScryptCost = SCRYPT_OWASP): boolean {
  const [alg, n, r, p] = stored.split('$');
  return alg !== 'scrypt' || Number(n) !== cost.N || Number(r) !== cost.r || Number(p) !== cost.p;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, saltB64, hashB64] = stored.split('$');
  if (alg !== 'scrypt') return false;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  const expected = Buffer.from(hashB64, 'base64');
  const actual = await scrypt(password.normalize('NFKC'), Buffer.from(saltB64, 'base64'), expected.length, { ...cost, maxmem: maxmemFor(cost) });
  return timingSafeEqual(actual, expected);
}
