// OpenAI's Model object, as `client.models.list()` and `client.models.retrieve()` read it, with
// the gateway's price for the calling key added as `pricing`. Rates are decimal strings, exact
// as the catalog holds them (OpenRouter writes its prices the same way); quota amounts are numbers.
import { z } from 'zod';
import { unixSeconds } from '../../lib/time.ts';
import { RESOLUTIONS } from '../tasks/models.ts';
import type { ModelOffer } from './model-offers.ts';
import { QUOTA_PER_UNIT } from './quota.ts';

/** Who OpenAI's `owned_by` says makes the models: Alibaba's Wan, served through DashScope. */
const OWNED_BY = 'alibaba';

const decimal = (what: string) => z.string().regex(/^\d+(\.\d+)?$/).describe(what);

const resolutionRateSchema = z.object({
  resolution_ratio: decimal('What this resolution multiplies the price by'),
  usd_per_second: decimal('What one second costs this API key at this resolution, in USD: price_per_second × group_ratio × resolution_ratio'),
  quota_per_second: z
    .number()
    .describe(`The same in quota (${QUOTA_PER_UNIT} = 1 USD), unrounded: a task costs this × its seconds, rounded half-up to a whole unit`),
});

export const modelSchema = z
  .object({
    id: z.string().describe('The model name a submit takes'),
    object: z.literal('model'),
    created: z.int().describe('Unix seconds: when this gateway first priced the model'),
    owned_by: z.literal(OWNED_BY),
    pricing: z
      .object({
        currency: z.literal('USD'),
        unit: z.literal('second').describe('Prices are per second of video'),
        price_per_second: decimal('List price of one second at resolution ratio 1, in USD'),
        group: z.string().describe("The API key's user's pricing group"),
        group_ratio: decimal("What the group multiplies every price by"),
        quota_per_unit: z.literal(QUOTA_PER_UNIT).describe('Quota per USD'),
        resolutions: z
          .partialRecord(z.enum(RESOLUTIONS), resolutionRateSchema)
          .describe('The resolutions the model is offered at (720P, 1080P), each with its ratio and what a second costs'),
      })
      .describe("What this API key pays for the model (quota = price_per_second × quota_per_unit × group_ratio × seconds × resolution_ratio)"),
  })
  .meta({
    examples: [
      {
        id: 'wan2.7-t2v',
        object: 'model',
        created: 1764091234,
        owned_by: OWNED_BY,
        pricing: {
          currency: 'USD',
          unit: 'second',
          price_per_second: '0.1',
          group: 'default',
          group_ratio: '1',
          quota_per_unit: QUOTA_PER_UNIT,
          resolutions: {
            '720P': { resolution_ratio: '1', usd_per_second: '0.1', quota_per_second: 50_000 },
            '1080P': { resolution_ratio: '1.5', usd_per_second: '0.15', quota_per_second: 75_000 },
          },
        },
      },
    ],
  });

export const modelListSchema = z.object({
  object: z.literal('list'),
  data: z.array(modelSchema).describe('The models this API key may use, by name'),
});

export function toModel(offer: ModelOffer): z.infer<typeof modelSchema> {
  return {
    id: offer.model,
    object: 'model',
    created: unixSeconds(offer.createdAt),
    owned_by: OWNED_BY,
    pricing: {
      currency: 'USD',
      unit: 'second',
      price_per_second: offer.pricePerSecond.toFixed(),
      group: offer.group,
      group_ratio: offer.groupRatio.toFixed(),
      quota_per_unit: QUOTA_PER_UNIT,
      resolutions: Object.fromEntries(
        offer.rates.map((rate) => [
          rate.resolution,
          { resolution_ratio: rate.ratio.toFixed(), usd_per_second: rate.usdPerSecond.toFixed(), quota_per_second: rate.quotaPerSecond.toNumber() },
        ]),
      ),
    },
  };
}
