// Authenticating a warm key costs no database round trip: identities are cached in memory and
// dropped the moment an operator changes the key or its user (see CacheBus).
import type { CacheBus } from '../../lib/cache-bus.ts';
import type { KeyIdentity } from './key-identity.ts';

interface Entry {
  value: KeyIdentity | null;
  storedAt: number;
}

export interface KeyCacheOptions {
  /** A safety net only; invalidation is what keeps entries fresh. */
  ttlMs: number;
  /** Unknown keys are remembered briefly so a flood of bad keys does not reach the database. */
  negativeTtlMs: number;
  maxEntries: number;
}

export class KeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<KeyIdentity | null>>();
  // Bumped by every invalidation; a load that started before one must not store its result.
  private generation = 0;
  private readonly load: (keyHash: string) => Promise<KeyIdentity | null>;
  private readonly bus: CacheBus;
  private readonly options: KeyCacheOptions;

  constructor(load: (keyHash: string) => Promise<KeyIdentity | null>, bus: CacheBus, options: KeyCacheOptions) {
    this.load = load;
    this.bus = bus;
    this.options = options;
    bus.onInvalidate((message) => {
      this.generation++;
      // Loads already under way may have read the old row; later callers must not join them.
      this.inflight.clear();
      if (message.kind === 'key') this.entries.delete(message.keyHash);
      else if (message.kind === 'user') this.dropUser(message.userId);
      else if (message.kind === 'all') this.entries.clear();
    });
  }

  async get(keyHash: string): Promise<KeyIdentity | null> {
    if (!this.bus.healthy) return this.load(keyHash);
    const entry = this.entries.get(keyHash);
    if (entry && Date.now() - entry.storedAt < (entry.value ? this.options.ttlMs : this.options.negativeTtlMs)) {
      return entry.value;
    }
    let pending = this.inflight.get(keyHash);
    if (!pending) {
      const fetching = this.fetch(keyHash).finally(() => {
        if (this.inflight.get(keyHash) === fetching) this.inflight.delete(keyHash);
      });
      this.inflight.set(keyHash, fetching);
      pending = fetching;
    }
    return pending;
  }

  private async fetch(keyHash: string): Promise<KeyIdentity | null> {
    const generation = this.generation;
    const value = await this.load(keyHash);
    if (generation === this.generation) {
      this.entries.delete(keyHash);
      this.entries.set(keyHash, { value, storedAt: Date.now() });
      if (this.entries.size > this.options.maxEntries) {
        // Maps iterate in insertion order: the first key is the least recently loaded.
        this.entries.delete(this.entries.keys().next().value as string);
      }
    }
    return value;
  }

  private dropUser(userId: number): void {
    for (const [hash, entry] of this.entries) {
      if (entry.value?.userId === userId) this.entries.delete(hash);
    }
  }
}
