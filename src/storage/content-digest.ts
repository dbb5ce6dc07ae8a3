// Size and SHA-256 of what flows through, computed on the way so a video is read only once.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { StoredObject } from './storage.ts';

export class DigestStream extends Transform {
  #bytes = 0;
  readonly #hash = createHash('sha256');

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#bytes += chunk.length;
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  /** Only once everything has gone through. */
  result(): StoredObject {
    return { bytes: this.#bytes, sha256: this.#hash.digest('hex') };
  }
}

export const digestOf = (data: Buffer): StoredObject => ({ bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') });
