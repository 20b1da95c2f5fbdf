import type { Redis } from '../../shared/redis';
import { newToken, sha256 } from '../../shared/crypto';
import type { StaffRole } from '../staff/staff.entity';

export type SessionData =
  | { kind: 'client'; clientId: number; publicId: string }
  | { kind: 'staff'; staffId: number; publicId: string; role: StaffRole };

/**
 * Opaque bearer tokens kept in Redis (DESIGN.md: sessions are safe to lose). Only a token's
 * SHA-256 is stored, so a Redis dump does not hand out live tokens. Each subject has a set of
 * its token hashes, so all of its sessions can be revoked at once.
 */
export class SessionStore {
  constructor(private readonly redis: Redis) {}

  private key(hash: string): string {
    return `sess:${hash}`;
  }
  private subjectKey(s: SessionData): string {
    return s.kind === 'client' ? `sess-of:client:${s.clientId}` : `sess-of:staff:${s.staffId}`;
  }

  async create(data: SessionData, ttlSeconds: number): Promise<{ token: string; tokenHash: string; expiresIn: number }> {
    const token = newToken();
    const tokenHash = sha256(token);
    await this.redis
      .multi()
      .set(this.key(tokenHash), JSON.stringify(data), 'EX', ttlSeconds)
      .sadd(this.subjectKey(data), tokenHash)
      .expire(this.subjectKey(data), ttlSeconds)
      .exec();
    return { token, tokenHash, expiresIn: ttlSeconds };
  }

  async resolve(token: string): Promise<(SessionData & { tokenHash: string }) | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const tokenHash = sha256(token);
    const raw = await this.redis.get(this.key(tokenHash));
    return raw ? { ...(JSON.parse(raw) as SessionData), tokenHash } : null;
  }

  async revoke(tokenHash: string): Promise<void> {
    const raw = await this.redis.get(this.key(tokenHash));
    const multi = this.redis.multi().del(this.key(tokenHash));
    if (raw) multi.srem(this.subjectKey(JSON.parse(raw) as SessionData), tokenHash);
    await multi.exec();
  }

  /** Ends every session of a client or staff member (logout everywhere, account locked or deleted). */
  async revokeAll(subject: { kind: 'client'; clientId: number } | { kind: 'staff'; staffId: number }): Promise<number> {
    const setKey = subject.kind === 'client' ? `sess-of:client:${subject.clientId}` : `sess-of:staff:${subject.staffId}`;
    const hashes = await this.redis.smembers(setKey);
    if (hashes.length) await this.redis.del(...hashes.map((h) => this.key(h)));
    await this.redis.del(setKey);
    return hashes.length;
  }
}
