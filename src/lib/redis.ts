import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** A connection to one Redis server, or to a Redis Cluster: everything the gateway asks of Redis works on both. */
export type RedisClient = Redis | Cluster;

export interface RedisNode {
  host: string;
  port: number;
}

/** Where Redis is: one server (`url`), or a cluster reached through `clusterNodes` (credentials and TLS from `url`). */
export interface RedisTarget {
  url: string;
  clusterNodes: RedisNode[];
}

/** A command that cannot be sent or answered within this fails instead of waiting. */
const COMMAND_TIMEOUT_MS = 2_000;

/** The configuration's Redis settings as a target. */
export function redisTarget(config: { REDIS_URL: string; REDIS_CLUSTER_NODES: RedisNode[] }): RedisTarget {
  return { url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES };
}

/**
 * What every key, queue and channel of the gateway starts with. On a cluster it is a hash tag
 * (`{vgw}`): BullMQ's scripts touch several keys of a queue at once, which a cluster only allows
 * when they live in one hash slot.
 */
export function redisNamespace(config: { REDIS_PREFIX: string; REDIS_CLUSTER_NODES: RedisNode[] }): string {
  return config.REDIS_CLUSTER_NODES.length ? `{${config.REDIS_PREFIX}}` : config.REDIS_PREFIX;
}

/**
 * A connection for commands that must fail fast while Redis is unreachable: nothing on the
 * request path waits for Redis to come back (issue: a submit hung until it did). Commands issued
 * while disconnected are refused at once; a command Redis does not answer times out.
 */
export function createRedis(target: string | RedisTarget, connectionName: string): RedisClient {
  return connect(target, { connectionName, maxRetriesPerRequest: 1, commandTimeout: COMMAND_TIMEOUT_MS }, false);
}

/**
 * A connection for BullMQ's consumers, which block on Redis and must ride out reconnects:
 * BullMQ requires `maxRetriesPerRequest: null` for them.
 */
export function createBlockingRedis(target: string | RedisTarget, connectionName: string): RedisClient {
  return connect(target, { connectionName, maxRetriesPerRequest: null }, true);
}

/**
 * A connection for pub/sub subscriptions: it rides out reconnects like a blocking one, but does not
 * resubscribe by itself. ioredis's own resubscription leaves its promise unhandled, and a shutdown
 * during a reconnect rejected it ("Connection is closed."), which ends a Node.js process; the
 * owner subscribes again on 'ready' instead (cache-bus.ts).
 */
export function createSubscriberRedis(target: string | RedisTarget, connectionName: string): RedisClient {
  return connect(target, { connectionName, maxRetriesPerRequest: null, autoResubscribe: false }, true);
}

function connect(target: string | RedisTarget, options: RedisOptions, offlineQueue: boolean): RedisClient {
  const { url, clusterNodes } = typeof target === 'string' ? { url: target, clusterNodes: [] } : target;
  if (!clusterNodes.length) return quiet(new Redis(url, { ...options, enableOfflineQueue: offlineQueue }));
  return quiet(new Cluster(clusterNodes, { enableOfflineQueue: offlineQueue, redisOptions: { ...options, ...credentialsOf(url) } }));
}

/** A cluster's nodes take the user name, password and TLS of REDIS_URL. */
export function credentialsOf(url: string): RedisOptions {
  const parsed = new URL(url);
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

// ioredis reconnects by itself and every command that fails says so to its caller; connection
// errors also arrive as events, which would print "Unhandled error event" once per retry.
function quiet<T extends RedisClient>(redis: T): T {
  redis.on('error', () => {});
  return redis;
}

/** Resolves once the connection is ready for commands; rejects after `timeoutMs`. */
export function whenReady(redis: RedisClient, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', ready);
      reject(new Error(`Redis was not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const ready = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', ready);
  });
}
