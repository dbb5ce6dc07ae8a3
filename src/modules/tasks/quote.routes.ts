// What a submit would cost, before submitting it: the same body, checked and priced by the same
// code as a submit (TaskService.quote), and nothing charged or written. It is one of EasyRouter's
// /v1/video/* routes, so its errors are `{code, message, data: null}`.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteError } from '../../http/route-docs.ts';
import { QUOTA_PER_UNIT, quotaToUsd } from '../pricing/quota.ts';
import type { TaskRoutesOptions } from './route-support.ts';
import { submitBodySchema } from './submit.schema.ts';
import { VIDEOEDIT_BILLED_SECONDS } from './models.ts';

// Decimal strings, exactly as the task's price snapshot keeps them.
const decimal = (what: string) => z.string().describe(what);

export const quoteSchema = z
  .object({
    object: z.literal('video.quote'),
    model: z.string(),
    resolution: z.string().describe('720P or 1080P, as the submit would be made'),
    seconds: z.int().describe(`Seconds charged at submit (wan2.7-videoedit: always ${VIDEOEDIT_BILLED_SECONDS}, settled to the seconds produced when it succeeds)`),
    quota: z.int().describe(`What the submit would charge, in quota (${QUOTA_PER_UNIT} = 1 USD)`),
    usd: z.number().describe('The same in USD'),
    price_per_second: decimal("The model's list price of one second at resolution ratio 1, in USD"),
    resolution_ratio: decimal('What the resolution multiplies the price by'),
    group: z.string().describe("The API key's user's pricing group"),
    group_ratio: decimal('What the group multiplies the price by'),
    quota_per_unit: z.int().describe(`Quota per USD (${QUOTA_PER_UNIT})`),
  })
  .describe('The price the submit would be charged: the same figures a submitted task keeps as its price snapshot')
  .meta({
    examples: [
      {
        object: 'video.quote',
        model: 'wan2.7-t2v',
        resolution: '720P',
        seconds: 5,
        quota: 250_000,
        usd: 0.5,
        price_per_second: '0.1',
        resolution_ratio: '1',
        group: 'default',
        group_ratio: '1',
        quota_per_unit: QUOTA_PER_UNIT,
      },
    ],
  });

/** A submit's errors, less those of charging (balance, in-flight limit, Idempotency-Key) and of a form upload. */
const QUOTE_ERRORS: RouteError[] = ['invalid_request', 'invalid_api_key', 'model_not_allowed', 'payload_too_large', 'unsupported_media_type', 'unavailable'];

export async function quoteRoutes(app: FastifyInstance, { tasks, authenticate }: TaskRoutesOptions): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.addHook('onRequest', authenticate);

  r.post('/v1/video/quote', {
    schema: {
      operationId: 'quoteVideoGeneration',
      tags: ['video generations'],
      summary: 'What a submit would cost, without submitting it',
      description:
        "Takes the body `POST /v1/video/generations` takes (as JSON: a quote needs no uploaded file) and checks it the same way: a body the submit would refuse gets the same 400 or 403 here. Answers what the submit would charge now; nothing is charged or stored, and the balance is not checked. Prices can change between the quote and the submit; the task's `quota` is what it was charged.",
      security: [{ apiKey: [] }],
      body: submitBodySchema,
      response: { 200: quoteSchema },
      errors: QUOTE_ERRORS,
    },
    handler: async (request) => {
      const price = await tasks.quote(request.auth, request.body, { log: request.log });
      return { object: 'video.quote' as const, ...price, usd: quotaToUsd(price.quota) };
    },
  });
}
