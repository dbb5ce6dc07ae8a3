// The local-folder driver. Writes go to a temporary file beside the target and are renamed over it
// once complete and flushed, so a reader (or a crash) never sees half an object: a key holds the
// old object or the new one. Files are served by the API's own /files/ route through signed links.
import { randomBytes } from 'node:crypto';
import { createWriteStream, type Dirent } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestStream } from './content-digest.ts';
import { contentTypeForKey } from './content-types.ts';
import type { FileLinkSigner, LinkVerdict } from './file-link-signer.ts';
import type { GatewayStorage, ListedObject } from './gateway-storage.ts';
import { checkKey, InvalidStorageKeyError } from './object-keys.ts';
import { RangeNotSatisfiableError } from './range-errors.ts';
import type { ObjectRead, StoredObject } from './storage.ts';

export interface LocalStorageOptions {
  /** The folder; created when missing. */
  dir: string;
  signer: FileLinkSigner;
}

export interface LocalObjectInfo {
  bytes: number;
  contentType: string;
  modifiedAt: Date;
}

const isMissing = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

// A key's Content-Type, when it is not the one its extension implies, is kept in a hidden file
// beside it; keys never start with a dot, so no key can collide with one.
const typeFileOf = (path: string): string => join(dirname(path), `.${basename(path)}.content-type`);
const tempFileOf = (path: string): string => join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);

export class LocalStorage implements GatewayStorage {
  readonly root: string;
  readonly #signer: FileLinkSigner;

  private constructor(root: string, signer: FileLinkSigner) {
    this.root = root;
    this.#signer = signer;
  }

  static async open({ dir, signer }: LocalStorageOptions): Promise<LocalStorage> {
    const root = resolve(dir);
    await mkdir(root, { recursive: true });
    return new LocalStorage(root, signer);
  }

  async put(key: string, body: Readable | Buffer, contentType: string): Promise<StoredObject> {
    const path = this.#pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = tempFileOf(path);
    const digest = new DigestStream();
    try {
      // flush: the data reaches the disk before the rename makes it visible.
      await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, digest, createWriteStream(temp, { flags: 'wx', flush: true }));
      const typeFile = typeFileOf(path);
      if (contentType === contentTypeForKey(key)) await rm(typeFile, { force: true });
      else await writeFile(typeFile, contentType);
      await rename(temp, path);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    return digest.result();
  }

  async get(key: string, range?: { start: number; end?: number }): Promise<ObjectRead | null> {
    const path = this.#pathOf(key);
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
    try {
      const { size } = await handle.stat();
      const contentType = await this.#contentTypeOf(key, path);
      if (!range) return { body: handle.createReadStream(), bytes: size, contentType };
      const end = Math.min(range.end ?? size - 1, size - 1);
      if (range.start >= size || end < range.start) throw new RangeNotSatisfiableError(size);
      return { body: handle.createReadStream({ start: range.start, end }), bytes: size, contentType, range: { start: range.start, end } };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Size, type and date of the object without opening it, or null when there is none. */
  async head(key: string): Promise<LocalObjectInfo | null> {
    const path = this.#pathOf(key);
    try {
      const info = await stat(path);
      if (!info.isFile()) return null;
      return { bytes: info.size, contentType: await this.#contentTypeOf(key, path), modifiedAt: info.mtime };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.#pathOf(key);
    await rm(path, { force: true });
    await rm(typeFileOf(path), { force: true });
  }

  async signedUrl(key: string, expiresAt: Date): Promise<string> {
    return this.#signer.link(checkKey(key), expiresAt);
  }

  /** Whether a link's query parameters grant access to `key` at `nowMs`. */
  checkLink(key: string, expires: unknown, signature: unknown, nowMs = Date.now()): LinkVerdict {
    return this.#signer.check(key, expires, signature, nowMs);
  }

  async readLocation(key: string): Promise<string> {
    return this.#pathOf(key);
  }

  /** Its links are this gateway's own /files/ paths. */
  async linkOrigin(): Promise<null> {
    return null;
  }

  close(): void {}

  async *list(prefix: string): AsyncIterable<ListedObject> {
    // The folder to walk is the prefix up to its last slash; the rest filters names.
    const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    yield* this.#walk(folder, prefix);
  }

  async *#walk(folder: string, prefix: string): AsyncIterable<ListedObject> {
    let entries: Dirent[];
    try {
      entries = await readdir(folder ? this.#pathOf(folder.slice(0, -1)) : this.root, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const key = `${folder}${entry.name}`;
      if (entry.isDirectory()) {
        if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* this.#walk(`${key}/`, prefix);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        const info = await stat(this.#pathOf(key)).catch((err: unknown) => (isMissing(err) ? null : Promise.reject(err)));
        if (info) yield { key, bytes: info.size, lastModified: info.mtime };
      }
    }
  }

  async #contentTypeOf(key: string, path: string): Promise<string> {
    try {
      return (await readFile(typeFileOf(path), 'utf8')) || contentTypeForKey(key);
    } catch (err) {
      if (isMissing(err)) return contentTypeForKey(key);
      throw err;
    }
  }

  // checkKey already refuses every way out of the folder; resolving and comparing again guards
  // against any rule of the platform's path handling that the key check did not foresee.
  #pathOf(key: string): string {
    const path = resolve(this.root, checkKey(key));
    if (!path.startsWith(this.root + sep)) throw new InvalidStorageKeyError(key);
    return path;
  }
}
