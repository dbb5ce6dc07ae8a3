import { Redis } from 'ioredis';

/** A command that cannot be sent or answered within this fails instead of waiting. */
const COMMAND_TIMEOUT_MS = 2_000;

/**
 * A connection for commands that must fail fast while Redis is unreachable: nothing on the
 * request path waits for Redis to come back (issue: a submit hung until it did). Commands issued
 * while disconnected are refused at once; a command Redis does not answer times out.
 */
export function createRedis(url: string, connectionName: string): Redis {
  return quiet(new Redis(url, { connectionName, maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: COMMAND_TIMEOUT_MS }));
}

/**
 * A connection for BullMQ's consumers, which block on Redis and must ride out reconnects:
 * BullMQ requires `maxRetriesPerRequest: null` for them.
 */
export function createBlockingRedis(url: string, connectionName: string): Redis {
  return quiet(new Redis(url, { connectionName, maxRetriesPerRequest: null }));
}

// ioredis reconnects by itself and every command that fails says so to its caller; connection
// errors also arrive as events, which would print "Unhandled error event" once per retry.
function quiet(redis: Redis): Redis {
  redis.on('error', () => {});
  return redis;
}

/** Resolves once the connection is ready for commands; rejects after `timeoutMs`. */
export function whenReady(redis: Redis, timeoutMs: number): Promise<void> {
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
