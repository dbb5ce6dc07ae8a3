// Cross-process cache invalidation over Redis pub/sub. Each process keeps small in-memory caches
// (API keys, prices) so the hot path never waits on the database; when an operator changes one of
// those records, every process hears about it here within milliseconds.
import type { RedisClient } from './redis.ts';

export type Invalidation =
  | { kind: 'key'; keyHash: string }
  | { kind: 'user'; userId: number }
  | { kind: 'catalog' }
  | { kind: 'channels' }
  /** Messages may have been missed (the subscription was down): drop everything. */
  | { kind: 'all' };

type Listener = (message: Invalidation) => void;

export class CacheBus {
  private readonly listeners = new Set<Listener>();
  private readonly subscriber: RedisClient;
  private readonly publisher: RedisClient;
  private readonly channel: string;

  constructor(subscriber: RedisClient, publisher: RedisClient, channel: string) {
    this.subscriber = subscriber;
    this.publisher = publisher;
    this.channel = channel;
  }

  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.emit(JSON.parse(text) as Invalidation);
    });
    await this.subscribe();
    // The connection does not resubscribe by itself (createSubscriberRedis). A subscription that
    // fails here failed because the connection dropped again: its next 'ready' comes back here.
    this.subscriber.on('ready', () => {
      this.subscribe().catch(() => {});
    });
  }

  /** Subscribes, then drops everything: messages published while unsubscribed were lost. */
  private async subscribe(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
    this.emit({ kind: 'all' });
  }

  /** Caches must not serve from memory unless invalidations are being received. */
  get healthy(): boolean {
    return this.subscriber.status === 'ready';
  }

  onInvalidate(listener: Listener): void {
    this.listeners.add(listener);
  }

  /**
   * Invalidates locally at once, then tells every other process. When Redis cannot take the
   * message, no other process is receiving either: each serves from the database until its
   * subscription is back, and then drops everything it holds ('all' on reconnect).
   */
  async publish(message: Invalidation): Promise<void> {
    this.emit(message);
    await this.publisher.publish(this.channel, JSON.stringify(message)).catch(() => {});
  }

  private emit(message: Invalidation): void {
    for (const listener of this.listeners) listener(message);
  }
}
