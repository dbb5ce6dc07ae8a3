// The shared upstream budget: no one-second window holds more than the channel's QPS of requests,
// across every process using the same Redis.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedis, whenReady } from '../../src/lib/redis.ts';
import { RateLimiter } from '../../src/worker/rate-limiter.ts';

const redis = createRedis(inject('redisUrl'), 'rate-limiter-test');
const other = createRedis(inject('redisUrl'), 'rate-limiter-test-2');
const prefix = `vgwtest_${randomBytes(4).toString('hex')}`;
beforeAll(() => Promise.all([whenReady(redis, 10_000), whenReady(other, 10_000)]));
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  other.disconnect();
});

describe('RateLimiter', () => {
  it('never lets more than qps requests into any one-second window, across processes', async () => {
    const limiters = [new RateLimiter(redis, prefix), new RateLimiter(other, prefix)];
    const sent: number[] = [];
    const started = Date.now();
    // 40 callers hammering a 10 QPS budget for about two and a half seconds.
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const limiter = limiters[i % 2]!;
        while (Date.now() - started < 2_500) {
          const admission = await limiter.admit('c1:submit', 10, 1_000);
          if (admission.admitted) sent.push(Date.now());
          else await sleep(admission.retryInMs);
        }
      }),
    );
    sent.sort((a, b) => a - b);
    // Close to the budget: 10 per 1.25 s window over 2.5 s.
    expect(sent.length).toBeGreaterThanOrEqual(19);
    for (const start of sent) expect(sent.filter((t) => t >= start && t < start + 1_000).length).toBeLessThanOrEqual(10);
  });

  it('waits for room up to maxWaitMs, and otherwise says when to come back', async () => {
    const limiter = new RateLimiter(redis, prefix);
    expect(await limiter.admit('c2:query', 1, 0)).toEqual({ admitted: true });
    const refused = await limiter.admit('c2:query', 1, 100);
    expect(refused.admitted).toBe(false);
    if (!refused.admitted) {
      expect(refused.retryInMs).toBeGreaterThan(1_000);
      expect(refused.retryInMs).toBeLessThanOrEqual(1_250);
    }
    const started = Date.now();
    expect(await limiter.admit('c2:query', 1, 2_000)).toEqual({ admitted: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it('spaces requests out instead of letting a second\'s budget go at once', async () => {
    const limiter = new RateLimiter(redis, prefix);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      expect(await limiter.admit('c5:submit', 10, 1_000)).toEqual({ admitted: true });
      times.push(Date.now());
    }
    // At 10 per second, about a tenth of a second apart (a little less, for jitter).
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(85);
  });

  it('keeps separate budgets per channel and kind', async () => {
    const limiter = new RateLimiter(redis, prefix);
    expect((await limiter.admit('c3:submit', 1, 0)).admitted).toBe(true);
    expect((await limiter.admit('c3:query', 1, 0)).admitted).toBe(true);
    expect((await limiter.admit('c4:submit', 1, 0)).admitted).toBe(true);
    expect((await limiter.admit('c3:submit', 1, 0)).admitted).toBe(false);
  });
});
