// A small table (prices, channels) held in memory by every process that reads it on a hot path.
// It is reloaded when an operator's change is announced on the CacheBus, and after a TTL in case
// an announcement was lost; concurrent readers share one load, and a load that was under way when
// an invalidation arrived is not kept.
import type { CacheBus, Invalidation } from './cache-bus.ts';

export class SharedSnapshot<T> {
  private value: { data: T; loadedAt: number } | undefined;
  private loading: Promise<T> | undefined;
  private generation = 0;
  private readonly load: () => Promise<T>;
  private readonly ttlMs: number;

  constructor(load: () => Promise<T>, bus: CacheBus, kinds: Invalidation['kind'][], ttlMs: number) {
    this.load = load;
    this.ttlMs = ttlMs;
    bus.onInvalidate((message) => {
      if (message.kind === 'all' || kinds.includes(message.kind)) this.invalidate();
    });
  }

  async get(): Promise<T> {
    if (this.value && Date.now() - this.value.loadedAt < this.ttlMs) return this.value.data;
    if (!this.loading) {
      const generation = this.generation;
      const loading = this.load()
        .then((data) => {
          if (generation === this.generation) this.value = { data, loadedAt: Date.now() };
          return data;
        })
        .finally(() => {
          if (this.loading === loading) this.loading = undefined;
        });
      this.loading = loading;
    }
    return this.loading;
  }

  /** Drops what is held; the next reader loads afresh. */
  invalidate(): void {
    this.generation++;
    this.value = undefined;
    this.loading = undefined;
  }
}
