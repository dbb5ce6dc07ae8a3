// The key cache: warm keys cost no database round trip; invalidations reach every process.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { CacheBus } from '../src/lib/cache-bus.ts';
import { createSubscriberRedis, createRedis, whenReady } from '../src/lib/redis.ts';
import { KeyCache } from '../src/modules/auth/key-cache.ts';
import type { KeyIdentity } from '../src/modules/auth/key-identity.ts';

const channel = `vgwtest_${randomBytes(4).toString('hex')}:invalidate`;
// As in the gateway: subscribers wait through outages, publishers fail fast.
const [subA, subB] = [0, 1].map((i) => createSubscriberRedis(inject('redisUrl'), `key-cache-test-sub-${i}`)) as [Redis, Redis];
const [pubA, pubB] = [0, 1].map((i) => createRedis(inject('redisUrl'), `key-cache-test-pub-${i}`)) as [Redis, Redis];
const connections = [subA, subB, pubA, pubB];
const busA = new CacheBus(subA, pubA, channel);
const busB = new CacheBus(subB, pubB, channel);

beforeAll(async () => {
  await Promise.all([whenReady(pubA, 10_000), whenReady(pubB, 10_000)]);
  await busA.start();
  await busB.start();
});
afterAll(() => {
  for (const c of connections) c.disconnect();
});

const identity = (keyHash: string, userId = 1): KeyIdentity => ({
  keyId: 1,
  keyHash,
  userId,
  group: 'default',
  keyEnabled: true,
  userEnabled: true,
  expiresAt: null,
  models: [],
  callbackUrl: null,
  webhookEvents: [],
  rpmLimit: null,
  allowedIps: [],
  allowsIp: () => true,
});

function countingLoader(rows: Map<string, KeyIdentity>) {
  const calls: string[] = [];
  const load = async (hash: string) => {
    calls.push(hash);
    return rows.get(hash) ?? null;
  };
  return { calls, load };
}

const options = { ttlMs: 60_000, negativeTtlMs: 1_000, maxEntries: 3 };

describe('KeyCache', () => {
  it('loads a key once, however many requests use it', async () => {
    const rows = new Map([['h1', identity('h1')]]);
    const { calls, load } = countingLoader(rows);
    const cache = new KeyCache(load, busA, options);
    const results = await Promise.all(Array.from({ length: 100 }, () => cache.get('h1')));
    for (let i = 0; i < 100; i++) await cache.get('h1');
    expect(results.every((r) => r?.keyHash === 'h1')).toBe(true);
    expect(calls).toEqual(['h1']);
  });

  it('remembers unknown keys only briefly', async () => {
    const { calls, load } = countingLoader(new Map());
    const cache = new KeyCache(load, busA, { ...options, negativeTtlMs: 50 });
    expect(await cache.get('nope')).toBeNull();
    expect(await cache.get('nope')).toBeNull();
    expect(calls).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 60));
    await cache.get('nope');
    expect(calls).toHaveLength(2);
  });

  it('drops a key on every process when another one publishes its invalidation', async () => {
    const rows = new Map([['h2', identity('h2')]]);
    const { calls, load } = countingLoader(rows);
    const cacheOnB = new KeyCache(load, busB, options);
    await cacheOnB.get('h2');
    rows.set('h2', { ...identity('h2'), keyEnabled: false });
    await busA.publish({ kind: 'key', keyHash: 'h2' });
    const started = Date.now();
    while ((await cacheOnB.get('h2'))?.keyEnabled !== false) {
      expect(Date.now() - started).toBeLessThan(1_000);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(calls).toEqual(['h2', 'h2']);
  });

  it("drops every key of a user when the user changes", async () => {
    const rows = new Map([
      ['u7a', identity('u7a', 7)],
      ['u7b', identity('u7b', 7)],
      ['u8', identity('u8', 8)],
    ]);
    const { calls, load } = countingLoader(rows);
    const cache = new KeyCache(load, busA, options);
    await Promise.all(['u7a', 'u7b', 'u8'].map((h) => cache.get(h)));
    await busA.publish({ kind: 'user', userId: 7 });
    await Promise.all(['u7a', 'u7b', 'u8'].map((h) => cache.get(h)));
    expect(calls.sort()).toEqual(['u7a', 'u7a', 'u7b', 'u7b', 'u8']);
  });

  it('does not keep a value loaded before an invalidation that arrived during the load', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    let enabled = true;
    const load = async (hash: string) => {
      const snapshot = { ...identity(hash), keyEnabled: enabled };
      await gate;
      return snapshot;
    };
    const cache = new KeyCache(load, busA, options);
    const stale = cache.get('h3');
    enabled = false;
    await busA.publish({ kind: 'key', keyHash: 'h3' });
    release();
    expect((await stale)?.keyEnabled).toBe(true);
    expect((await cache.get('h3'))?.keyEnabled).toBe(false);
  });

  it('evicts the oldest entry beyond maxEntries', async () => {
    const rows = new Map(['a', 'b', 'c', 'd'].map((h) => [h, identity(h)] as const));
    const { calls, load } = countingLoader(rows);
    const cache = new KeyCache(load, busA, options);
    for (const h of ['a', 'b', 'c', 'd']) await cache.get(h);
    await cache.get('a');
    expect(calls).toEqual(['a', 'b', 'c', 'd', 'a']);
  });

  it('reads through to the database while invalidations cannot be received', async () => {
    const sub = createSubscriberRedis(inject('redisUrl'), 'key-cache-test-down');
    const bus = new CacheBus(sub, pubA, channel);
    await bus.start();
    const { calls, load } = countingLoader(new Map([['h4', identity('h4')]]));
    const cache = new KeyCache(load, bus, options);
    await cache.get('h4');
    await cache.get('h4');
    expect(calls).toHaveLength(1);
    sub.disconnect();
    while (bus.healthy) await new Promise((r) => setTimeout(r, 5));
    await cache.get('h4');
    await cache.get('h4');
    expect(calls).toHaveLength(3);
  });
});
