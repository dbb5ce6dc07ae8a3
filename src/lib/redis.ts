import { Redis } from 'ioredis';

/**
 * A Redis connection suitable for BullMQ as well as plain commands: BullMQ requires
 * `maxRetriesPerRequest: null` so blocking commands survive reconnects.
 */
export function createRedis(url: string, connectionName: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, connectionName, lazyConnect: false });
}
