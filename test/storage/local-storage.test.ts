// The local driver on a real folder: what goes in comes out (whole or by range) with its size and
// checksum, keys cannot reach outside the folder, and a write is all or nothing.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileLinkSigner } from '../../src/storage/file-link-signer.ts';
import { LocalStorage } from '../../src/storage/local-storage.ts';
import { InvalidStorageKeyError } from '../../src/storage/object-keys.ts';
import { RangeNotSatisfiableError } from '../../src/storage/range-errors.ts';
import { filesUnder, scratchDir } from './helpers.ts';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const bytesOf = async (stream: Readable) => Buffer.concat(await stream.toArray());
const typeOf = async (key: string) => {
  const read = await storage.get(key);
  read?.body.destroy();
  return read?.contentType;
};

let dir: Awaited<ReturnType<typeof scratchDir>>;
let root: string;
let storage: LocalStorage;

beforeAll(async () => {
  dir = await scratchDir();
  // A folder that does not exist yet, two levels down.
  root = join(dir.path, 'not', 'yet');
  storage = await LocalStorage.open({ dir: root, signer: new FileLinkSigner(randomBytes(32).toString('hex'), 'http://files.test') });
});
afterAll(() => dir.remove());

describe('put and get', () => {
  it('creates its folder and stores a buffer with its size and SHA-256', async () => {
    expect((await stat(root)).isDirectory()).toBe(true);
    const data = randomBytes(70_001);
    expect(await storage.put('results/task_a.mp4', data, 'video/mp4')).toEqual({ bytes: data.length, sha256: sha256(data) });
    expect(await readFile(join(root, 'results/task_a.mp4'))).toEqual(data);
    const read = await storage.get('results/task_a.mp4');
    expect(read).toMatchObject({ bytes: data.length, contentType: 'video/mp4' });
    expect(read?.range).toBeUndefined();
    expect(await bytesOf(read!.body)).toEqual(data);
  });

  it('streams a body in, hashing it on the way', async () => {
    const chunks = Array.from({ length: 50 }, () => randomBytes(10_000));
    const whole = Buffer.concat(chunks);
    const stored = await storage.put('results/task_stream.mp4', Readable.from(chunks), 'video/mp4');
    expect(stored).toEqual({ bytes: whole.length, sha256: sha256(whole) });
    expect(await readFile(join(root, 'results/task_stream.mp4'))).toEqual(whole);
  });

  it('serves byte ranges, inclusive, clamped to the end, and refuses one past the end', async () => {
    const data = Buffer.from('0123456789abcdefghij');
    await storage.put('results/range.mp4', data, 'video/mp4');
    const middle = await storage.get('results/range.mp4', { start: 2, end: 5 });
    expect(middle).toMatchObject({ bytes: 20, range: { start: 2, end: 5 } });
    expect(await text(middle!.body)).toBe('2345');
    const tail = await storage.get('results/range.mp4', { start: 15 });
    expect(tail?.range).toEqual({ start: 15, end: 19 });
    expect(await text(tail!.body)).toBe('fghij');
    const beyond = await storage.get('results/range.mp4', { start: 18, end: 1000 });
    expect(beyond?.range).toEqual({ start: 18, end: 19 });
    expect(await text(beyond!.body)).toBe('ij');
    await expect(storage.get('results/range.mp4', { start: 20 })).rejects.toBeInstanceOf(RangeNotSatisfiableError);
    await expect(storage.get('results/range.mp4', { start: 20 })).rejects.toMatchObject({ bytes: 20 });
  });

  it('keeps a Content-Type its key does not imply', async () => {
    await storage.put('uploads/no-extension', Buffer.from('png-ish'), 'image/png');
    await storage.put('uploads/photo.jpg', Buffer.from('jpeg-ish'), 'image/jpeg');
    await storage.put('uploads/odd.jpg', Buffer.from('really a png'), 'image/png');
    expect(await typeOf('uploads/no-extension')).toBe('image/png');
    expect(await typeOf('uploads/photo.jpg')).toBe('image/jpeg');
    expect((await storage.head('uploads/odd.jpg'))?.contentType).toBe('image/png');
    // Replaced by an object of the type its name implies: the override goes.
    await storage.put('uploads/odd.jpg', Buffer.from('now a jpeg'), 'image/jpeg');
    expect(await typeOf('uploads/odd.jpg')).toBe('image/jpeg');
    expect(await filesUnder(join(root, 'uploads'))).toEqual(['.no-extension.content-type', 'no-extension', 'odd.jpg', 'photo.jpg']);
    await storage.delete('uploads/no-extension');
    expect(await filesUnder(join(root, 'uploads'))).toEqual(['odd.jpg', 'photo.jpg']);
  });

  it('answers null for a missing object, and deletes idempotently', async () => {
    expect(await storage.get('results/none.mp4')).toBeNull();
    expect(await storage.get('results/none.mp4', { start: 0 })).toBeNull();
    expect(await storage.head('results/none.mp4')).toBeNull();
    expect(await storage.get('nowhere/at/all.mp4')).toBeNull();
    await storage.put('results/gone.mp4', Buffer.from('x'), 'video/mp4');
    await storage.delete('results/gone.mp4');
    await storage.delete('results/gone.mp4');
    await storage.delete('never/existed.mp4');
    expect(await storage.get('results/gone.mp4')).toBeNull();
  });

  it('lists objects under a prefix, with sizes and dates, skipping its own hidden files', async () => {
    await storage.put('listing/a.png', Buffer.from('aa'), 'image/png');
    await storage.put('listing/deep/b.png', Buffer.from('bbb'), 'image/png');
    await storage.put('listing/deep/c', Buffer.from('c'), 'image/png');
    await storage.put('listingother/d.png', Buffer.from('d'), 'image/png');
    const listed = [];
    for await (const object of storage.list('listing/')) listed.push(object);
    expect(listed.map((o) => [o.key, o.bytes]).sort()).toEqual([['listing/a.png', 2], ['listing/deep/b.png', 3], ['listing/deep/c', 1]]);
    expect(listed.every((o) => o.lastModified instanceof Date && Date.now() - o.lastModified.getTime() < 60_000)).toBe(true);
    const partial = [];
    for await (const object of storage.list('listing')) partial.push(object.key);
    expect(partial.sort()).toEqual(['listing/a.png', 'listing/deep/b.png', 'listing/deep/c', 'listingother/d.png']);
    const none = [];
    for await (const object of storage.list('absent/')) none.push(object);
    expect(none).toEqual([]);
  });
});

describe('keys', () => {
  const escapes = ['../outside.mp4', 'results/../../outside.mp4', '/etc/passwd', 'results//x.mp4', '', '.hidden', 'results/.x.tmp', 'a/./b', 'a\\..\\b', 'a\0b', '%2e%2e/x', 'results/', 'x'.repeat(600)];

  it.each(escapes)('refuses %j for every operation', async (key) => {
    await expect(storage.put(key, Buffer.from('evil'), 'text/plain')).rejects.toBeInstanceOf(InvalidStorageKeyError);
    await expect(storage.get(key)).rejects.toBeInstanceOf(InvalidStorageKeyError);
    await expect(storage.delete(key)).rejects.toBeInstanceOf(InvalidStorageKeyError);
    await expect(storage.signedUrl(key, new Date(Date.now() + 60_000))).rejects.toBeInstanceOf(InvalidStorageKeyError);
    await expect(storage.head(key)).rejects.toBeInstanceOf(InvalidStorageKeyError);
  });

  it('never wrote anything outside its folder', async () => {
    expect(await filesUnder(dir.path).then((files) => files.filter((f) => !f.startsWith('not/yet/')))).toEqual([]);
  });
});

describe('atomic writes', () => {
  it('leaves the previous object, and no temporary file, when the body fails midway', async () => {
    const before = randomBytes(5_000);
    await storage.put('atomic/video.mp4', before, 'video/mp4');
    const failing = new Readable({ read() {} });
    failing.push(randomBytes(100_000));
    setTimeout(() => failing.destroy(new Error('connection reset')), 20);
    await expect(storage.put('atomic/video.mp4', failing, 'video/mp4')).rejects.toThrow('connection reset');
    expect(await readFile(join(root, 'atomic/video.mp4'))).toEqual(before);
    expect(await filesUnder(join(root, 'atomic'))).toEqual(['video.mp4']);
  });

  it('does not create the object when a first write fails', async () => {
    const failing = new Readable({ read() {} });
    failing.push(Buffer.from('partial'));
    setTimeout(() => failing.destroy(new Error('boom')), 10);
    await expect(storage.put('atomic/new.mp4', failing, 'video/mp4')).rejects.toThrow('boom');
    expect(await storage.get('atomic/new.mp4')).toBeNull();
    expect(await filesUnder(join(root, 'atomic'))).toEqual(['video.mp4']);
  });

  it('shows readers the old object, whole, until the new one is complete', async () => {
    const old = Buffer.alloc(300_000, 'o');
    const next = Buffer.alloc(400_000, 'n');
    await storage.put('atomic/swap.mp4', old, 'video/mp4');
    const body = new PassThrough();
    const writing = storage.put('atomic/swap.mp4', body, 'video/mp4');
    body.write(next.subarray(0, 200_000));
    await new Promise((r) => setTimeout(r, 50));
    const during = await storage.get('atomic/swap.mp4');
    expect(during?.bytes).toBe(old.length);
    expect(await bytesOf(during!.body)).toEqual(old);
    body.end(next.subarray(200_000));
    expect(await writing).toEqual({ bytes: next.length, sha256: sha256(next) });
    expect(await bytesOf((await storage.get('atomic/swap.mp4'))!.body)).toEqual(next);
  });

  it('ends concurrent writes of one key with one of them, whole', async () => {
    const versions = Array.from({ length: 6 }, (_, i) => Buffer.alloc(150_000 + i * 1000, String(i)));
    await Promise.all(versions.map((v) => storage.put('atomic/race.mp4', Readable.from([v.subarray(0, 1000), v.subarray(1000)]), 'video/mp4')));
    const final = await readFile(join(root, 'atomic/race.mp4'));
    expect(versions.some((v) => v.equals(final))).toBe(true);
    expect((await filesUnder(join(root, 'atomic'))).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('reads a file another process wrote into the folder', async () => {
    await writeFile(join(root, 'atomic/external.mp4'), 'from outside');
    expect(await text((await storage.get('atomic/external.mp4'))!.body)).toBe('from outside');
  });
});
