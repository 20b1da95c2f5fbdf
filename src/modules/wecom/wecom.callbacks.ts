import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import { AppError } from '../../shared/errors';
import { WeComCrypto, WeComCryptoError } from '../../integrations/wecom/crypto';
import { parseFlatXml } from '../../integrations/wecom/xml';
import { WeComErrors } from './wecom.errors';

/** The query WeCom signs every callback with. */
export interface CallbackQuery {
  msg_signature: string;
  timestamp: string;
  nonce: string;
  echostr?: string;
}

// Identifiers WeCom puts in events; longer values are not WeCom's (and would not fit the table).
const FIELD_LIMITS: Record<string, number> = { Event: 64, ChangeType: 64, UserID: 64, ExternalUserID: 64, State: 30, ChatId: 64, Id: 64, TagType: 16, FailReason: 64 };

const malformed = (why: string) => new AppError(WeComErrors.WECOM_CALLBACK_MALFORMED, 'Not a WeCom callback', { reason: why });

/**
 * The callback URL's two jobs, exactly as WeCom specifies: URL verification (GET: the signed,
 * encrypted echostr answered in plaintext) and events (POST: signature over the Encrypt field,
 * AES decryption, the receiver must be our corp). An event is recorded once and answered at
 * once; processing happens later from the table (WeCom retries after 5 s without an answer).
 * A bad signature, a stale timestamp (replay) or a malformed body is refused and writes nothing.
 */
export class CallbackReceiver {
  readonly crypto: WeComCrypto | null;

  constructor(private readonly deps: { db: DataSource; config: Config; clock: Clock }) {
    const w = deps.config.wecom;
    this.crypto = w.official && w.callbackToken && w.callbackAesKey ? new WeComCrypto(w.callbackToken, w.callbackAesKey, w.corpId) : null;
  }

  private open(q: CallbackQuery, encrypted: string): string {
    if (!this.crypto) throw new AppError(WeComErrors.WECOM_OFFICIAL_OFF, 'The official WeCom API is not configured');
    const age = Math.abs(this.deps.clock.now().getTime() - Number(q.timestamp) * 1000);
    if (age > this.deps.config.wecom.callbackMaxAgeSeconds * 1000) {
      throw new AppError(WeComErrors.WECOM_CALLBACK_STALE, 'The callback timestamp is too old or in the future', { field: 'query.timestamp' });
    }
    if (!this.crypto.verify(q.msg_signature, q.timestamp, q.nonce, encrypted)) {
      throw new AppError(WeComErrors.WECOM_CALLBACK_SIGNATURE_INVALID, 'The callback signature does not match', { field: 'query.msg_signature' });
    }
    try {
      return this.crypto.decrypt(encrypted);
    } catch (err) {
      if (err instanceof WeComCryptoError) throw malformed(err.message);
      throw err;
    }
  }

  /** GET: URL verification; answers the decrypted echostr. */
  verifyUrl(q: CallbackQuery): string {
    if (!q.echostr) throw malformed('echostr missing');
    return this.open(q, q.echostr);
  }

  /** POST: verifies, decrypts and records an event; `recorded` false when it was recorded before. */
  async receive(q: CallbackQuery, body: string): Promise<{ recorded: boolean; id: string | null }> {
    const outer = parseFlatXml(body);
    if (!outer || !outer.Encrypt) throw malformed('no Encrypt element');
    const fields = parseFlatXml(this.open(q, outer.Encrypt));
    if (!fields) throw malformed('the decrypted message is not XML');
    const event = fields.Event;
    if (fields.MsgType !== 'event' || !event) throw malformed('not an event');
    if (!/^\d{1,12}$/.test(fields.CreateTime ?? '')) throw malformed('CreateTime missing');
    for (const [k, limit] of Object.entries(FIELD_LIMITS)) {
      if (fields[k] !== undefined && fields[k].length > limit) throw malformed(`${k} too long`);
    }
    // The natural key: the event's own content (WeCom's retries carry the same fields, re-encrypted).
    const key = createHash('sha256').update(JSON.stringify(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : 1)))).digest('hex');
    const now = this.deps.clock.now();
    const res: { affectedRows: number; insertId: number } = await this.deps.db.query(
      `INSERT INTO wecom_callback_events (event_key, event, change_type, create_time, fields, status, next_attempt_at, received_at)
       VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) ON DUPLICATE KEY UPDATE id = id`,
      [key, event, fields.ChangeType ?? null, new Date(Number(fields.CreateTime) * 1000), JSON.stringify(fields), now, now],
    );
    return res.affectedRows === 1 ? { recorded: true, id: String(res.insertId) } : { recorded: false, id: null };
  }
}
