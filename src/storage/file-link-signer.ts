// Links to the local driver's files: `/files/<key>?expires=<unix s>&signature=<hex>`, where the
// signature is HMAC-SHA256 of "<key>:<expires>" under a secret every process shares, so a link
// made by a worker or one API instance is honoured by all of them and cannot be altered.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type LinkVerdict = 'valid' | 'expired' | 'bad-signature';

export const FILES_PATH = '/files/';

export class FileLinkSigner {
  readonly #secret: Buffer;
  readonly #baseUrl: string;

  /** `secretHex`: the shared secret; `publicBaseUrl`: how clients reach the API. */
  constructor(secretHex: string, publicBaseUrl: string) {
    this.#secret = Buffer.from(secretHex, 'hex');
    if (this.#secret.length < 16) throw new Error('the file link secret must be at least 16 bytes of hex');
    this.#baseUrl = publicBaseUrl.replace(/\/+$/, '');
  }

  /** The link; it stops working at `expiresAt`, rounded down to the second. */
  link(key: string, expiresAt: Date): string {
    const expires = Math.floor(expiresAt.getTime() / 1000);
    const query = new URLSearchParams({ expires: String(expires), signature: this.#sign(key, expires) });
    return `${this.#baseUrl}${FILES_PATH}${key}?${query}`;
  }

  /**
   * The signature is judged before the expiry, so "expired" is only ever said of a link this
   * gateway made; a link someone altered is a bad signature whatever its dates.
   */
  check(key: string, expires: unknown, signature: unknown, nowMs: number): LinkVerdict {
    if (typeof expires !== 'string' || typeof signature !== 'string' || !/^\d{1,12}$/.test(expires)) return 'bad-signature';
    const expected = Buffer.from(this.#sign(key, Number(expires)), 'hex');
    const given = /^[0-9a-f]{64}$/i.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad-signature';
    return nowMs >= Number(expires) * 1000 ? 'expired' : 'valid';
  }

  #sign(key: string, expires: number): string {
    return createHmac('sha256', this.#secret).update(`${key}:${expires}`).digest('hex');
  }
}
