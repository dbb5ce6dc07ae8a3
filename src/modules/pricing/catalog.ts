// Model prices and group ratios, held in memory: they are read on every submit and change
// rarely.
import type { CacheBus } from '../../lib/cache-bus.ts';
import { Decimal } from 'decimal.js';
import type { Db } from '../../db/database.ts';
import { AppError } from '../../lib/errors.ts';
import { SharedSnapshot } from '../../lib/shared-snapshot.ts';

export interface ModelPrice {
  model: string;
  pricePerSecond: Decimal;
  resolutionRatios: Record<string, Decimal>;
  /** When the model was first priced: OpenAI's `created` in the model list. */
  createdAt: Date;
}

interface Catalog {
  prices: Map<string, ModelPrice>;
  groupRatios: Map<string, Decimal>;
}

export class PriceCatalog {
  private readonly snapshot: SharedSnapshot<Catalog>;

  constructor(db: Db, bus: CacheBus, ttlMs: number) {
    this.snapshot = new SharedSnapshot(() => load(db), bus, ['catalog'], ttlMs);
  }

  async price(model: string): Promise<ModelPrice | undefined> {
    return (await this.snapshot.get()).prices.get(model);
  }

  /** Every priced model, by name. */
  async prices(): Promise<ModelPrice[]> {
    return [...(await this.snapshot.get()).prices.values()].sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
  }

  /** The group's ratio; every user's group has one (a foreign key), so a missing one is our fault. */
  async groupRatio(group: string): Promise<Decimal> {
    const ratio = (await this.snapshot.get()).groupRatios.get(group);
    if (!ratio) throw new AppError('internal_error', `group ${group} has no ratio configured`);
    return ratio;
  }
}

async function load(db: Db): Promise<Catalog> {
  // A disabled model is not offered: submits name it as unknown, the model list leaves it out.
  const [prices, groups] = await Promise.all([db.selectFrom('modelPrices').selectAll().where('enabled', '=', true).execute(), db.selectFrom('groups').selectAll().execute()]);
  return {
    prices: new Map(
      prices.map((p) => [
        p.model,
        {
          model: p.model,
          pricePerSecond: new Decimal(p.pricePerSecond),
          resolutionRatios: Object.fromEntries(Object.entries(p.resolutionRatios).map(([tier, ratio]) => [tier, new Decimal(ratio)])),
          createdAt: p.createdAt,
        },
      ]),
    ),
    groupRatios: new Map(groups.map((g) => [g.name, new Decimal(g.ratio)])),
  };
}
