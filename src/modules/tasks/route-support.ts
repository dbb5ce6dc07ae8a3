// What the two client route families share.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ResponseHeader, RouteError } from '../../http/route-docs.ts';
import type { Storage } from '../../storage/storage.ts';
import type { TaskEvents } from './task-events.ts';
import type { OpenStreams } from './event-stream.ts';
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
  /** Changes to tasks as they are committed anywhere (event streams follow them). */
  events: TaskEvents;
  /** Event streams open now; the server closes them when it shuts down. */
  openStreams: OpenStreams;
  /** The longest `Prefer: wait` honoured, in seconds. */
  waitMaxS: number;
  /** RESULT_MAX_BYTES: the most the content route relays from an upstream link. */
  resultMaxBytes: number;
}

const WAIT = /(?:^|[\s,;])wait\s*=\s*(\d{1,9})(?=$|[\s,;])/i;

/**
 * The seconds a request asks to wait for its task's end (RFC 7240 `Prefer: wait=N`), at most
 * `maxS`; null when it does not ask. The answer says what was applied (`Preference-Applied`).
 */
export function waitPreference(request: FastifyRequest, reply: FastifyReply, maxS: number): number | null {
  const prefer = request.headers.prefer;
  const match = WAIT.exec(Array.isArray(prefer) ? prefer.join(',') : (prefer ?? ''));
  if (!match) return null;
  const seconds = Math.min(Number(match[1]), maxS);
  reply.header('preference-applied', `wait=${seconds}`);
  return seconds;
}

export const preferenceHeaders: Record<string, ResponseHeader> = {
  'preference-applied': { type: 'string', description: 'wait=N when the request sent `Prefer: wait=N`: N is the wait applied (at most WAIT_MAX_S)' },
};

export const WAIT_NOTE =
  'With `Prefer: wait=N` (N seconds, at most the server\'s WAIT_MAX_S, default 60) the answer is held until the task is final or N seconds pass, then sent as usual with `Preference-Applied: wait=N`.';

export const STREAM_NOTE =
  'Server-sent events (`text/event-stream`): the task at once, then a message at every change with the same object the matching GET returns (plus `queue_position`, the tasks of the same model ahead of it, until it is sent upstream), an `end` event after the final state, and the stream closes. A comment every 15 s keeps proxies from closing a quiet stream. `Last-Event-ID` resumes where a dropped stream stopped; resuming after the end answers 204, which stops an EventSource.';

/** The answers of an event stream route. */
export const eventStreamResponses = {
  200: { description: 'The task\'s events', content: { 'text/event-stream': { schema: z.string() } } },
  204: z.null().describe('Last-Event-ID names the final event: the task has ended and there is nothing more to send'),
};

export const CANCEL_NOTE =
  'A task not yet running upstream (NOT_START, or PENDING at DashScope, which is cancelled there) ends FAILURE `Canceled: canceled by the client` with a full refund. A running or finished task is left as it is: 409, with `x-should-retry: false`.';

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
