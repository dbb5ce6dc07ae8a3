// Fetching a finished task's video from the upstream's link, as a stream, and knowing when that
// link can no longer work so the copy stops being retried.
import { Readable, Transform, type TransformCallback, pipeline } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/** DashScope keeps a task's video, and its link works, for 24 hours after the task ended. */
export const UPSTREAM_LINK_LIFETIME_MS = 24 * 3600 * 1000;

export type LinkState = { usable: true; deadline: number } | { usable: false; reason: string };

/**
 * Whether the link may still work at `now`, and until when: its `Expires` (unix seconds, as in
 * DashScope's signed OSS links) when it has one, and in any case no later than 24 h after the
 * task ended.
 */
export function linkState(resultUrl: string, finishTime: Date | null, now: number): LinkState {
  let url: URL;
  try {
    url = new URL(resultUrl);
  } catch {
    return { usable: false, reason: 'the task has no valid result link' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { usable: false, reason: 'the result link is not http(s)' };
  const expires = url.searchParams.get('Expires');
  const byExpires = expires && /^\d+$/.test(expires) ? Number(expires) * 1000 : Infinity;
  const deadline = Math.min(byExpires, (finishTime?.getTime() ?? now) + UPSTREAM_LINK_LIFETIME_MS);
  if (now >= deadline) {
    return { usable: false, reason: deadline === byExpires ? 'the upstream link has expired' : 'the task ended more than 24 hours ago' };
  }
  return { usable: true, deadline };
}

/** The upstream answered something other than the video. */
export class UpstreamRefusedError extends Error {
  readonly status: number;

  constructor(status: number) {
    super(`the upstream answered HTTP ${status} to the result download`);
    this.name = 'UpstreamRefusedError';
    this.status = status;
  }
}

/**
 * The link can never give a video the gateway keeps: it redirects, or its video is larger than
 * RESULT_MAX_BYTES. Retrying would not help.
 */
export class UnusableLinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnusableLinkError';
  }
}

/** Answers that, once the link's deadline has passed, mean the video is gone for good. */
export const GONE_STATUSES: ReadonlySet<number> = new Set([403, 404, 410]);

const tooLarge = (bytes: string | number, maxBytes: number) =>
  new UnusableLinkError(`the upstream's video (${bytes} bytes) is larger than the ${maxBytes}-byte limit (RESULT_MAX_BYTES)`);

/**
 * Opens the download. `idleTimeoutMs` bounds the wait for the answer and then every silence in
 * the body: a large video may take minutes, but never stalls that long. The stream fails when
 * the connection drops or the body is shorter than the Content-Length announced, so a truncated
 * video is never stored as if it were whole, and when it grows past `maxBytes`.
 *
 * Redirects are refused, not followed: DashScope's links are signed object-store URLs that answer
 * themselves, and the worker runs inside the operator's network, where following a redirect
 * would let whoever controls the link make it fetch any address.
 */
export async function openDownload(url: string, idleTimeoutMs: number, maxBytes: number): Promise<Readable> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`the upstream sent nothing for ${idleTimeoutMs} ms`)), idleTimeoutMs);
  let response: Response;
  try {
    // identity: the Content-Length then counts the bytes that arrive, so it can be checked.
    response = await fetch(url, { redirect: 'manual', signal: controller.signal, headers: { 'accept-encoding': 'identity' } });
  } catch (err) {
    clearTimeout(timer);
    throw err;
  }
  if (!response.ok || !response.body) {
    clearTimeout(timer);
    await response.body?.cancel().catch(() => {});
    if (response.status >= 300 && response.status < 400) {
      throw new UnusableLinkError(`the upstream link redirects (HTTP ${response.status}), and redirects are not followed`);
    }
    throw new UpstreamRefusedError(response.status);
  }
  const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const announced = response.headers.get('content-length');
  const expected = !encoded && announced && /^\d+$/.test(announced) ? Number(announced) : null;
  if (expected !== null && expected > maxBytes) {
    clearTimeout(timer);
    await response.body.cancel().catch(() => {});
    throw tooLarge(expected, maxBytes);
  }
  let received = 0;
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      timer.refresh();
      received += chunk.length;
      if (received > maxBytes) callback(tooLarge(`over ${maxBytes}`, maxBytes));
      else callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      clearTimeout(timer);
      if (received === 0) callback(new Error('the upstream sent an empty video'));
      else if (expected !== null && received !== expected) callback(new Error(`the upstream sent ${received} of ${expected} bytes`));
      else callback();
    },
  });
  guard.once('close', () => clearTimeout(timer));
  return pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), guard, () => {});
}
