// The cache bus through a Redis restart: it subscribes again by itself (its connection does not:
// ioredis's own resubscription left a rejection unhandled when the process shut down during a
// reconnect), drops what it may have missed, and hears the next invalidation.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { CacheBus, type Invalidation } from '../src/lib/cache-bus.ts';
import { createRedis, createSubscriberRedis, type RedisClient, whenReady } from '../src/lib/redis.ts';
import { type PrivateRedis, startPrivateRedis } from './helpers/redis-server.ts';
import { until } from './helpers/until.ts';

let redis: PrivateRedis | undefined;
const connections: RedisClient[] = [];

afterEach(async () => {
  for (const connection of connections.splice(0)) connection.disconnect();
  await redis?.close();
  redis = undefined;
});

async function busOnPrivateRedis() {
  redis = await startPrivateRedis();
  const subscriber = createSubscriberRedis(redis.url, 'cache-bus-test-sub');
  const publisher = createRedis(redis.url, 'cache-bus-test-pub');
  connections.push(subscriber, publisher);
  const channel = `vgwtest_${randomBytes(4).toString('hex')}:invalidate`;
  const bus = new CacheBus(subscriber, publisher, channel);
  const heard: Invalidation[] = [];
  bus.onInvalidate((message) => heard.push(message));
  await bus.start();
  await whenReady(publisher, 10_000);
  return { bus, subscriber, publisher, channel, heard, redis };
}

describe('CacheBus through a Redis restart', () => {
  it('subscribes again, then drops everything it may have missed, and hears the next invalidation', async () => {
    const { bus, subscriber, publisher, channel, heard, redis } = await busOnPrivateRedis();
    await redis.stop();
    await until(async () => (bus.healthy ? undefined : true), 'the subscription noticed the outage');
    heard.length = 0;
    await redis.start();
    await until(async () => (heard.some((m) => m.kind === 'all') ? true : undefined), 'everything dropped after the reconnect');
    expect(subscriber.status).toBe('ready');
    await whenReady(publisher, 10_000);
    await publisher.publish(channel, JSON.stringify({ kind: 'user', userId: 7 }));
    await until(async () => (heard.some((m) => m.kind === 'user') ? true : undefined), 'an invalidation after the restart');
  });
});
