// Request bodies are read as they arrive: none is decompressed. A body that says it is compressed
// is refused rather than parsed as if it were not, where real gzip would read as "not valid JSON"
// and a label that lies would be charged as plain JSON.
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { AppError, excerpt } from '../lib/errors.ts';

export function refuseEncodedBodies(app: FastifyInstance): void {
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const encoding = request.headers['content-encoding']?.trim() ?? '';
    if (encoding === '' || encoding.toLowerCase() === 'identity' || !hasBody(request.headers)) return done(null, payload);
    done(new AppError('unsupported_media_type', `Content-Encoding ${excerpt(encoding, 40)} is not supported; send the body uncompressed`));
  });
}

const hasBody = (headers: IncomingHttpHeaders): boolean =>
  headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
