// The in-memory copy of small tables (prices, channels) that every process keeps.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CacheBus } from '../src/lib/cache-bus.ts';
import { createSubscriberRedis, createRedis, whenReady } from '../src/lib/redis.ts';
import { SharedSnapshot } from '../src/lib/shared-snapshot.ts';

const sub = createSubscriberRedis(inject('redisUrl'), 'shared-snapshot-test');
const pub = createRedis(inject('redisUrl'), 'shared-snapshot-test-pub');
const bus = new CacheBus(sub, pub, `vgwtest_${randomBytes(4).toString('hex')}:invalidate`);
beforeAll(async () => {
  await whenReady(pub, 10_000);
  await bus.start();
});
afterAll(() => {
  sub.disconnect();
  pub.disconnect();
});

function counter() {
  let loads = 0;
  return { load: async () => ++loads, loads: () => loads };
}

describe('SharedSnapshot', () => {
  it('loads once for any number of concurrent readers, then serves from memory', async () => {
    const c = counter();
    const snapshot = new SharedSnapshot(c.load, bus, ['channels'], 60_000);
    expect(await Promise.all([snapshot.get(), snapshot.get(), snapshot.get()])).toEqual([1, 1, 1]);
    expect(await snapshot.get()).toBe(1);
    expect(c.loads()).toBe(1);
  });

  it('reloads after an invalidation of its kind, and only of its kind', async () => {
    const c = counter();
    const snapshot = new SharedSnapshot(c.load, bus, ['channels'], 60_000);
    await snapshot.get();
    await bus.publish({ kind: 'catalog' });
    expect(await snapshot.get()).toBe(1);
    await bus.publish({ kind: 'channels' });
    expect(await snapshot.get()).toBe(2);
    await bus.publish({ kind: 'all' });
    expect(await snapshot.get()).toBe(3);
  });

  it('does not keep a load that was under way when an invalidation arrived', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    let version = 1;
    const snapshot = new SharedSnapshot(
      async () => {
        const seen = version;
        await gate;
        return seen;
      },
      bus,
      ['channels'],
      60_000,
    );
    const stale = snapshot.get();
    version = 2;
    snapshot.invalidate();
    release();
    expect(await stale).toBe(1);
    expect(await snapshot.get()).toBe(2);
  });

  it('reloads after its TTL', async () => {
    const c = counter();
    const snapshot = new SharedSnapshot(c.load, bus, ['channels'], 30);
    await snapshot.get();
    await new Promise((r) => setTimeout(r, 40));
    expect(await snapshot.get()).toBe(2);
  });
});
