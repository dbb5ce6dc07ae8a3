// The balance endpoints that client tools built for new-api and one-api read, in OpenAI's old
// billing shapes: the limit (`/dashboard/billing/subscription`) and what has been spent
// (`/dashboard/billing/usage`), whose difference is the balance. Served under /v1 and, as new-api
// does, without it (NextChat asks there). Errors are in OpenAI's shape (isOpenAIRoute).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { Decimal } from 'decimal.js';
import { z } from 'zod';
import { unixSeconds } from '../../lib/time.ts';
import { QUOTA_PER_UNIT, quotaToUsd } from '../pricing/quota.ts';
import type { BillingService } from './billing.service.ts';

export interface BillingRoutesOptions {
  billing: BillingService;
  authenticate: (request: FastifyRequest) => Promise<void>;
}

const usd = (what: string) => z.number().describe(`${what}, in USD (${QUOTA_PER_UNIT} quota = 1 USD)`);

const subscriptionSchema = z
  .object({
    object: z.literal('billing_subscription'),
    has_payment_method: z.literal(true).describe('Always true, as new-api answers'),
    soft_limit_usd: usd('Same as hard_limit_usd'),
    hard_limit_usd: usd(
      "What the API key has spent plus what it may still spend: its own spending limit (capped by what its user's balance still covers), or, for a key without one, its user's balance plus what the user has spent. hard_limit_usd − total_usage / 100 is the balance",
    ),
    system_hard_limit_usd: usd('Same as hard_limit_usd'),
    access_until: z.int().describe('Unix seconds when the API key expires; 0 if it never does'),
  })
  .meta({
    examples: [{ object: 'billing_subscription', has_payment_method: true, soft_limit_usd: 20, hard_limit_usd: 20, system_hard_limit_usd: 20, access_until: 0 }],
  });

const usageSchema = z
  .object({
    object: z.literal('list'),
    total_usage: z
      .number()
      .describe("What the API key (with its own spending limit) or its user (without) has spent, net of refunds, in US cents: the same scope as the subscription's limit"),
  })
  .meta({ examples: [{ object: 'list', total_usage: 150 }] });

const DATES_NOTE =
  'OpenAI\'s `start_date` and `end_date` query parameters are accepted and ignored, as new-api ignores them: the usage is all of it, so that the limit minus the usage is the balance whatever window a tool asks for.';

const cents = (quota: bigint): number => new Decimal(quota.toString()).times(100).div(QUOTA_PER_UNIT).toNumber();

export async function billingRoutes(app: FastifyInstance, { billing, authenticate }: BillingRoutesOptions): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.addHook('onRequest', authenticate);

  for (const { prefix, suffix, alias } of [
    { prefix: '/v1', suffix: '', alias: '' },
    { prefix: '', suffix: 'Unversioned', alias: ' Same as the route under /v1, at the path new-api also serves it (NextChat asks here).' },
  ]) {
    r.get(`${prefix}/dashboard/billing/subscription`, {
      schema: {
        operationId: `getBillingSubscription${suffix}`,
        tags: ['billing (new-api-compatible)'],
        summary: `The API key's spending limit${suffix ? ' (unversioned path)' : ''}`,
        description: `OpenAI's old billing subscription, as new-api and one-api answer it to client tools.${alias}`,
        security: [{ apiKey: [] }],
        response: { 200: subscriptionSchema },
        errors: ['invalid_api_key', 'unavailable'],
      },
      handler: async (request) => {
        const balance = await billing.balance(request.auth);
        const limit = quotaToUsd(balance.spent + balance.remaining);
        return {
          object: 'billing_subscription' as const,
          has_payment_method: true as const,
          soft_limit_usd: limit,
          hard_limit_usd: limit,
          system_hard_limit_usd: limit,
          access_until: unixSeconds(balance.expiresAt),
        };
      },
    });

    r.get(`${prefix}/dashboard/billing/usage`, {
      schema: {
        operationId: `getBillingUsage${suffix}`,
        tags: ['billing (new-api-compatible)'],
        summary: `What the API key has spent${suffix ? ' (unversioned path)' : ''}`,
        description: `OpenAI's old billing usage, as new-api and one-api answer it to client tools. ${DATES_NOTE}${alias}`,
        security: [{ apiKey: [] }],
        response: { 200: usageSchema },
        errors: ['invalid_api_key', 'unavailable'],
      },
      handler: async (request) => ({ object: 'list' as const, total_usage: cents((await billing.balance(request.auth)).spent) }),
    });
  }
}
