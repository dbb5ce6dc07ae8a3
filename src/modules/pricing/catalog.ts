// Model prices and group ratios, held in memory: they are read on every submit and change
// rarely. Operators' changes arrive through the CacheBus; a short TTL bounds staleness anyway.
import type { CacheBus } from '../../lib/cache-bus.ts';
import type { Db } from '../../lib/database.ts';
import { Decimal } from '../../generated/prisma/internal/prismaNamespace.ts';

export interface ModelPrice {
  model: string;
  pricePerSecond: Decimal;
  resolutionRatios: Record<string, Decimal>;
}

interface Snapshot {
  prices: Map<string, ModelPrice>;
  groupRatios: Map<string, Decimal>;
  loadedAt: number;
}

export class PriceCatalog {
  private snapshot: Snapshot | undefined;
  private loading: Promise<Snapshot> | undefined;
  // Bumped by every invalidation; a load that started before one must not be kept.
  private generation = 0;
  private readonly db: Db;
  private readonly ttlMs: number;

  constructor(db: Db, bus: CacheBus, ttlMs: number) {
    this.db = db;
    this.ttlMs = ttlMs;
    bus.onInvalidate((message) => {
      if (message.kind !== 'catalog' && message.kind !== 'all') return;
      this.generation++;
      this.snapshot = undefined;
      this.loading = undefined;
    });
  }

  async price(model: string): Promise<ModelPrice | undefined> {
    return (await this.current()).prices.get(model);
  }

  async groupRatio(group: string): Promise<Decimal | undefined> {
    return (await this.current()).groupRatios.get(group);
  }

  private async current(): Promise<Snapshot> {
    const snapshot = this.snapshot;
    if (snapshot && Date.now() - snapshot.loadedAt < this.ttlMs) return snapshot;
    if (!this.loading) {
      const loading = this.load().finally(() => {
        if (this.loading === loading) this.loading = undefined;
      });
      this.loading = loading;
    }
    return this.loading;
  }

  private async load(): Promise<Snapshot> {
    const generation = this.generation;
    const [prices, groups] = await Promise.all([this.db.modelPrice.findMany(), this.db.group.findMany()]);
    const snapshot: Snapshot = {
      prices: new Map(
        prices.map((p) => [
          p.model,
          {
            model: p.model,
            pricePerSecond: p.pricePerSecond,
            resolutionRatios: Object.fromEntries(
              Object.entries(p.resolutionRatios as Record<string, number | string>).map(([tier, ratio]) => [tier, new Decimal(ratio)]),
            ),
          },
        ]),
      ),
      groupRatios: new Map(groups.map((g) => [g.name, g.ratio])),
      loadedAt: Date.now(),
    };
    if (generation === this.generation) this.snapshot = snapshot;
    return snapshot;
  }
}
