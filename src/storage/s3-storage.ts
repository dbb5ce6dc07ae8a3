// The S3 driver, for AWS S3 and S3-compatible stores (MinIO...). Uploads go through lib-storage's
// Upload: a body of unknown length (a video streaming in from the upstream) is sent in parts of
// PART_SIZE, at most QUEUE_SIZE in flight, so an upload holds a bounded amount of memory whatever
// the video's size, needs no scratch disk, retries a failed part on its own, and is aborted on
// S3 if it fails. Small bodies go up as one PutObject. Either way the object appears whole or not
// at all.
import {
  GetObjectCommand,
  HeadObjectCommand,
  DeleteObjectCommand,
  paginateListObjectsV2,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import { DigestStream, digestOf } from './content-digest.ts';
import type { GatewayStorage, ListedObject } from './gateway-storage.ts';
import { checkKey } from './object-keys.ts';
import { RangeNotSatisfiableError } from './range-errors.ts';
import type { ObjectRead, StoredObject } from './storage.ts';

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** For S3-compatible stores; empty for AWS. */
  endpoint: string;
  /**
   * Where clients reach the store when that differs from `endpoint` (MinIO inside a compose
   * network): links handed out are signed for this host, since the signature covers it.
   */
  publicEndpoint?: string;
  /** Both empty: the SDK's default credential chain (environment, profile, instance role...). */
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
}

/** S3 refuses presigned URLs valid for more than 7 days (SigV4). */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
/** How long the URL `readLocation` gives stays valid: long enough for ffmpeg to read a thumbnail. */
const READ_LOCATION_SECONDS = 15 * 60;
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 4;

const statusOf = (err: unknown): number | undefined => (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

export function s3ClientConfig(options: S3StorageOptions): S3ClientConfig {
  return {
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.accessKeyId && options.secretAccessKey
      ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
      : {}),
    // Since SDK 3.729 every upload carries a CRC checksum by default (aws-chunked trailers on
    // streams), which many S3-compatible stores refuse or store verbatim (aws/aws-sdk-js-v3#6810).
    // Against a custom endpoint the SDK only adds checksums where the operation requires one; the
    // gateway computes its own SHA-256 of every object anyway.
    ...(options.endpoint ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
  };
}

export class S3Storage implements GatewayStorage {
  readonly client: S3Client;
  readonly bucket: string;
  /** Signs the links clients get; `client` itself when they reach the store where we do. */
  readonly #linkClient: S3Client;

  constructor(options: S3StorageOptions) {
    if (!options.bucket) throw new Error('S3_BUCKET is required when STORAGE_DRIVER is s3');
    this.bucket = options.bucket;
    this.client = new S3Client(s3ClientConfig(options));
    this.#linkClient = options.publicEndpoint
      ? new S3Client(s3ClientConfig({ ...options, endpoint: options.publicEndpoint }))
      : this.client;
  }

  async put(key: string, body: Readable | Buffer, contentType: string): Promise<StoredObject> {
    checkKey(key);
    if (Buffer.isBuffer(body)) {
      await this.#upload(key, body, contentType);
      return digestOf(body);
    }
    const digest = new DigestStream();
    let bodyError: unknown;
    body.once('error', (err) => {
      bodyError = err;
      digest.destroy(err);
    });
    body.pipe(digest);
    try {
      await this.#upload(key, digest, contentType);
    } catch (err) {
      body.destroy();
      // The body's own failure is the cause; an error aborting the multipart upload would hide it.
      throw bodyError ?? err;
    }
    return digest.result();
  }

  async get(key: string, range?: { start: number; end?: number }): Promise<ObjectRead | null> {
    checkKey(key);
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end ?? ''}` } : {}) }),
      );
      if (!(response.Body instanceof Readable)) throw new Error('the S3 client returned a body that is not a Node.js stream');
      const contentType = response.ContentType ?? 'application/octet-stream';
      // "bytes 0-99/1234"; a store may ignore the Range header and send everything (no Content-Range).
      const parts = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.ContentRange ?? '');
      if (parts) {
        return { body: response.Body, bytes: Number(parts[3]), contentType, range: { start: Number(parts[1]), end: Number(parts[2]) } };
      }
      return { body: response.Body, bytes: response.ContentLength ?? 0, contentType };
    } catch (err) {
      if (statusOf(err) === 404) return null;
      if (statusOf(err) === 416) throw new RangeNotSatisfiableError(await this.#sizeOf(key));
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    // S3 answers a delete of a missing key with success already.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /**
   * A presigned GetObject URL. S3 caps those at 7 days, so a later `expiresAt` yields a link that
   * ends after 7 days; one in the past, a link that is already dead. With temporary credentials
   * (an instance role, SSO) the link also dies when the credentials that signed it do.
   */
  async signedUrl(key: string, expiresAt: Date): Promise<string> {
    const seconds = Math.floor((expiresAt.getTime() - Date.now()) / 1000);
    return this.#presign(this.#linkClient, key, Math.min(Math.max(seconds, 1), MAX_PRESIGN_SECONDS));
  }

  /**
   * Presigning is local (no request): the link of any key shows the origin clients are sent to,
   * bucket host (virtual-hosted style) or endpoint (path style) alike.
   */
  async linkOrigin(): Promise<string> {
    return new URL(await this.#presign(this.#linkClient, 'results/link-origin', 60)).origin;
  }

  /** For the gateway's own processes (ffmpeg), so signed for the endpoint they reach. */
  async readLocation(key: string): Promise<string> {
    return this.#presign(this.client, key, READ_LOCATION_SECONDS);
  }

  #presign(client: S3Client, key: string, expiresIn: number): Promise<string> {
    checkKey(key);
    return getSignedUrl(client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn });
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    for await (const page of paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: prefix })) {
      for (const object of page.Contents ?? []) {
        if (object.Key && object.LastModified) yield { key: object.Key, bytes: object.Size ?? 0, lastModified: object.LastModified };
      }
    }
  }

  async #upload(key: string, body: Readable | Buffer, contentType: string): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: body, ContentType: contentType },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  async #sizeOf(key: string): Promise<number> {
    const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    return head.ContentLength ?? 0;
  }

  close(): void {
    this.client.destroy();
    if (this.#linkClient !== this.client) this.#linkClient.destroy();
  }
}
