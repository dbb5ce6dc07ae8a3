// GET/HEAD /files/<key>: the local storage driver's objects, to whoever holds a signed link (made by
// LocalStorage.signedUrl). Only registered with the local driver; S3 links go to S3 directly.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { parseByteRange } from '../storage/byte-range.ts';
import type { LocalStorage } from '../storage/local-storage.ts';
import { InvalidStorageKeyError } from '../storage/object-keys.ts';
import { RangeNotSatisfiableError } from '../storage/range-errors.ts';

export interface FileRoutesOptions {
  storage: LocalStorage;
}

interface FileRequest {
  Params: { '*': string };
  Querystring: { expires?: unknown; signature?: unknown };
}

const DENIALS = {
  expired: { code: 'link_expired', message: 'this link has expired; ask the API for the task again to get a new one' },
  'bad-signature': { code: 'bad_signature', message: 'this link is not valid: its signature does not match' },
} as const;

const notFound = (reply: FastifyReply): FastifyReply =>
  reply.status(404).send({ code: 'not_found', message: 'the file no longer exists', data: null });

export async function fileRoutes(app: FastifyInstance, { storage }: FileRoutesOptions): Promise<void> {
  app.route<FileRequest>({
    method: ['GET', 'HEAD'],
    url: '/files/*',
    schema: { hide: true },
    handler: async (request, reply) => {
      const key = request.params['*'];
      const now = Date.now();
      const verdict = storage.checkLink(key, request.query.expires, request.query.signature, now);
      if (verdict !== 'valid') return reply.status(403).send({ ...DENIALS[verdict], data: null });

      const info = await storage.head(key).catch((err: unknown) => (err instanceof InvalidStorageKeyError ? null : Promise.reject(err)));
      if (!info) return notFound(reply);
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
        if (!object) return notFound(reply);
        return reply.send(object.body);
      } catch (err) {
        // The file shrank between the look and the read.
        if (err instanceof RangeNotSatisfiableError) return reply.status(416).header('content-range', `bytes */${err.bytes}`).send();
        throw err;
      }
    },
  });
}
