import type { Redis } from './redis';
import { newToken, sha256 } from './crypto';
import { systemClock, type Clock } from './clock';
import type { StaffRole } from './roles';

type Subject = { kind: 'client'; clientId: number } | { kind: 'staff'; staffId: number };

export type SessionData =
  | { kind: 'client'; clientId: number; publicId: string }
  | {
    kind: 'staff'; staffId: number; publicId: string; role: StaffRole;
    /** Last use (ms, the injected clock): drives the idle timeout. */
    seenAt?: number;
    /** A role that must have TOTP logged in without it: this session may only enrol it. */
    totpEnrolOnly?: boolean;
  };

export interface SessionOptions {
  clock?: Clock;
  /** Staff sessions unused this long end (ASVS L2 idle timeout); none when absent. */
  staffIdleSeconds?: number;
}

/**
 * Opaque bearer tokens kept in Redis (DESIGN.md: sessions are safe to lose). Only a token's
 * SHA-256 is stored, so a Redis dump does not hand out live tokens. Each subject has a set of
 * its token hashes, so all of its sessions can be revoked at once.
 */
export class SessionStore {
  private readonly clock: Clock;
  private readonly staffIdleMs: number | null;

  constructor(private readonly redis: Redis, opts: SessionOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.staffIdleMs = opts.staffIdleSeconds ? opts.staffIdleSeconds * 1000 : null;
  }

  /** How stale `seenAt` may get before a request writes it again: one write a minute at most, not one per request. */
  private get touchEveryMs(): number {
    return Math.min(60_000, (this.staffIdleMs ?? 240_000) / 4);
  }

  private key(hash: string): string {
    return `sess:${hash}`;
  }
  private subjectKey(s: Subject): string {
    return s.kind === 'client' ? `sess-of:client:${s.clientId}` : `sess-of:staff:${s.staffId}`;
  }

  // Pipelines, not MULTI: the session key and its subject's set live in different Redis Cluster
  // slots. Each command is safe on its own; a crash in between leaves at worst a dead set member.
  async create(data: SessionData, ttlSeconds: number): Promise<{ token: string; tokenHash: string; expiresIn: number }> {
    const token = newToken();
    const tokenHash = sha256(token);
    const subjectKey = this.subjectKey(data);
    const stored: SessionData = data.kind === 'staff' ? { ...data, seenAt: this.clock.now().getTime() } : data;
    await this.redis
      .pipeline()
      .set(this.key(tokenHash), JSON.stringify(stored), 'EX', ttlSeconds)
      .sadd(subjectKey, tokenHash)
      // Every session of a subject has the same lifetime, so the newest one sets the set's expiry.
      .expire(subjectKey, ttlSeconds)
      .exec();
    return { token, tokenHash, expiresIn: ttlSeconds };
  }

  async resolve(token: string): Promise<(SessionData & { tokenHash: string }) | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const tokenHash = sha256(token);
    const raw = await this.redis.get(this.key(tokenHash));
    if (!raw) return null;
    const data = JSON.parse(raw) as SessionData;
    if (data.kind === 'staff' && this.staffIdleMs !== null) {
      const now = this.clock.now().getTime();
      const idle = now - (data.seenAt ?? now);
      if (idle > this.staffIdleMs) {
        await this.revoke(tokenHash);
        return null;
      }
      // XX: a session revoked meanwhile is not brought back; KEEPTTL: the absolute lifetime stands.
      if (idle >= this.touchEveryMs) await this.redis.set(this.key(tokenHash), JSON.stringify({ ...data, seenAt: now }), 'KEEPTTL', 'XX');
    }
    return { ...data, tokenHash };
  }

  /** Changes what a live session carries (e.g. TOTP turned on lifts `totpEnrolOnly`); its lifetime stays. */
  async update(tokenHash: string, patch: Partial<Extract<SessionData, { kind: 'staff' }>>): Promise<void> {
    const raw = await this.redis.get(this.key(tokenHash));
    if (!raw) return;
    await this.redis.set(this.key(tokenHash), JSON.stringify({ ...(JSON.parse(raw) as SessionData), ...patch }), 'KEEPTTL', 'XX');
  }

  async revoke(tokenHash: string): Promise<void> {
    const raw = await this.redis.get(this.key(tokenHash));
    const pipe = this.redis.pipeline().del(this.key(tokenHash));
    if (raw) pipe.srem(this.subjectKey(JSON.parse(raw) as SessionData), tokenHash);
    await pipe.exec();
  }

  /**
   * Ends every session of a client or staff member (logout everywhere, role change, deletion).
   * Members are removed one by one rather than deleting the set, so a session created while this
   * runs is either revoked here or stays listed for the next revocation, never orphaned.
   * `except` keeps one session (the caller's, after a password change).
   */
  async revokeAll(subject: Subject, opts: { except?: string } = {}): Promise<number> {
    const setKey = this.subjectKey(subject);
    const hashes = (await this.redis.smembers(setKey)).filter((h) => h !== opts.except);
    if (!hashes.length) return 0;
    const pipe = this.redis.pipeline();
    for (const h of hashes) pipe.del(this.key(h)).srem(setKey, h);
    await pipe.exec();
    return hashes.length;
  }
}
