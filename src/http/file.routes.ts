// GET/HEAD /files/<key>: the local storage driver's objects, to whoever holds a signed link (made by
// LocalStorage.signedUrl). Only registered with the local driver; S3 links go to S3 directly.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../lib/errors.ts';
import { parseByteRange } from '../storage/byte-range.ts';
import type { LocalStorage } from '../storage/local-storage.ts';
import { InvalidStorageKeyError } from '../storage/object-keys.ts';
import { RangeNotSatisfiableError } from '../storage/range-errors.ts';
import { fileResponses, RANGE_HEADERS } from './route-docs.ts';

export interface FileRoutesOptions {
  storage: LocalStorage;
}

interface FileRequest {
  Params: { '*': string };
  Querystring: { expires?: unknown; signature?: unknown };
}

const DENIALS = {
  expired: () => new AppError('link_expired', 'this link has expired; ask the API for the task again to get a new one'),
  'bad-signature': () => new AppError('bad_signature', 'this link is not valid: its signature does not match'),
} as const;

const fileGone = () => new AppError('not_found', 'the file no longer exists');

export async function fileRoutes(app: FastifyInstance, { storage }: FileRoutesOptions): Promise<void> {
  async function serveFile(request: FastifyRequest<FileRequest>, reply: FastifyReply) {
    const key = request.params['*'];
    const now = Date.now();
    const verdict = storage.checkLink(key, request.query.expires, request.query.signature, now);
    if (verdict !== 'valid') throw DENIALS[verdict]();

    const info = await storage.head(key).catch((err: unknown) => (err instanceof InvalidStorageKeyError ? null : Promise.reject(err)));
    if (!info) throw fileGone();
    // A cache may keep the file as long as the link lets anyone fetch it, and no longer.
    const secondsLeft = Math.max(0, Number(request.query.expires) - Math.floor(now / 1000));
    reply
      .header('content-type', info.contentType)
      .header('accept-ranges', 'bytes')
      .header('cache-control', `private, max-age=${secondsLeft}`)
      .header('last-modified', info.modifiedAt.toUTCString());

    const range = parseByteRange(request.headers.range, info.bytes);
    if (range === 'unsatisfiable') return reply.status(416).header('content-range', `bytes */${info.bytes}`).send();
    const length = range ? range.end - range.start + 1 : info.bytes;
    if (range) reply.status(206).header('content-range', `bytes ${range.start}-${range.end}/${info.bytes}`);
    reply.header('content-length', length);
    if (request.method === 'HEAD') return reply.send();

    try {
      const object = await storage.get(key, range ?? undefined);
      if (!object) throw fileGone();
      return reply.send(object.body);
    } catch (err) {
      // The file shrank between the look and the read.
      if (err instanceof RangeNotSatisfiableError) return reply.status(416).header('content-range', `bytes */${err.bytes}`).send();
      throw err;
    }
  }

  const docs = {
    operationId: 'downloadFile',
    tags: ['files'],
    summary: 'A video or thumbnail, by the signed link the API handed out',
    description:
      'The links in `result_url` and `metadata.url` (with the local storage driver). Use them as given: `path` may contain slashes, and `expires` and `signature` sign it. HEAD answers the same headers without the body.',
    security: [],
    // Documented as the strings they are, but not validated: the handler checks them itself, and
    // a missing or altered one is 403 bad_signature.
    querystring: z.object({
      expires: z.any().optional().meta({ type: 'string', description: 'Unix seconds after which the link stops working (always in the link)' }),
      signature: z.any().optional().meta({ type: 'string', description: 'HMAC-SHA256 of the path and expires (always in the link)' }),
    }),
    response: fileResponses(['video/mp4', 'image/webp', 'image/jpeg'], 'The file'),
    responseHeaders: RANGE_HEADERS,
    errors: ['link_expired', 'bad_signature', { code: 'not_found', example: 'the file no longer exists' }],
  } as const;
  // HEAD first, so Fastify does not derive one from GET (which would send Content-Length: 0).
  app.head<FileRequest>('/files/*', { schema: { hide: true } }, serveFile);
  app.get<FileRequest>('/files/*', { schema: docs }, serveFile);
}
