// The models an API key may use, each with what a second of video costs that key: the catalog's
// price, the key's group ratio and each resolution's ratio. A model is offered when a submit could
// use it: the gateway understands it, it has a price, the key's allow-list lets it through, and
// it has a ratio for at least one resolution a request can ask for.
import type { Decimal } from 'decimal.js';
import { AppError } from '../../lib/errors.ts';
import { type KeyIdentity, mayUseModel } from '../auth/key-identity.ts';
import { capabilityOf, RESOLUTIONS, type Resolution } from '../tasks/models.ts';
import type { ModelPrice, PriceCatalog } from './catalog.ts';
import { QUOTA_PER_UNIT, quotaPerSecond } from './quota.ts';

export interface ResolutionRate {
  resolution: Resolution;
  ratio: Decimal;
  /** Unrounded: a task costs this × its seconds, rounded half-up to a whole unit. */
  quotaPerSecond: Decimal;
  usdPerSecond: Decimal;
}

export interface ModelOffer {
  model: string;
  createdAt: Date;
  /** The list price of a second at resolution ratio 1, in USD. */
  pricePerSecond: Decimal;
  group: string;
  groupRatio: Decimal;
  rates: ResolutionRate[];
}

export type ModelOffers = ReturnType<typeof createModelOffers>;

export function createModelOffers(catalog: PriceCatalog) {
  function offer(price: ModelPrice, group: string, groupRatio: Decimal): ModelOffer {
    const rates = RESOLUTIONS.flatMap((resolution) => {
      const ratio = price.resolutionRatios[resolution];
      if (!ratio) return [];
      const quota = quotaPerSecond({ price_per_second: price.pricePerSecond, quota_per_unit: QUOTA_PER_UNIT, group_ratio: groupRatio, resolution_ratio: ratio });
      return [{ resolution, ratio, quotaPerSecond: quota, usdPerSecond: quota.div(QUOTA_PER_UNIT) }];
    });
    return { model: price.model, createdAt: price.createdAt, pricePerSecond: price.pricePerSecond, group, groupRatio, rates };
  }

  const offered = (auth: KeyIdentity, price: ModelPrice | undefined): price is ModelPrice =>
    price !== undefined && capabilityOf(price.model) !== undefined && mayUseModel(auth, price.model);

  return {
    async list(auth: KeyIdentity): Promise<ModelOffer[]> {
      const groupRatio = await catalog.groupRatio(auth.group);
      return (await catalog.prices())
        .filter((price) => offered(auth, price))
        .map((price) => offer(price, auth.group, groupRatio))
        .filter((o) => o.rates.length > 0);
    },

    /** One model; 404 for one the key may not use, as for one that does not exist (OpenAI does the same). */
    async get(auth: KeyIdentity, model: string): Promise<ModelOffer> {
      const price = await catalog.price(model);
      const found = offered(auth, price) ? offer(price, auth.group, await catalog.groupRatio(auth.group)) : undefined;
      if (!found || found.rates.length === 0) {
        throw new AppError('not_found', `model ${model} does not exist, or this API key may not use it; GET /v1/models lists the models it may use`, 'model');
      }
      return found;
    },
  };
}
