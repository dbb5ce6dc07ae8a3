// The OpenAI-style routes, as the official `openai` SDK calls them: create (JSON or multipart),
// retrieve, list, delete, content and remix.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EXAMPLE_TASK_ID } from '../../lib/ids.ts';
import { submitBodySchema } from './submit.schema.ts';
import {
  openAIVideoCreatedSchema,
  openAIVideoDeletedSchema,
  openAIVideoListSchema,
  openAIVideoSchema,
  toOpenAIVideo,
  toOpenAIVideoCreated,
} from './task-views.ts';
import { CONTENT_VARIANTS, sendVideoContent } from './video-content.ts';
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
import { streamTask } from './event-stream.ts';
import { fileResponses, RANGE_HEADERS, type ResponseHeader, type RouteError } from '../../http/route-docs.ts';
import type { TaskRow } from './tasks.repository.ts';

const videoIdParams = z.object({ video_id: z.string().max(64).describe('The video (task) id returned by create') });
const bearer = [{ apiKey: [] }];
const tags = ['videos (OpenAI-compatible)'];

const LIST_LIMIT = { default: 20, max: 100 };

const badVideoId: RouteError = { code: 'invalid_request', example: 'params video_id: Too big: expected string to have <=64 characters', param: 'video_id' };

const pollAfterHeaders: Record<string, ResponseHeader> = {
  'openai-poll-after-ms': {
    type: 'integer',
    description: "While the video is queued or in progress: wait this long before asking again (the server's POLL_INTERVAL_MS)",
  },
};

const listQuery = z.object({
  after: z.string().max(64).optional().describe('Start after this video id (the previous page\'s last_id)'),
  limit: z.coerce.number().int().min(1).max(LIST_LIMIT.max).default(LIST_LIMIT.default),
  order: z.enum(['asc', 'desc']).default('desc').describe('By creation time; newest first by default'),
});

const remixBody = z.object({ prompt: z.string().describe('How to change the video') }).meta({ examples: [{ prompt: 'Make it snow, keep everything else' }] });

export async function videoRoutes(app: FastifyInstance, options: TaskRoutesOptions): Promise<void> {
  const { tasks, authenticate, links, storage, multipartBody, pollAfterMs, events, openStreams, waitMaxS, resultMaxBytes } = options;
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.addHook('onRequest', authenticate);

  const resultUrl = async (task: TaskRow) => (task.status === 'SUCCESS' ? links.resultUrl(task) : '');
  const view = async (task: TaskRow) => toOpenAIVideo(task, await resultUrl(task));

  r.post('/v1/videos', {
    preValidation: multipartBody,
    schema: {
      operationId: 'createVideo',
      tags,
      summary: 'Create a video (same fields as /v1/video/generations, plus OpenAI\'s seconds and WxH size)',
      description: `JSON or multipart/form-data; with multipart, input_reference may be the image file itself. The model defaults to wan2.7-i2v with an input_reference, wan2.7-t2v without. ${IDEMPOTENCY_NOTE} ${WAIT_NOTE}`,
      security: bearer,
      consumes: ['application/json', 'multipart/form-data'],
      body: submitBodySchema,
      response: { 200: openAIVideoCreatedSchema },
      responseHeaders: { 200: { ...replayHeaders, ...preferenceHeaders } },
      errors: SUBMIT_ERRORS,
    },
    handler: async (request, reply) => {
      const { body } = request;
      const hasReference = body.input_reference !== undefined || request.uploadedFile !== undefined;
      const submitted = await tasks.submit(request.auth, body, {
        log: request.log,
        idempotencyKey: idempotencyKeyOf(request),
        defaultModel: hasReference ? 'wan2.7-i2v' : 'wan2.7-t2v',
        uploadedFile: request.uploadedFile,
      });
      const wait = waitPreference(request, reply, waitMaxS);
      const task = wait === null ? submitted.task : await tasks.waitForEnd(request.auth, submitted.task, wait * 1000);
      return withReplayHeader(reply, submitted).send(toOpenAIVideoCreated(task, await resultUrl(task)));
    },
  });

  r.get('/v1/videos', {
    schema: {
      operationId: 'listVideos',
      tags,
      summary: 'List your videos',
      security: bearer,
      querystring: listQuery,
      response: { 200: openAIVideoListSchema },
      errors: [{ code: 'invalid_request', example: `after must be the id of one of your videos; ${EXAMPLE_TASK_ID} is not`, param: 'after' }, 'invalid_api_key', 'unavailable'],
    },
    handler: async (request) => {
      const { tasks: page, hasMore } = await tasks.list(request.auth, { after: request.query.after ?? null, limit: request.query.limit, order: request.query.order });
      const data = await Promise.all(page.map(view));
      return { object: 'list' as const, data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: hasMore };
    },
  });

  r.get('/v1/videos/:video_id', {
    schema: {
      operationId: 'retrieveVideo',
      tags,
      summary: 'A video',
      description: WAIT_NOTE,
      security: bearer,
      params: videoIdParams,
      response: { 200: openAIVideoSchema },
      responseHeaders: { 200: { ...pollAfterHeaders, ...preferenceHeaders } },
      errors: [badVideoId, 'invalid_api_key', 'not_found', 'unavailable'],
    },
    handler: async (request, reply) => {
      const task = await tasks.get(request.auth, request.params.video_id);
      const wait = waitPreference(request, reply, waitMaxS);
      const video = await view(wait === null ? task : await tasks.waitForEnd(request.auth, task, wait * 1000));
      if (video.status === 'queued' || video.status === 'in_progress') reply.header('openai-poll-after-ms', String(pollAfterMs));
      return video;
    },
  });

  r.get('/v1/videos/:video_id/events', {
    schema: {
      operationId: 'streamVideo',
      tags,
      summary: "Follow a video's status as server-sent events",
      description: STREAM_NOTE,
      security: bearer,
      params: videoIdParams,
      response: eventStreamResponses,
      errors: [badVideoId, 'invalid_api_key', 'not_found', 'unavailable'],
    },
    handler: async (request, reply) => {
      const videoId = request.params.video_id;
      await streamTask(request, reply, {
        events,
        open: openStreams,
        load: () => tasks.get(request.auth, videoId),
        render: async (task) => {
          const video = await view(task);
          return { body: video, status: video.status };
        },
        queuePosition: (task) => tasks.queuePosition(task),
      });
    },
  });

  r.post('/v1/videos/:video_id/cancel', {
    schema: {
      operationId: 'cancelVideo',
      tags,
      summary: 'Cancel a video that has not started rendering',
      description: CANCEL_NOTE,
      security: bearer,
      params: videoIdParams,
      response: { 200: openAIVideoSchema },
      errors: [
        badVideoId,
        'invalid_api_key',
        'not_found',
        'conflict',
        'unavailable',
      ],
    },
    handler: async (request) => view(await tasks.cancel(request.auth, request.params.video_id)),
  });

  r.delete('/v1/videos/:video_id', {
    schema: {
      operationId: 'deleteVideo',
      tags,
      summary: 'Delete a video',
      description: 'The video and its files are gone for you at once; an unfinished task still runs to its end and is billed as usual.',
      security: bearer,
      params: videoIdParams,
      response: { 200: openAIVideoDeletedSchema },
      errors: [badVideoId, 'invalid_api_key', 'not_found', 'unavailable'],
    },
    handler: async (request) => {
      await tasks.remove(request.auth, request.params.video_id);
      return { id: request.params.video_id, object: 'video.deleted' as const, deleted: true as const };
    },
  });

  r.get('/v1/videos/:video_id/content', {
    schema: {
      operationId: 'downloadVideoContent',
      tags,
      summary: 'The video file (MP4), or its thumbnail',
      description: 'Streamed from the gateway\'s copy, or relayed from the upstream\'s link until the copy exists. A `Range` header gets part of the video (206), as players ask when seeking.',
      security: bearer,
      params: videoIdParams,
      querystring: z.object({ variant: z.enum(CONTENT_VARIANTS).default('video') }),
      response: fileResponses(['video/mp4', 'image/webp', 'image/jpeg'], 'The video (MP4), or with variant=thumbnail its thumbnail (WebP or JPEG)'),
      responseHeaders: RANGE_HEADERS,
      errors: [
        { code: 'invalid_request', example: `video ${EXAMPLE_TASK_ID} has no content: it is not finished yet`, param: 'video_id' },
        'invalid_api_key',
        { code: 'not_found', example: `video ${EXAMPLE_TASK_ID} is no longer available: it was deleted at the end of its retention period` },
        'unavailable',
      ],
    },
    handler: async (request, reply) =>
      sendVideoContent(reply, await tasks.get(request.auth, request.params.video_id), request.query.variant, request.headers.range, storage, resultMaxBytes),
  });

  r.post('/v1/videos/:video_id/remix', {
    preValidation: multipartBody,
    schema: {
      operationId: 'remixVideo',
      tags,
      summary: 'Edit a finished video by a new prompt (a wan2.7-videoedit task)',
      description: IDEMPOTENCY_NOTE,
      security: bearer,
      params: videoIdParams,
      body: remixBody,
      response: { 200: openAIVideoCreatedSchema },
      responseHeaders: { 200: replayHeaders },
      errors: [
        { code: 'invalid_request', example: `video ${EXAMPLE_TASK_ID} cannot be remixed: it is not finished yet`, param: 'video_id' },
        'invalid_api_key',
        'insufficient_user_quota',
        { code: 'model_not_allowed', example: 'this API key may not use wan2.7-videoedit; it is limited to wan2.7-t2v', param: 'model' },
        'not_found',
        'payload_too_large',
        'unsupported_media_type',
        'idempotency_key_reused',
        'too_many_inflight_tasks',
        'unavailable',
      ],
    },
    handler: async (request, reply) => {
      const submitted = await tasks.remix(request.auth, request.params.video_id, request.body, {
        log: request.log,
        idempotencyKey: idempotencyKeyOf(request),
      });
      return withReplayHeader(reply, submitted).send(toOpenAIVideoCreated(submitted.task));
    },
  });
}
