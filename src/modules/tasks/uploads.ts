// Images that come with a request (a multipart input_reference file, or a data: URI in a JSON
// body) are kept in the gateway's storage under the task's id, and the task's request refers to
// them as upload://<key>: the request stays small however large the images, although every poll
// and list reads it. The worker puts them back inline when it submits (src/worker/inline-uploads.ts);
// the hourly purge deletes them once no task can need them any more.
import { sha256Hex } from '../../lib/ids.ts';
import { checkKey, UPLOADS_PREFIX } from '../../storage/object-keys.ts';
import { dataUriImage, type ImageFile } from './images.ts';
import type { NormalizedRequest } from './normalize-request.ts';

export const UPLOAD_SCHEME = 'upload://';

/** An image to be written to storage once the request is known to be payable. */
export interface PendingUpload extends ImageFile {
  key: string;
  sha256: string;
}

/** The `index`th image of task `taskId`, to be kept as `uploads/<taskId>-<index>.<ext>`. */
export function pendingUpload(image: ImageFile, taskId: string, index: number): PendingUpload {
  return { ...image, key: checkKey(`${UPLOADS_PREFIX}${taskId}-${index}.${image.extension}`), sha256: sha256Hex(image.bytes) };
}

/**
 * Replaces every data: image among the request's media by a reference to an upload, which it adds
 * to `uploads`. The URIs were checked while the request was normalized.
 */
export function takeInlineImages(request: NormalizedRequest, taskId: string, uploads: PendingUpload[]): NormalizedRequest {
  if (!request.media.some((item) => item.url.startsWith('data:'))) return request;
  const media = request.media.map((item) => {
    const image = item.url.startsWith('data:') ? dataUriImage(item.url) : null;
    if (!image) return item;
    const upload = pendingUpload(image, taskId, uploads.length);
    uploads.push(upload);
    return { ...item, url: `${UPLOAD_SCHEME}${upload.key}` };
  });
  return { ...request, media };
}

/**
 * The request as its content identifies it, for Idempotency-Key comparisons: the same images sent
 * again are the same request although they would be kept under another task's keys.
 */
export function byContent(request: NormalizedRequest, uploads: PendingUpload[]): NormalizedRequest {
  if (uploads.length === 0) return request;
  const digests = new Map(uploads.map((u) => [`${UPLOAD_SCHEME}${u.key}`, `upload:sha256:${u.sha256}`]));
  return { ...request, media: request.media.map((item) => ({ ...item, url: digests.get(item.url) ?? item.url })) };
}
