// What the two client route families share.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ResponseHeader, RouteError } from '../../http/route-docs.ts';
import type { Storage } from '../../storage/storage.ts';
import type { TaskRecordRow } from './tasks.repository.ts';
import type { Submitted, TaskService } from './tasks.service.ts';

export interface TaskRoutesOptions {
  tasks: TaskService;
  authenticate: (request: FastifyRequest) => Promise<void>;
  /** The link clients get for a finished task's video. */
  links: { resultUrl(task: TaskRecordRow): Promise<string> };
  storage: Storage;
  /** Turns a multipart/form-data create into the JSON body shape (OpenAI's SDKs send multipart). */
  multipartBody: (request: FastifyRequest) => Promise<void>;
  /** openai-poll-after-ms on an unfinished video: the gateway learns news of a task no faster than it polls. */
  pollAfterMs: number;
}

export const idempotencyKeyOf = (request: FastifyRequest): string | undefined => {
  const value = request.headers['idempotency-key'];
  return typeof value === 'string' ? value : undefined;
};

/** Tells the client when a create returned the task of an earlier request with its Idempotency-Key. */
export function withReplayHeader(reply: FastifyReply, submitted: Submitted): FastifyReply {
  if (submitted.replayed) reply.header('idempotent-replayed', 'true');
  return reply;
}

export const replayHeaders: Record<string, ResponseHeader> = {
  'idempotent-replayed': {
    type: 'string',
    enum: ['true'],
    description: 'Present when an earlier request with the same Idempotency-Key created this task; nothing was charged again',
  },
};

export const IDEMPOTENCY_NOTE =
  'With an `Idempotency-Key` header, the same key and body within 24 hours return the first task (with `Idempotent-Replayed: true`) and charge once; the same key with another body is 422. A replay whose first task has since been deleted is 404.';

/** What the two create routes can answer besides their task. */
export const SUBMIT_ERRORS: RouteError[] = [
  'invalid_request',
  'invalid_api_key',
  'insufficient_user_quota',
  'model_not_allowed',
  'not_found',
  'payload_too_large',
  'unsupported_media_type',
  'idempotency_key_reused',
  'too_many_inflight_tasks',
  'unavailable',
];
