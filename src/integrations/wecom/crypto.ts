import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * WeCom's callback encryption (企业微信 "加解密方案说明"): AES-256-CBC with the key
 * base64(EncodingAESKey + "="), IV = the key's first 16 bytes, PKCS#7 padding to 32 bytes; the
 * plaintext is 16 random bytes, the message length (4 bytes, network order), the message and the
 * receiver id (the corp id). The signature is SHA-1 of token, timestamp, nonce and the ciphertext,
 * sorted and joined.
 */
export class WeComCrypto {
  private readonly key: Buffer;
  private readonly iv: Buffer;

  constructor(private readonly token: string, encodingAesKey: string, private readonly receiveId: string) {
    if (!/^[A-Za-z0-9]{43}$/.test(encodingAesKey)) throw new Error('EncodingAESKey must be 43 letters and digits');
    this.key = Buffer.from(`${encodingAesKey}=`, 'base64');
    if (this.key.length !== 32) throw new Error('EncodingAESKey must decode to 32 bytes');
    this.iv = this.key.subarray(0, 16);
  }

  signature(timestamp: string, nonce: string, encrypted: string): string {
    return createHash('sha1').update([this.token, timestamp, nonce, encrypted].sort().join('')).digest('hex');
  }

  /** Whether `msgSignature` signs this ciphertext (constant-time comparison). */
  verify(msgSignature: string, timestamp: string, nonce: string, encrypted: string): boolean {
    const expected = Buffer.from(this.signature(timestamp, nonce, encrypted), 'utf8');
    const given = Buffer.from(msgSignature, 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** The message inside a ciphertext; throws WeComCryptoError when it is not one of ours. */
  decrypt(encrypted: string): string {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encrypted)) throw new WeComCryptoError('ciphertext is not base64');
    const data = Buffer.from(encrypted, 'base64');
    if (data.length === 0 || data.length % 16 !== 0) throw new WeComCryptoError('ciphertext length is not a multiple of the block');
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-cbc', this.key, this.iv);
      decipher.setAutoPadding(false);
      plain = Buffer.concat([decipher.update(data), decipher.final()]);
    } catch {
      throw new WeComCryptoError('ciphertext does not decrypt');
    }
    const pad = plain[plain.length - 1];
    if (pad < 1 || pad > 32 || pad > plain.length) throw new WeComCryptoError('bad padding');
    const content = plain.subarray(0, plain.length - pad);
    if (content.length < 20) throw new WeComCryptoError('message too short');
    const len = content.readUInt32BE(16);
    if (20 + len > content.length) throw new WeComCryptoError('bad message length');
    const message = content.subarray(20, 20 + len).toString('utf8');
    const receiver = content.subarray(20 + len).toString('utf8');
    if (receiver !== this.receiveId) throw new WeComCryptoError('message is for another receiver');
    return message;
  }

  encrypt(message: string, random: Buffer = randomBytes(16)): string {
    const msg = Buffer.from(message, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(msg.length);
    const body = Buffer.concat([random, len, msg, Buffer.from(this.receiveId, 'utf8')]);
    const pad = 32 - (body.length % 32);
    const cipher = createCipheriv('aes-256-cbc', this.key, this.iv);
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(Buffer.concat([body, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
  }
}

export class WeComCryptoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WeComCryptoError';
  }
}

/**
 * The JS-SDK signature (ww.config / ww.agentConfig): SHA-1 of
 * `jsapi_ticket=…&noncestr=…&timestamp=…&url=…`, the URL without its #fragment.
 */
export function jsapiSignature(ticket: string, nonceStr: string, timestamp: number | string, url: string): string {
  return createHash('sha1').update(`jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timestamp}&url=${url.split('#')[0]}`).digest('hex');
}
