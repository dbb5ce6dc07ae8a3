// The S3 driver against a real S3-compatible server (s3rver, in-process): no mock of the SDK.
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import { createStorage } from '../../src/storage/create-storage.ts';
import { InvalidStorageKeyError } from '../../src/storage/object-keys.ts';
import { RangeNotSatisfiableError } from '../../src/storage/range-errors.ts';
import { MAX_PRESIGN_SECONDS, S3Storage } from '../../src/storage/s3-storage.ts';
import { purgeExpiredUploads } from '../../src/worker/result-retention.ts';
import { type S3Server, startS3Server } from './s3-server.ts';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const bytesOf = async (stream: Readable) => Buffer.concat(await stream.toArray());
// The S3 driver has no business with the database.
const noDatabase = new Proxy({}, { get: () => { throw new Error('the S3 driver touched the database'); } }) as Db;

let s3: S3Server;
let storage: S3Storage;

beforeAll(async () => {
  s3 = await startS3Server();
  const created = await createStorage(s3.config(), noDatabase);
  if (!(created instanceof S3Storage)) throw new Error('expected the S3 driver');
  storage = created;
});
afterAll(async () => {
  storage?.close();
  await s3?.close();
});

describe('put and get', () => {
  it('stores a buffer with its size, SHA-256 and type', async () => {
    const data = randomBytes(12_345);
    expect(await storage.put('results/task_small.mp4', data, 'video/mp4')).toEqual({ bytes: data.length, sha256: sha256(data) });
    const read = await storage.get('results/task_small.mp4');
    expect(read).toMatchObject({ bytes: data.length, contentType: 'video/mp4' });
    expect(read?.range).toBeUndefined();
    expect(await bytesOf(read!.body)).toEqual(data);
  });

  it('streams a large body of unknown length up in parts, hashing it on the way', async () => {
    const chunks = Array.from({ length: 330 }, () => randomBytes(64 * 1024));
    const whole = Buffer.concat(chunks);
    expect(whole.length).toBeGreaterThan(20 * 1024 * 1024);
    const stored = await storage.put('results/task_large.mp4', Readable.from(chunks), 'video/mp4');
    expect(stored).toEqual({ bytes: whole.length, sha256: sha256(whole) });
    const read = await storage.get('results/task_large.mp4');
    expect(read?.bytes).toBe(whole.length);
    expect(sha256(await bytesOf(read!.body))).toBe(sha256(whole));
  });

  it('serves byte ranges and refuses one past the end', async () => {
    const data = Buffer.from('0123456789abcdefghij');
    await storage.put('results/range.mp4', data, 'video/mp4');
    const middle = await storage.get('results/range.mp4', { start: 2, end: 5 });
    expect(middle).toMatchObject({ bytes: 20, range: { start: 2, end: 5 }, contentType: 'video/mp4' });
    expect((await bytesOf(middle!.body)).toString()).toBe('2345');
    const tail = await storage.get('results/range.mp4', { start: 15 });
    expect(tail?.range).toEqual({ start: 15, end: 19 });
    expect((await bytesOf(tail!.body)).toString()).toBe('fghij');
    const error = await storage.get('results/range.mp4', { start: 20 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RangeNotSatisfiableError);
    expect(error).toMatchObject({ bytes: 20 });
  });

  it('answers null for a missing object and deletes idempotently', async () => {
    expect(await storage.get('results/none.mp4')).toBeNull();
    await storage.put('results/gone.mp4', Buffer.from('x'), 'video/mp4');
    await storage.delete('results/gone.mp4');
    await storage.delete('results/gone.mp4');
    expect(await storage.get('results/gone.mp4')).toBeNull();
  });

  it('keeps the previous object, and creates none, when the body fails midway', async () => {
    const before = randomBytes(1_000);
    await storage.put('results/keep.mp4', before, 'video/mp4');
    const failing = (size: number) => {
      const body = new PassThrough();
      body.write(randomBytes(size));
      setTimeout(() => body.destroy(new Error('connection reset')), 30);
      return body;
    };
    await expect(storage.put('results/keep.mp4', failing(100_000), 'video/mp4')).rejects.toThrow('connection reset');
    expect(await bytesOf((await storage.get('results/keep.mp4'))!.body)).toEqual(before);
    // Past the first part, so a multipart upload had begun: it is aborted.
    await expect(storage.put('results/never.mp4', failing(9 * 1024 * 1024), 'video/mp4')).rejects.toThrow('connection reset');
    expect(await storage.get('results/never.mp4')).toBeNull();
  });

  it('refuses keys that are not plain relative paths', async () => {
    for (const key of ['../x.mp4', '/abs.mp4', 'a//b', '.hidden', '']) {
      await expect(storage.put(key, Buffer.from('x'), 'text/plain')).rejects.toBeInstanceOf(InvalidStorageKeyError);
      await expect(storage.get(key)).rejects.toBeInstanceOf(InvalidStorageKeyError);
      await expect(storage.signedUrl(key, new Date(Date.now() + 60_000))).rejects.toBeInstanceOf(InvalidStorageKeyError);
    }
  });
});

describe('presigned links', () => {
  const video = randomBytes(4_096);
  beforeAll(() => storage.put('results/task_link.mp4', video, 'video/mp4'));

  it('download the object until the expiry asked for', async () => {
    const link = await storage.signedUrl('results/task_link.mp4', new Date(Date.now() + 3_600_000));
    const url = new URL(link);
    expect(url.origin).toBe(s3.endpoint);
    expect(url.pathname).toBe(`/${s3.bucket}/results/task_link.mp4`);
    expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeGreaterThanOrEqual(3_599);
    expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(3_600);
    const res = await fetch(link);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(video);
    const part = await fetch(link, { headers: { range: 'bytes=0-9' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(video.subarray(0, 10));
  });

  it('are cut to the 7 days S3 allows', async () => {
    const link = await storage.signedUrl('results/task_link.mp4', new Date(Date.now() + 30 * 86_400_000));
    expect(Number(new URL(link).searchParams.get('X-Amz-Expires'))).toBe(MAX_PRESIGN_SECONDS);
    // s3rver, like S3, refuses a presigned URL valid for longer than that.
    expect((await fetch(link)).status).toBe(200);
  });

  it('stop working once expired', async () => {
    const link = await storage.signedUrl('results/task_link.mp4', new Date(Date.now() - 5_000));
    expect(new URL(link).searchParams.get('X-Amz-Expires')).toBe('1');
    await new Promise((r) => setTimeout(r, 2_100));
    const res = await fetch(link);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Request has expired');
  });

  it('give ffmpeg a URL to read from', async () => {
    const location = await storage.readLocation('results/task_link.mp4');
    expect(location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(Buffer.from(await (await fetch(location)).arrayBuffer())).toEqual(video);
  });

  it('are signed for S3_PUBLIC_ENDPOINT when clients reach the store elsewhere, while ffmpeg keeps the inner one', async () => {
    const publicEndpoint = s3.endpoint.replace('127.0.0.1', 'localhost');
    const behindProxy = await createStorage(s3.config({ S3_PUBLIC_ENDPOINT: publicEndpoint }), noDatabase);
    try {
      const link = await behindProxy.signedUrl('results/task_link.mp4', new Date(Date.now() + 60_000));
      expect(new URL(link).origin).toBe(publicEndpoint);
      expect(Buffer.from(await (await fetch(link)).arrayBuffer())).toEqual(video);
      expect(new URL(await behindProxy.readLocation('results/task_link.mp4')).origin).toBe(s3.endpoint);
      // What the console's Content-Security-Policy is given: the links' origin, not the inner one.
      expect(await behindProxy.linkOrigin()).toBe(publicEndpoint);
    } finally {
      behindProxy.close();
    }
  });

  it("name the bucket's own host on AWS (virtual-hosted style), which is the origin the console must allow", async () => {
    const aws = await createStorage(
      s3.config({ S3_ENDPOINT: '', S3_REGION: 'eu-west-1', S3_FORCE_PATH_STYLE: 'false', S3_ACCESS_KEY_ID: 'AKIDEXAMPLE', S3_SECRET_ACCESS_KEY: 'secret' }),
      noDatabase,
    );
    try {
      const link = await aws.signedUrl('results/task_link.mp4', new Date(Date.now() + 60_000));
      expect(new URL(link).origin).toBe(`https://${s3.bucket}.s3.eu-west-1.amazonaws.com`);
      expect(await aws.linkOrigin()).toBe(new URL(link).origin);
    } finally {
      aws.close();
    }
  });
});

describe('listing', () => {
  it('lists a prefix, with sizes and dates, and purges old uploads there only', async () => {
    await storage.put('uploads/a.png', Buffer.from('aa'), 'image/png');
    await storage.put('uploads/b.jpg', Buffer.from('bbb'), 'image/jpeg');
    const listed = [];
    for await (const object of storage.list('uploads/')) listed.push(object);
    expect(listed.map((o) => [o.key, o.bytes]).sort()).toEqual([['uploads/a.png', 2], ['uploads/b.jpg', 3]]);
    expect(listed.every((o) => Math.abs(Date.now() - o.lastModified.getTime()) < 60_000)).toBe(true);

    expect(await purgeExpiredUploads(storage, new Date(Date.now() - 3_600_000))).toBe(0);
    expect(await purgeExpiredUploads(storage, new Date(Date.now() + 60_000))).toBe(2);
    expect(await storage.get('uploads/a.png')).toBeNull();
    const rest = await storage.get('results/task_small.mp4');
    expect(rest).not.toBeNull();
    rest?.body.destroy();
  });
});
