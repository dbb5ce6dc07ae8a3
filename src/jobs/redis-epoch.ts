// Notices that Redis lost its data (a restart without persistence, a failover to an empty
// replica): a marker key set once is gone. Whoever sets it again first is told so, and puts back
// what only Redis held (the queue's jobs) from PostgreSQL, which has everything.
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { RedisClient } from '../lib/redis.ts';

export class RedisEpoch {
  private readonly redis: RedisClient;
  private readonly key: string;
  private readonly log: FastifyBaseLogger;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(redis: RedisClient, redisPrefix: string, log: FastifyBaseLogger) {
    this.redis = redis;
    this.key = `${redisPrefix}:epoch`;
    this.log = log;
  }

  /** Checks every `intervalMs`; `onReset` runs when this process found the marker gone (also on a brand-new Redis). */
  watch(intervalMs: number, onReset: () => Promise<void>): void {
    const check = async () => {
      if (this.checking) return;
      this.checking = true;
      try {
        if ((await this.redis.set(this.key, randomUUID(), 'NX')) === 'OK') {
          this.log.warn("Redis holds none of the gateway's state (new, restarted empty or failed over): restoring it from PostgreSQL");
          // Until the restore is done the marker must not stand, or nobody would try again.
          await onReset().catch(async (err: unknown) => {
            await this.redis.del(this.key).catch(() => {});
            throw err;
          });
        }
      } catch (err) {
        this.log.warn({ err }, 'could not check Redis for lost data, or restore it; will try again');
      } finally {
        this.checking = false;
      }
    };
    void check();
    this.timer = setInterval(() => void check(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
