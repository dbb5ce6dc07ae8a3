// What both drivers offer beyond `Storage`: the worker's housekeeping lists objects (to purge old
// uploads), and ffmpeg needs somewhere it can read a stored video from.
import type { Storage } from './storage.ts';

export interface ListedObject {
  key: string;
  bytes: number;
  lastModified: Date;
}

export interface GatewayStorage extends Storage {
  /** Every object whose key starts with `prefix`, in no particular order. */
  list(prefix: string): AsyncIterable<ListedObject>;
  /**
   * A file path or URL from which a program on this machine (ffmpeg) can read the object, with
   * seeking, for the next few minutes.
   */
  readLocation(key: string): Promise<string>;
  /**
   * The origin of the links `signedUrl` gives when it is not this gateway's (S3's, or the bucket's
   * public endpoint), else null: the console's Content-Security-Policy must let media come from it.
   */
  linkOrigin(): Promise<string | null>;
  /** Releases connections (the S3 client's sockets); the storage is not used afterwards. */
  close(): void;
}
