// OpenAI's model routes, as client tools and `client.models.*` call them: the models the API key
// may use, each with its price. Errors are in OpenAI's shape (isOpenAIRoute).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ModelOffers } from './model-offers.ts';
import { modelListSchema, modelSchema, toModel } from './model-views.ts';

export interface ModelRoutesOptions {
  offers: ModelOffers;
  authenticate: (request: FastifyRequest) => Promise<void>;
}

const bearer = [{ apiKey: [] }];
const tags = ['models (OpenAI-compatible)'];
const modelParams = z.object({ model: z.string().describe('A model name, as GET /v1/models lists it') });

export async function modelRoutes(app: FastifyInstance, { offers, authenticate }: ModelRoutesOptions): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.addHook('onRequest', authenticate);

  r.get('/v1/models', {
    schema: {
      operationId: 'listModels',
      tags,
      summary: 'The models this API key may use, with their prices',
      description:
        "OpenAI's model list (`client.models.list()`): only the models the key's allow-list lets through and that have a price, each with `pricing`, what a second of video costs this key at each resolution.",
      security: bearer,
      response: { 200: modelListSchema },
      errors: ['invalid_api_key', 'unavailable'],
    },
    handler: async (request) => ({ object: 'list' as const, data: (await offers.list(request.auth)).map(toModel) }),
  });

  r.get('/v1/models/:model', {
    schema: {
      operationId: 'retrieveModel',
      tags,
      summary: 'A model this API key may use, with its price',
      description: "OpenAI's model object (`client.models.retrieve(id)`). A model the key may not use is 404, as one that does not exist.",
      security: bearer,
      params: modelParams,
      response: { 200: modelSchema },
      errors: [
        'invalid_api_key',
        { code: 'not_found', example: 'model wan2.7-x does not exist, or this API key may not use it; GET /v1/models lists the models it may use', param: 'model' },
        'unavailable',
      ],
    },
    handler: async (request) => toModel(await offers.get(request.auth, request.params.model)),
  });
}
