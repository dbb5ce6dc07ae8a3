// What the two client route families share.
import type { FastifyReply, FastifyRequest } from 'fastify';
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
  /** RESULT_MAX_BYTES: the most the content route relays from an upstream link. */
  resultMaxBytes: number;
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
