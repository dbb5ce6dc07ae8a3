// The result file behind every video_url: one small real MP4 served for every task, as OSS serves
// an object — signed-link check, Range requests, and OSS's XML error bodies.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { type LinkCheck, resultPath, type VideoLinks } from './video-links.ts';

export interface ResultVideoOptions {
  links: VideoLinks;
  video: Buffer;
}

interface ResultRequest {
  Params: { file: string };
  Querystring: { Expires?: string; Signature?: string };
}

const FILE = /^([\w-]+)\.mp4$/;

const DENIALS: Record<Exclude<LinkCheck, 'valid'>, { code: string; message: string }> = {
  unsigned: { code: 'AccessDenied', message: 'You have no right to access this object because of bucket acl.' },
  'bad-signature': {
    code: 'SignatureDoesNotMatch',
    message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  },
  expired: { code: 'AccessDenied', message: 'Request has expired.' },
};

export async function resultVideoRoutes(app: FastifyInstance, { links, video }: ResultVideoOptions): Promise<void> {
  app.get<ResultRequest>('/results/:file', async (request, reply) => {
    const taskId = FILE.exec(request.params.file)?.[1];
    const requestId = randomUUID().replaceAll('-', '').toUpperCase().slice(0, 24);
    reply.header('x-oss-request-id', requestId);
    if (!taskId) return sendOssError(reply, 404, 'NoSuchKey', 'The specified key does not exist.', requestId);
    const verdict = links.check(resultPath(taskId), request.query.Expires, request.query.Signature, Date.now());
    if (verdict !== 'valid') return sendOssError(reply, 403, DENIALS[verdict].code, DENIALS[verdict].message, requestId);

    reply.header('content-type', 'video/mp4').header('accept-ranges', 'bytes');
    const range = parseRange(request.headers.range, video.length);
    if (range === 'unsatisfiable') {
      return reply.status(416).header('content-range', `bytes */${video.length}`).send();
    }
    if (!range) return reply.header('content-length', video.length).send(video);
    const [start, end] = range;
    return reply
      .status(206)
      .header('content-range', `bytes ${start}-${end}/${video.length}`)
      .header('content-length', end - start + 1)
      .send(video.subarray(start, end + 1));
  });
}

/**
 * One `bytes=` range, inclusive; null means "send everything" (no header, or one this server does
 * not take, such as a multi-range, which a server may answer with the whole file).
 */
export function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | null {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return null;
  const [, first = '', last = ''] = match;
  if (first === '') {
    const suffix = Number(last);
    return suffix === 0 ? 'unsatisfiable' : [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(first);
  // A range ending before it starts is malformed, and a malformed Range header is ignored.
  if (last !== '' && Number(last) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return [start, last === '' ? size - 1 : Math.min(Number(last), size - 1)];
}

function sendOssError(reply: FastifyReply, status: number, code: string, message: string, requestId: string): FastifyReply {
  const xml = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<Error>',
    `  <Code>${code}</Code>`,
    `  <Message>${message}</Message>`,
    `  <RequestId>${requestId}</RequestId>`,
    '  <HostId>dashscope-simulator</HostId>',
    '</Error>',
    '',
  ].join('\n');
  return reply.status(status).header('content-type', 'application/xml').send(xml);
}
