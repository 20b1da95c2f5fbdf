import type { Redis } from '../../shared/redis';
import { shanghaiDate } from '../../shared/clock';

/** One send asking for budget: what it costs the WeCom account (0: another channel) and the client it reaches. */
export interface BudgetItem {
  accountCost: number;
  clientId: number | null;
}

/** 'ok', or which limit refused: the account's minute or day budget, or the client's daily cap. */
export type BudgetVerdict = 'ok' | 'minute' | 'day' | 'client';

const VERDICTS: BudgetVerdict[] = ['ok', 'minute', 'day', 'client'];

// All counters of one batch are checked and taken in one script, so two drains (two processes)
// can never together exceed a limit. Items are decided in order; a refused item takes nothing.
// KEYS: minute counter, day counter, then the clients' day counters.
// ARGV: per minute, per day, client cap, minute TTL, day TTL, then (account cost, client key index or 0) per item.
const RESERVE = `
local m = tonumber(redis.call('get', KEYS[1]) or '0')
local d = tonumber(redis.call('get', KEYS[2]) or '0')
local perMin, perDay, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local used, out, took = {}, {}, false
local n = (#ARGV - 5) / 2
for i = 1, n do
  local cost = tonumber(ARGV[4 + 2 * i])
  local ck = tonumber(ARGV[5 + 2 * i])
  local verdict = 0
  if cost > 0 and m + cost > perMin then verdict = 1
  elseif cost > 0 and d + cost > perDay then verdict = 2
  elseif ck > 0 then
    local u = used[ck] or tonumber(redis.call('get', KEYS[ck]) or '0')
    if u + 1 > cap then verdict = 3 else used[ck] = u + 1 end
  end
  if verdict == 0 and cost > 0 then m = m + cost; d = d + cost; took = true end
  out[i] = verdict
end
if took then
  redis.call('set', KEYS[1], m, 'EX', ARGV[4])
  redis.call('set', KEYS[2], d, 'EX', ARGV[5])
end
for k, u in pairs(used) do redis.call('set', KEYS[k], u, 'EX', ARGV[5]) end
return out`;

const MINUTE_TTL_SECONDS = 120;
const DAY_TTL_SECONDS = 2 * 86400;

/**
 * Send budgets: per WeCom account per minute and per Shanghai day, and per
 * client per Shanghai day. Counters live in Redis (rate-limit counters are what Redis is for here,
 * DESIGN.md); the keys share one hash tag, so the script also runs on Redis Cluster. Losing them
 * (Redis restart) at worst allows one more minute's or day's worth of sends.
 */
export class SendBudget {
  constructor(
    private readonly redis: Redis,
    private readonly limits: { perMinute: number; perDay: number; clientCap: number },
  ) {}

  /** Decides and takes the budget of each item, in order, at the instant `now`. */
  async reserve(accountId: string | null, items: BudgetItem[], now: Date): Promise<BudgetVerdict[]> {
    if (!items.length) return [];
    const day = shanghaiDate(now);
    const account = accountId ?? '-';
    const keys = [`delivery:{budget}:acct:${account}:m:${Math.floor(now.getTime() / 60_000)}`, `delivery:{budget}:acct:${account}:d:${day}`];
    const clientKey = new Map<number, number>();
    const args: (string | number)[] = [this.limits.perMinute, this.limits.perDay, this.limits.clientCap, MINUTE_TTL_SECONDS, DAY_TTL_SECONDS];
    for (const item of items) {
      let index = 0;
      if (item.clientId !== null) {
        index = clientKey.get(item.clientId) ?? 0;
        if (!index) {
          keys.push(`delivery:{budget}:client:${item.clientId}:${day}`);
          index = keys.length;
          clientKey.set(item.clientId, index);
        }
      }
      args.push(item.accountCost, index);
    }
    const out = (await this.redis.eval(RESERVE, keys.length, ...keys, ...args)) as number[];
    return out.map((v) => VERDICTS[v]);
  }

  /** What the account has used in the minute and the day of `now` (for staff views and tests). */
  async usage(accountId: string, now: Date): Promise<{ minute: number; day: number }> {
    const [m, d] = await this.redis.mget(
      `delivery:{budget}:acct:${accountId}:m:${Math.floor(now.getTime() / 60_000)}`,
      `delivery:{budget}:acct:${accountId}:d:${shanghaiDate(now)}`,
    );
    return { minute: Number(m ?? 0), day: Number(d ?? 0) };
  }
}
