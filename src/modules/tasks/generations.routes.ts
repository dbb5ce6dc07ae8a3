// EasyRouter's routes: POST /v1/video/generations and GET /v1/video/generations/{task_id}.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { submitBodySchema } from './submit.schema.ts';
import { submitResponseSchema, taskEnvelopeSchema, toSubmitResponse, toTaskRecord } from './task-views.ts';
import { idempotencyKeyOf, type TaskRoutesOptions, withReplayHeader } from './route-support.ts';

const taskIdParams = z.object({ task_id: z.string().max(64).describe('Public task id returned at submit') });
const bearer = [{ apiKey: [] }];

export async function generationRoutes(app: FastifyInstance, { tasks, authenticate, links, multipartBody }: TaskRoutesOptions): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.addHook('onRequest', authenticate);

  r.post('/v1/video/generations', {
    schema: {
      operationId: 'submitVideoGeneration',
      tags: ['video generations'],
      summary: 'Submit a Wan 2.7 video task',
      description: 'With an Idempotency-Key header, the same key and body within 24 hours return the first task and charge once.',
      security: bearer,
      consumes: ['application/json', 'multipart/form-data'],
      body: submitBodySchema,
      response: { 200: submitResponseSchema },
    },
    // The same form /v1/videos takes: one parser for both, so a client may switch endpoints freely.
    preValidation: multipartBody,
    handler: async (request, reply) => {
      const submitted = await tasks.submit(request.auth, request.body, {
        log: request.log,
        idempotencyKey: idempotencyKeyOf(request),
        uploadedFile: request.uploadedFile,
      });
      return withReplayHeader(reply, submitted).send(toSubmitResponse(submitted.task));
    },
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
    handler: async (request) => {
      const task = await tasks.record(request.auth, request.params.task_id);
      return { code: 'success' as const, message: '', data: toTaskRecord(task, await links.resultUrl(task)) };
    },
  });
}
