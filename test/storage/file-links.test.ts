// Signed links to the local driver's files, through the real /files/ route on a listening Fastify:
// they work until they expire, cannot be altered, serve ranges and HEAD, and are signed with a
// secret every process reads from the settings table.
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseOptions } from '../../src/config/env.ts';
import { openDatabase } from '../../src/db/database.ts';
import { createStorage, publicBaseUrl } from '../../src/storage/create-storage.ts';
import { FILE_LINK_SECRET_SETTING, loadFileLinkSecret } from '../../src/storage/file-link-secret.ts';
import { FileLinkSigner } from '../../src/storage/file-link-signer.ts';
import { LocalStorage } from '../../src/storage/local-storage.ts';
import { createResultLinks } from '../../src/storage/result-links.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { freePort } from '../helpers/free-port.ts';
import { scratchDir, serveFiles } from './helpers.ts';

let ctx: TestContext;
let dir: Awaited<ReturnType<typeof scratchDir>>;
let storage: LocalStorage;
let server: FastifyInstance;
let base: string;
const video = randomBytes(50_000);
const KEY = 'results/task_links.mp4';

beforeAll(async () => {
  ctx = await createTestContext();
  dir = await scratchDir();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const created = await createStorage({ ...ctx.config, STORAGE_DIR: dir.path, PUBLIC_BASE_URL: base }, ctx.db);
  if (!(created instanceof LocalStorage)) throw new Error('expected the local driver');
  storage = created;
  server = await serveFiles(storage, port);
  await storage.put(KEY, video, 'video/mp4');
});
afterAll(async () => {
  await server?.close();
  await ctx?.close();
  await dir?.remove();
});

const inAMinute = () => new Date(Date.now() + 60_000);
const denial = (code: string) => ({ code, message: expect.any(String), data: null });

function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/`, { path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('a valid link', () => {
  it('downloads the file with its type, length and a cache lifetime no longer than the link', async () => {
    const link = await storage.signedUrl(KEY, new Date(Date.now() + 3_600_000));
    expect(link).toMatch(new RegExp(`^${base}/files/results/task_links\\.mp4\\?expires=\\d+&signature=[0-9a-f]{64}$`));
    const res = await fetch(link);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(res.headers.get('content-length')).toBe(String(video.length));
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    const maxAge = Number(/^private, max-age=(\d+)$/.exec(res.headers.get('cache-control') ?? '')?.[1]);
    expect(maxAge).toBeGreaterThan(3_590);
    expect(maxAge).toBeLessThanOrEqual(3_600);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(video);
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await fetch(await storage.signedUrl(KEY, inAMinute()), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(video.length));
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  it('serves a byte range as 206 partial content', async () => {
    const link = await storage.signedUrl(KEY, inAMinute());
    const res = await fetch(link, { headers: { range: 'bytes=100-199' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 100-199/${video.length}`);
    expect(res.headers.get('content-length')).toBe('100');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(video.subarray(100, 200));

    const suffix = await fetch(link, { headers: { range: 'bytes=-10' } });
    expect(suffix.status).toBe(206);
    expect(Buffer.from(await suffix.arrayBuffer())).toEqual(video.subarray(-10));
    const open = await fetch(link, { headers: { range: `bytes=${video.length - 5}-` } });
    expect(Buffer.from(await open.arrayBuffer())).toEqual(video.subarray(-5));

    const head = await fetch(link, { method: 'HEAD', headers: { range: 'bytes=0-9' } });
    expect(head.status).toBe(206);
    expect(head.headers.get('content-length')).toBe('10');

    const beyond = await fetch(link, { headers: { range: `bytes=${video.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${video.length}`);

    // A range this server does not honour gets the whole file, as HTTP allows.
    const several = await fetch(link, { headers: { range: 'bytes=0-1,5-6' } });
    expect(several.status).toBe(200);
    expect(Buffer.from(await several.arrayBuffer())).toEqual(video);
  });

  it('answers 404 once the file is gone', async () => {
    await storage.put('results/short-lived.mp4', Buffer.from('soon gone'), 'video/mp4');
    const link = await storage.signedUrl('results/short-lived.mp4', inAMinute());
    expect((await fetch(link)).status).toBe(200);
    await storage.delete('results/short-lived.mp4');
    const res = await fetch(link);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 'not_found', message: expect.any(String), data: null });
  });
});

describe('a link that no longer works', () => {
  it('is refused as link_expired once its time is past', async () => {
    const res = await fetch(await storage.signedUrl(KEY, new Date(Date.now() - 1_000)));
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(denial('link_expired'));
  });

  it('works up to its expiry and not after', async () => {
    const expiresAt = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1_000);
    const link = await storage.signedUrl(KEY, expiresAt);
    expect((await fetch(link, { method: 'HEAD' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, expiresAt.getTime() - Date.now() + 20));
    expect((await fetch(link)).status).toBe(403);
  });

  it('is refused as bad_signature when any part of it was changed', async () => {
    await storage.put('results/other.mp4', Buffer.from('another video'), 'video/mp4');
    const link = new URL(await storage.signedUrl(KEY, inAMinute()));
    const signature = link.searchParams.get('signature')!;
    const variants: URL[] = [];
    const flipped = new URL(link);
    flipped.searchParams.set('signature', `${signature[0] === 'a' ? 'b' : 'a'}${signature.slice(1)}`);
    variants.push(flipped);
    const later = new URL(link);
    later.searchParams.set('expires', String(Number(link.searchParams.get('expires')) + 3_600));
    variants.push(later);
    const moved = new URL(link);
    moved.pathname = '/files/results/other.mp4';
    variants.push(moved);
    const unsigned = new URL(link);
    unsigned.searchParams.delete('signature');
    variants.push(unsigned);
    const undated = new URL(link);
    undated.searchParams.delete('expires');
    variants.push(undated);
    const doubled = new URL(link);
    doubled.searchParams.append('signature', signature);
    variants.push(doubled);
    for (const variant of variants) {
      const res = await fetch(variant);
      expect(res.status, variant.toString()).toBe(403);
      expect(await res.json()).toEqual(denial('bad_signature'));
    }
    expect((await fetch(link)).status).toBe(200);
  });

  it('cannot be aimed outside the storage folder', async () => {
    const link = new URL(await storage.signedUrl(KEY, inAMinute()));
    // Sent as written: fetch would resolve the dot segments before sending.
    for (const path of ['/files/results/../../../etc/passwd', '/files/results/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/files/..%2f..%2fetc%2fpasswd']) {
      const res = await rawGet(`${path}${link.search}`);
      expect(res.status, path).toBe(403);
      expect(JSON.parse(res.body), path).toEqual(denial('bad_signature'));
    }
  });

  it('signed by another secret is refused', async () => {
    const stranger = await LocalStorage.open({ dir: dir.path, signer: new FileLinkSigner(randomBytes(32).toString('hex'), base) });
    const res = await fetch(await stranger.signedUrl(KEY, inAMinute()));
    expect(res.status).toBe(403);
  });
});

describe('result links', () => {
  const task = { resultCopy: 'stored', resultKey: KEY, resultExpiresAt: null as Date | null, resultUrl: 'https://upstream.test/v.mp4?Expires=1' };

  it('hand out the stored copy for RESULT_LINK_TTL_S, the upstream link before', async () => {
    const links = createResultLinks(storage, { RESULT_LINK_TTL_S: 600 });
    const link = await links.linkFor(task);
    const expires = Number(new URL(link).searchParams.get('expires'));
    expect(expires * 1000).toBeGreaterThan(Date.now() + 590_000);
    expect(expires * 1000).toBeLessThanOrEqual(Date.now() + 600_000);
    expect(Buffer.from(await (await fetch(link)).arrayBuffer())).toEqual(video);
    expect(await links.linkFor({ ...task, resultCopy: 'pending' })).toBe(task.resultUrl);
    expect(await links.linkFor({ ...task, resultCopy: 'expired' })).toBe(task.resultUrl);
    expect(await links.linkFor({ ...task, resultCopy: 'failed', resultUrl: '' })).toBe('');
    expect(await links.thumbnailLinkFor({ resultCopy: 'stored', thumbnailKey: null, resultExpiresAt: null })).toBeNull();
    expect(await links.thumbnailLinkFor({ resultCopy: 'pending', thumbnailKey: 'results/x.thumbnail.webp', resultExpiresAt: null })).toBeNull();
  });

  it('never outlive the copy', async () => {
    const links = createResultLinks(storage, { RESULT_LINK_TTL_S: 86_400 });
    const resultExpiresAt = new Date(Date.now() + 120_000);
    const link = await links.linkFor({ ...task, resultExpiresAt });
    expect(Number(new URL(link).searchParams.get('expires'))).toBe(Math.floor(resultExpiresAt.getTime() / 1000));
    const thumb = await links.thumbnailLinkFor({ resultCopy: 'stored', thumbnailKey: KEY, resultExpiresAt });
    expect(Number(new URL(thumb!).searchParams.get('expires'))).toBe(Math.floor(resultExpiresAt.getTime() / 1000));
  });

  it('are based on PUBLIC_BASE_URL, else localhost and PORT', () => {
    expect(publicBaseUrl({ PUBLIC_BASE_URL: 'https://gw.example.com/', PORT: 3000 })).toBe('https://gw.example.com');
    expect(publicBaseUrl({ PUBLIC_BASE_URL: '', PORT: 4321 })).toBe('http://localhost:4321');
  });
});

describe('the link secret', () => {
  it('is made once, kept in the settings table, and shared by every process', async () => {
    const row = await ctx.db.selectFrom('settings').selectAll().where('key', '=', FILE_LINK_SECRET_SETTING).executeTakeFirstOrThrow();
    expect(row.value).toMatch(/^[0-9a-f]{64}$/);

    // Two processes starting at once on a database that has no secret yet.
    await ctx.db.deleteFrom('settings').where('key', '=', FILE_LINK_SECRET_SETTING).execute();
    const processes = [openDatabase(databaseOptions(ctx.config)), openDatabase(databaseOptions(ctx.config))];
    try {
      const secrets = await Promise.all(processes.flatMap((p) => Array.from({ length: 5 }, () => loadFileLinkSecret(p.db))));
      expect(new Set(secrets).size).toBe(1);
      const [a, b] = await Promise.all(processes.map((p) => createStorage({ ...ctx.config, STORAGE_DIR: dir.path, PUBLIC_BASE_URL: base }, p.db)));
      const stored = await ctx.db.selectFrom('settings').selectAll().where('key', '=', FILE_LINK_SECRET_SETTING).execute();
      expect(stored.map((s) => s.value)).toEqual([secrets[0]]);
      expect(stored[0]!.value).not.toBe(row.value);

      // A link made by one process is honoured by the other's route, and vice versa.
      const port = await freePort();
      const other = await serveFiles(b as LocalStorage, port);
      try {
        const fromA = new URL(await a!.signedUrl(KEY, inAMinute()));
        const res = await fetch(`http://127.0.0.1:${port}${fromA.pathname}${fromA.search}`);
        expect(res.status).toBe(200);
        expect(createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex')).toBe(createHash('sha256').update(video).digest('hex'));
        expect((b as LocalStorage).checkLink(KEY, fromA.searchParams.get('expires'), fromA.searchParams.get('signature'))).toBe('valid');
      } finally {
        await other.close();
      }
      // The route started before the change still holds the old secret: its links now fail there.
      expect((await fetch(await a!.signedUrl(KEY, inAMinute()))).status).toBe(403);
    } finally {
      for (const p of processes) await p.close();
    }
  });
});
