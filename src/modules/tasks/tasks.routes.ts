// Client routes: EasyRouter's /v1/video/generations and the OpenAI-style /v1/videos.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { submitBodySchema } from './submit.schema.ts';
import {
  openAIVideoCreatedSchema,
  openAIVideoSchema,
  submitResponseSchema,
  taskEnvelopeSchema,
  toOpenAIVideo,
  toOpenAIVideoCreated,
  toSubmitResponse,
  toTaskRecord,
} from './task-views.ts';
import type { TaskService } from './tasks.service.ts';

export interface TaskRoutesOptions {
  tasks: TaskService;
  authenticate: (request: FastifyRequest) => Promise<void>;
}

const taskIdParams = z.object({ task_id: z.string().max(64).describe('Public task id returned at submit') });
const bearer = [{ apiKey: [] }];

export async function taskRoutes(app: FastifyInstance, { tasks, authenticate }: TaskRoutesOptions): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.addHook('onRequest', authenticate);

  r.post('/v1/video/generations', {
    schema: {
      operationId: 'submitVideoGeneration',
      tags: ['video generations'],
      summary: 'Submit a Wan 2.7 video task',
      security: bearer,
      body: submitBodySchema,
      response: { 200: submitResponseSchema },
    },
    handler: async (request) => toSubmitResponse(await tasks.submit(request.auth, request.body, request.log)),
  });

  r.get('/v1/video/generations/:task_id', {
    schema: {
      operationId: 'getVideoGeneration',
      tags: ['video generations'],
      summary: 'Query a task',
      security: bearer,
      params: taskIdParams,
      response: { 200: taskEnvelopeSchema },
    },
    handler: async (request) => ({
      code: 'success' as const,
      message: '',
      data: toTaskRecord(await tasks.record(request.auth, request.params.task_id)),
    }),
  });

  r.post('/v1/videos', {
    schema: {
      operationId: 'createVideo',
      tags: ['videos (OpenAI-compatible)'],
      summary: 'Submit a Wan 2.7 video task (same body as /v1/video/generations)',
      security: bearer,
      body: submitBodySchema,
      response: { 200: openAIVideoCreatedSchema },
    },
    handler: async (request) => toOpenAIVideoCreated(await tasks.submit(request.auth, request.body, request.log)),
  });

  r.get('/v1/videos/:task_id', {
    schema: {
      operationId: 'retrieveVideo',
      tags: ['videos (OpenAI-compatible)'],
      summary: 'Query a task as an OpenAI Video object',
      security: bearer,
      params: taskIdParams,
      response: { 200: openAIVideoSchema },
    },
    handler: async (request) => toOpenAIVideo(await tasks.get(request.auth, request.params.task_id)),
  });
}
