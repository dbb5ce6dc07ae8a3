// Where the gateway keeps files of its own: copies of result videos (they outlive the upstream's
// 24-hour links), their thumbnails, and images clients upload as input_reference. One interface,
// a local-folder driver and an S3 driver.
import type { Readable } from 'node:stream';

export interface StoredObject {
  bytes: number;
  /** SHA-256 of the content, lowercase hex. */
  sha256: string;
}

export interface ObjectRead {
  body: Readable;
  /** Size of the whole object. */
  bytes: number;
  contentType: string;
  /** The byte range `body` holds, when a range was asked for. */
  range?: { start: number; end: number };
}

export interface Storage {
  /** Writes the object (replacing any with that key) and reports its size and checksum. */
  put(key: string, body: Readable | Buffer, contentType: string): Promise<StoredObject>;
  /**
   * The object, or null when there is none; `range` end is inclusive, as in HTTP, and is cut to the
   * object's last byte. A range starting at or past the end throws RangeNotSatisfiableError
   * (./range-errors.ts), which carries the object's size for a 416's Content-Range.
   */
  get(key: string, range?: { start: number; end?: number }): Promise<ObjectRead | null>;
  /** Removes the object; removing one that is not there is not an error. */
  delete(key: string): Promise<void>;
  /** A link anyone holding it can download the object from, until `expiresAt`. */
  signedUrl(key: string, expiresAt: Date): Promise<string>;
}
