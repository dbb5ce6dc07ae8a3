// An input_reference image a client uploaded is kept in the gateway's storage, which DashScope
// cannot reach; it goes upstream inside the request as a base64 data: URI, a form DashScope takes
// for images.
import type { Readable } from 'node:stream';
import { UPLOAD_SCHEME } from '../modules/tasks/uploads.ts';
import type { NormalizedRequest } from '../modules/tasks/normalize-request.ts';
import type { Storage } from '../storage/storage.ts';

export class MissingUploadError extends Error {
  constructor(key: string) {
    super(`the uploaded input_reference (${key}) is no longer in storage`);
    this.name = 'MissingUploadError';
  }
}

export async function inlineUploads(request: NormalizedRequest, storage: Storage): Promise<NormalizedRequest> {
  if (!request.media.some((item) => item.url.startsWith(UPLOAD_SCHEME))) return request;
  const media = await Promise.all(
    request.media.map(async (item) => (item.url.startsWith(UPLOAD_SCHEME) ? { ...item, url: await dataUri(storage, item.url.slice(UPLOAD_SCHEME.length)) } : item)),
  );
  return { ...request, media };
}

async function dataUri(storage: Storage, key: string): Promise<string> {
  const object = await storage.get(key);
  if (!object) throw new MissingUploadError(key);
  return `data:${object.contentType};base64,${(await readAll(object.body)).toString('base64')}`;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
