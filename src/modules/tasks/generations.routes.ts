// EasyRouter's routes: submit, query, follow (server-sent events) and cancel a task.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { streamTask } from './event-stream.ts';
import { submitBodySchema } from './submit.schema.ts';
import { submitResponseSchema, taskEnvelopeSchema, toSubmitResponse, toTaskRecord } from './task-views.ts';
import type { TaskRow } from './tasks.repository.ts';
import {
  CANCEL_NOTE,
  eventStreamResponses,
  IDEMPOTENCY_NOTE,
  idempotencyKeyOf,
  preferenceHeaders,
  replayHeaders,
  STREAM_NOTE,
  SUBMIT_ERRORS,
  type TaskRoutesOptions,
  WAIT_NOTE,
  waitPreference,
  withReplayHeader,
} from './route-support.ts';

const taskIdParams = z.object({ task_id: z.string().max(64).describe('Public task id returned at submit') });
const bearer = [{ apiKey: [] }];
const tags = ['video generations'];
const badTaskId = { code: 'invalid_request', example: 'params task_id: Too big: expected string to have <=64 characters' } as const;

export async function generationRoutes(app: FastifyInstance, options: TaskRoutesOptions): Promise<void> {
  const { tasks, authenticate, links, multipartBody, events, openStreams, waitMaxS } = options;
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.addHook('onRequest', authenticate);

  const envelope = async (task: TaskRow) => ({ code: 'success' as const, message: '', data: toTaskRecord(task, await links.resultUrl(task)) });

  r.post('/v1/video/generations', {
    schema: {
      operationId: 'submitVideoGeneration',
      tags,
      summary: 'Submit a Wan 2.7 video task',
      description: `${IDEMPOTENCY_NOTE} ${WAIT_NOTE} A waiting submit answers with the task record, as the query does.`,
      security: bearer,
      consumes: ['application/json', 'multipart/form-data'],
      body: submitBodySchema,
      response: { 200: z.union([submitResponseSchema, taskEnvelopeSchema]) },
      responseHeaders: { 200: { ...replayHeaders, ...preferenceHeaders } },
      errors: SUBMIT_ERRORS,
    },
    // The same form /v1/videos takes: one parser for both, so a client may switch endpoints freely.
    preValidation: multipartBody,
    handler: async (request, reply) => {
      const submitted = await tasks.submit(request.auth, request.body, {
        log: request.log,
        idempotencyKey: idempotencyKeyOf(request),
        uploadedFile: request.uploadedFile,
      });
      const wait = waitPreference(request, reply, waitMaxS);
      withReplayHeader(reply, submitted);
      if (wait === null) return reply.send(toSubmitResponse(submitted.task));
      return reply.send(await envelope(await tasks.waitForEnd(request.auth, submitted.task, wait * 1000)));
    },
  });

  r.get('/v1/video/generations/:task_id', {
    schema: {
      operationId: 'getVideoGeneration',
      tags,
      summary: 'Query a task',
      description: WAIT_NOTE,
      security: bearer,
      params: taskIdParams,
      response: { 200: taskEnvelopeSchema },
      responseHeaders: { 200: preferenceHeaders },
      errors: [badTaskId, 'invalid_api_key', 'not_found', 'unavailable'],
    },
    handler: async (request, reply) => {
      const task = await tasks.get(request.auth, request.params.task_id);
      const wait = waitPreference(request, reply, waitMaxS);
      return envelope(wait === null ? task : await tasks.waitForEnd(request.auth, task, wait * 1000));
    },
  });

  r.get('/v1/video/generations/:task_id/events', {
    schema: {
      operationId: 'streamVideoGeneration',
      tags,
      summary: "Follow a task's status as server-sent events",
      description: STREAM_NOTE,
      security: bearer,
      params: taskIdParams,
      response: eventStreamResponses,
      errors: [badTaskId, 'invalid_api_key', 'not_found', 'unavailable'],
    },
    handler: async (request, reply) => {
      const taskId = request.params.task_id;
      await streamTask(request, reply, {
        events,
        open: openStreams,
        load: () => tasks.get(request.auth, taskId),
        render: async (task) => ({ body: await envelope(task), status: task.status }),
        queuePosition: (task) => tasks.queuePosition(task),
      });
    },
  });

  r.post('/v1/video/generations/:task_id/cancel', {
    schema: {
      operationId: 'cancelVideoGeneration',
      tags,
      summary: 'Cancel a task that has not started running',
      description: CANCEL_NOTE,
      security: bearer,
      params: taskIdParams,
      response: { 200: taskEnvelopeSchema },
      errors: [
        badTaskId,
        'invalid_api_key',
        'not_found',
        'conflict',
        'unavailable',
      ],
    },
    handler: async (request) => envelope(await tasks.cancel(request.auth, request.params.task_id)),
  });
}
