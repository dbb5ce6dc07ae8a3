// The OpenAI-style routes, as the official `openai` SDK calls them: create (JSON or multipart),
// retrieve, list, delete, content and remix.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
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
import { idempotencyKeyOf, type TaskRoutesOptions, withReplayHeader } from './route-support.ts';
import type { TaskRow } from './tasks.repository.ts';

const videoIdParams = z.object({ video_id: z.string().max(64).describe('The video (task) id returned by create') });
const bearer = [{ apiKey: [] }];
const tags = ['videos (OpenAI-compatible)'];

const LIST_LIMIT = { default: 20, max: 100 };

const listQuery = z.object({
  after: z.string().max(64).optional().describe('Start after this video id (the previous page\'s last_id)'),
  limit: z.coerce.number().int().min(1).max(LIST_LIMIT.max).default(LIST_LIMIT.default),
  order: z.enum(['asc', 'desc']).default('desc').describe('By creation time; newest first by default'),
});

const remixBody = z.object({ prompt: z.string().describe('How to change the video') });

export async function videoRoutes(app: FastifyInstance, { tasks, authenticate, links, storage, multipartBody, pollAfterMs, resultMaxBytes }: TaskRoutesOptions): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.addHook('onRequest', authenticate);

  const view = async (task: TaskRow) => toOpenAIVideo(task, task.status === 'SUCCESS' ? await links.resultUrl(task) : '');

  r.post('/v1/videos', {
    preValidation: multipartBody,
    schema: {
      operationId: 'createVideo',
      tags,
      summary: 'Create a video (same fields as /v1/video/generations, plus OpenAI\'s seconds and WxH size)',
      description:
        'JSON or multipart/form-data; with multipart, input_reference may be the image file itself. The model defaults to wan2.7-i2v with an input_reference, wan2.7-t2v without. An Idempotency-Key header makes a retry return the first video and charge once.',
      security: bearer,
      consumes: ['application/json', 'multipart/form-data'],
      body: submitBodySchema,
      response: { 200: openAIVideoCreatedSchema },
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
      return withReplayHeader(reply, submitted).send(toOpenAIVideoCreated(submitted.task));
    },
  });

  r.get('/v1/videos', {
    schema: { operationId: 'listVideos', tags, summary: 'List your videos', security: bearer, querystring: listQuery, response: { 200: openAIVideoListSchema } },
    handler: async (request) => {
      const { tasks: page, hasMore } = await tasks.list(request.auth, { after: request.query.after ?? null, limit: request.query.limit, order: request.query.order });
      const data = await Promise.all(page.map(view));
      return { object: 'list' as const, data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: hasMore };
    },
  });

  r.get('/v1/videos/:video_id', {
    schema: { operationId: 'retrieveVideo', tags, summary: 'A video', security: bearer, params: videoIdParams, response: { 200: openAIVideoSchema } },
    handler: async (request, reply) => {
      const video = await view(await tasks.get(request.auth, request.params.video_id));
      if (video.status === 'queued' || video.status === 'in_progress') reply.header('openai-poll-after-ms', String(pollAfterMs));
      return video;
    },
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
      security: bearer,
      params: videoIdParams,
      querystring: z.object({ variant: z.enum(CONTENT_VARIANTS).default('video') }),
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
      security: bearer,
      params: videoIdParams,
      body: remixBody,
      response: { 200: openAIVideoCreatedSchema },
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
