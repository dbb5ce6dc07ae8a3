// Requests per minute per API key, counted in Redis so every API instance shares one count: a
// sliding window over the last 60 s of admitted requests. While Redis cannot be reached, requests
// go through (a limit is not worth an outage); the log says so, and vgw_rpm_limit_unenforced_total
// counts them.
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { RedisClient } from '../../lib/redis.ts';
import type { Metrics } from '../../observability/metrics.ts';

// KEYS[1] sorted set of admitted requests (score: ms); ARGV: window ms, limit, member.
// Returns 0 when admitted (and recorded), else the ms until the oldest one leaves the window.
const ADMIT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
return math.max(1, oldest + window - now)`;

const WINDOW_MS = 60_000;
const OUTAGE_LOG_EVERY_MS = 10_000;

export class RpmLimiter {
  private readonly redis: RedisClient;
  private readonly prefix: string;
  private readonly log: FastifyBaseLogger;
  private readonly metrics: Pick<Metrics, 'rpmUnenforced'>;
  private lastOutageLog = 0;

  constructor(redis: RedisClient, prefix: string, log: FastifyBaseLogger, metrics: Pick<Metrics, 'rpmUnenforced'>) {
    this.redis = redis;
    this.prefix = prefix;
    this.log = log;
    this.metrics = metrics;
  }

  /** null when the request may go; else the seconds to wait. */
  async admit(keyId: number, limit: number): Promise<number | null> {
    try {
      const waitMs = Number(await this.redis.eval(ADMIT, 1, `${this.prefix}:rpm:${keyId}`, WINDOW_MS, limit, randomUUID()));
      return waitMs === 0 ? null : Math.ceil(waitMs / 1000);
    } catch (err) {
      this.metrics.rpmUnenforced.inc();
      if (Date.now() - this.lastOutageLog > OUTAGE_LOG_EVERY_MS) {
        this.lastOutageLog = Date.now();
        this.log.warn({ err }, 'rpm_limit not enforced: Redis is unreachable; requests are let through until it is back');
      }
      return null;
    }
  }
}
