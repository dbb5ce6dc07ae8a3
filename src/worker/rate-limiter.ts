// Upstream request budgets shared by every worker process, kept in Redis: a request to a channel
// is let through only while fewer than qps requests went through in the window before it. The
// decision is taken right before the request is sent, so a worker that was slow to get there
// cannot crowd requests together. The window is longer than a second: requests reach the upstream
// a little after they are let through, and not all equally late (a busy event loop can hold one
// back for a hundred milliseconds or more); the margin keeps them from ever landing qps + 1 in one
// upstream second, at the price of using about 80 % of the budget.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient } from '../lib/redis.ts';

// KEYS[1] sorted set of recent requests (score: ms); ARGV: window ms, limit, member, spacing ms.
// Returns 0 when let through (and recorded), else the ms until there is room: until the oldest
// recent one leaves the window, or until `spacing` has passed since the newest. Spacing requests
// out, rather than letting a whole second's budget go at once, keeps a burst that reaches the
// upstream unevenly late from piling into one of its seconds.
const ADMIT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local spacing = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local wait = 0
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2]
if newest then wait = tonumber(newest) + spacing - now end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
  wait = math.max(wait, oldest + window - now)
end
if wait > 0 then return math.max(1, wait) end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 0`;

const WINDOW_MS = 1_250;
/** Requests are at least this share of a second apart: 1000 ms / qps, a little less for jitter. */
const SPACING_OF_SECOND_MS = 900;

export type Admission = { admitted: true } | { admitted: false; retryInMs: number };

export class RateLimiter {
  private readonly redis: RedisClient;
  private readonly prefix: string;

  constructor(redis: RedisClient, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
  }

  /**
   * Lets one request to `bucket` through, waiting for room for up to `maxWaitMs`; beyond that the
   * caller is told when to come back instead, so it need not hold on to anything meanwhile.
   */
  async admit(bucket: string, qps: number, maxWaitMs: number): Promise<Admission> {
    const key = `${this.prefix}:rate:${bucket}`;
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      const waitMs = Number(await this.redis.eval(ADMIT, 1, key, WINDOW_MS, qps, randomUUID(), Math.floor(SPACING_OF_SECOND_MS / qps)));
      if (waitMs === 0) return { admitted: true };
      if (Date.now() + waitMs > deadline) return { admitted: false, retryInMs: waitMs };
      // Many callers wake for the same freed place; spreading them keeps them from all asking at once.
      await sleep(waitMs + Math.random() * 20);
    }
  }
}
