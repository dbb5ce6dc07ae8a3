// GET /v1/videos/{id}/content: the video (or its thumbnail) as bytes, from the gateway's copy
// when it has one, else relayed from the upstream's link. Byte ranges work either way, so players
// can seek.
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { FastifyReply } from 'fastify';
import { AppError, badRequest } from '../../lib/errors.ts';
import { parseByteRange } from '../../storage/byte-range.ts';
import { RangeNotSatisfiableError } from '../../storage/range-errors.ts';
import type { Storage } from '../../storage/storage.ts';
import type { TaskRow } from './tasks.repository.ts';

export const CONTENT_VARIANTS = ['video', 'thumbnail', 'spritesheet'] as const;
export type ContentVariant = (typeof CONTENT_VARIANTS)[number];

const UPSTREAM_TIMEOUT_MS = 30_000;

export async function sendVideoContent(
  reply: FastifyReply,
  task: TaskRow,
  variant: ContentVariant,
  rangeHeader: string | undefined,
  storage: Storage,
  /** RESULT_MAX_BYTES: the most the gateway relays from the upstream's link. */
  maxRelayBytes: number,
): Promise<FastifyReply> {
  if (task.status !== 'SUCCESS') {
    const state = task.status === 'FAILURE' ? 'failed' : 'not finished yet';
    throw badRequest(`video ${task.taskId} has no content: it is ${state}`, 'video_id');
  }
  if (variant === 'spritesheet') throw badRequest('variant spritesheet is not available; ask for video or thumbnail', 'variant');
  if (task.resultCopy === 'expired') {
    throw new AppError('not_found', `video ${task.taskId} is no longer available: it was deleted at the end of its retention period`);
  }
  if (variant === 'thumbnail') {
    if (task.resultCopy !== 'stored' || !task.thumbnailKey) throw new AppError('not_found', `video ${task.taskId} has no thumbnail`);
    // A thumbnail's size is not recorded, so a range of it is not honoured: HTTP lets a server send the whole.
    return sendStored(reply, storage, task.thumbnailKey, null, `${task.taskId}-thumbnail`);
  }
  if (task.resultCopy === 'stored' && task.resultKey) {
    const range = task.resultBytes === null ? null : parseByteRange(rangeHeader, Number(task.resultBytes));
    if (range === 'unsatisfiable') return reply.status(416).header('content-range', `bytes */${task.resultBytes}`).send();
    return sendStored(reply, storage, task.resultKey, range, task.taskId);
  }
  return relayUpstream(reply, task, rangeHeader, maxRelayBytes);
}

async function sendStored(reply: FastifyReply, storage: Storage, key: string, range: { start: number; end: number } | null, name: string) {
  let object;
  try {
    object = await storage.get(key, range ?? undefined);
  } catch (err) {
    if (!(err instanceof RangeNotSatisfiableError)) throw err;
    return reply.status(416).header('content-range', `bytes */${err.bytes}`).send();
  }
  if (!object) throw new AppError('not_found', `the file of ${name} is missing from storage`);
  const extension = object.contentType.split('/')[1]?.replace('jpeg', 'jpg') ?? 'bin';
  reply.header('content-type', object.contentType).header('accept-ranges', 'bytes').header('content-disposition', `inline; filename="${name}.${extension}"`);
  if (object.range) {
    reply.status(206).header('content-range', `bytes ${object.range.start}-${object.range.end}/${object.bytes}`);
    reply.header('content-length', object.range.end - object.range.start + 1);
  } else {
    reply.header('content-length', object.bytes);
  }
  return reply.send(object.body);
}

// Before the copy exists (it is made right after the task succeeds), the upstream's link serves.
// As for the copy (src/worker/result-copy-download.ts), redirects are not followed and no more
// than RESULT_MAX_BYTES is relayed.
async function relayUpstream(reply: FastifyReply, task: TaskRow, rangeHeader: string | undefined, maxBytes: number) {
  if (!task.resultUrl) throw new AppError('not_found', `video ${task.taskId} has no content`);
  let upstream: Response;
  try {
    upstream = await fetch(task.resultUrl, {
      redirect: 'manual',
      headers: rangeHeader ? { range: rangeHeader } : {},
      signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
    });
  } catch {
    throw new AppError('unavailable', `the video of ${task.taskId} could not be fetched from the upstream right now; try again`);
  }
  if (!upstream.ok || !upstream.body) {
    await upstream.body?.cancel();
    throw new AppError('not_found', `video ${task.taskId} is no longer available: the upstream's link answered ${upstream.status} and no copy was kept`);
  }
  const length = Number(upstream.headers.get('content-length') ?? NaN);
  if (length > maxBytes) {
    await upstream.body.cancel();
    throw new AppError('not_found', `video ${task.taskId} is not available: the upstream's file (${length} bytes) is larger than the gateway relays`);
  }
  reply.status(upstream.status === 206 ? 206 : 200);
  reply.header('content-type', upstream.headers.get('content-type') ?? 'video/mp4').header('content-disposition', `inline; filename="${task.taskId}.mp4"`);
  for (const header of ['content-length', 'content-range', 'accept-ranges']) {
    const value = upstream.headers.get(header);
    if (value) reply.header(header, value);
  }
  return reply.send(Readable.fromWeb(upstream.body as WebReadableStream).pipe(atMost(maxBytes)));
}

/** Passes bytes through until there are more than `maxBytes`, then fails (and the answer breaks off). */
function atMost(maxBytes: number): Transform {
  let passed = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      passed += chunk.length;
      callback(passed > maxBytes ? new Error(`more than ${maxBytes} bytes from the upstream`) : null, chunk);
    },
  });
}
