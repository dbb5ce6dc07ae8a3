import { Redis } from 'ioredis';

/** Deletes every key under `prefix:`; returns how many there were. */
export async function deleteKeysWithPrefix(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let deleted = 0;
    // SCAN rather than KEYS: the server may be shared, and KEYS blocks it.
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1_000 })) {
      const batch = keys as string[];
      if (batch.length > 0) deleted += await redis.unlink(...batch);
    }
    return deleted;
  } finally {
    redis.disconnect();
  }
}
