// Result links shaped like DashScope's signed OSS URLs: Expires (unix seconds), OSSAccessKeyId and
// a Signature over path and expiry. The secret is made per instance, so links from an earlier run
// stop working just as a real link does after its expiry.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type LinkCheck = 'valid' | 'unsigned' | 'bad-signature' | 'expired';

export const resultPath = (taskId: string): string => `/results/${taskId}.mp4`;

export class VideoLinks {
  readonly #secret = randomBytes(32);
  readonly #retentionS: number;

  constructor(retentionS: number) {
    this.#retentionS = retentionS;
  }

  /** The link to a task's video, valid for the retention period after the task ended. */
  link(baseUrl: string, taskId: string, endedAt: number): string {
    const path = resultPath(taskId);
    // Rounded up so a link is never valid for less than the whole retention period.
    const expires = Math.ceil(endedAt / 1000) + this.#retentionS;
    const query = new URLSearchParams({ Expires: String(expires), OSSAccessKeyId: 'sim', Signature: this.#sign(path, expires) });
    return `${baseUrl.replace(/\/+$/, '')}${path}?${query}`;
  }

  check(path: string, expires: string | undefined, signature: string | undefined, now: number): LinkCheck {
    if (!expires || !signature || !/^\d+$/.test(expires)) return 'unsigned';
    // Expiry is judged first, so an old link reads as expired whether or not its secret is still known.
    if (now > Number(expires) * 1000) return 'expired';
    const expected = Buffer.from(this.#sign(path, Number(expires)));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected) ? 'valid' : 'bad-signature';
  }

  #sign(path: string, expires: number): string {
    return createHmac('sha256', this.#secret).update(`${path}\n${expires}`).digest('base64url');
  }
}
