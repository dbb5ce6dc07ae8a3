// The web console as the API serves it: caching, compression, the app's own paths, and the
// security headers on it, on the JSON API and on the API reference.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST, CONSOLE_INDEX } from '../../src/console/console-files.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { startS3Server } from '../storage/s3-server.ts';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx?.close());

const assetsOf = (html: string) => [...html.matchAll(/(?:src|href)="\/console\/(assets\/[^"]+)"/g)].map((m) => m[1]!);

describe('serving /console', () => {
  it('sends index.html to be revalidated every time, and hashed assets to be kept for a year, compressed', async () => {
    const index = await fetch(`${ctx.baseUrl}/console/`, { headers: { 'accept-encoding': 'br, gzip' } });
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const assets = assetsOf(html);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    for (const asset of assets) {
      const res = await fetch(`${ctx.baseUrl}/console/${asset}`, { headers: { 'accept-encoding': 'br' } });
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('content-encoding')).toBe('br');
      expect(res.headers.get('vary')).toMatch(/accept-encoding/i);
      // fetch decodes the brotli body: the bytes are the file's.
      expect(await res.text()).toBe(readFileSync(path.join(CONSOLE_DIST, asset), 'utf8'));
    }
  });

  it('answers the app for its own pages (deep links), a redirect for /console and a 404 for a missing asset', async () => {
    const deep = await fetch(`${ctx.baseUrl}/console/tasks/task_abc`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(readFileSync(CONSOLE_INDEX, 'utf8'));
    const bare = await fetch(`${ctx.baseUrl}/console`, { redirect: 'manual' });
    expect(bare.status).toBe(302);
    expect(bare.headers.get('location')).toBe('/console/');
    const missing = await ctx.http('GET', '/console/assets/nope-123.js');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ code: 'not_found', message: 'no such console file: /console/assets/nope-123.js', data: null });
  });

  it('keeps the first load within 300 KB of compressed JavaScript', () => {
    const html = readFileSync(CONSOLE_INDEX, 'utf8');
    // What index.html loads at once: its entry script and the modules it preloads; charts and the playground come later.
    const scripts = assetsOf(html).filter((a) => a.endsWith('.js'));
    const gzipped = scripts.reduce((sum, a) => sum + gzipSync(readFileSync(path.join(CONSOLE_DIST, a)), { level: 9 }).length, 0);
    expect(scripts.length).toBeGreaterThan(0);
    expect(gzipped).toBeLessThanOrEqual(300 * 1024);
    // React's production build (the build here ran under vitest's NODE_ENV=test): no development JSX.
    for (const script of scripts) expect(readFileSync(path.join(CONSOLE_DIST, script), 'utf8')).not.toContain('jsxDEV');
  });
});

describe('security headers', () => {
  it('puts a strict Content-Security-Policy and the usual headers on the console and /docs (inline styles there only)', async () => {
    for (const pathname of ['/console/', '/docs/']) {
      const res = await fetch(`${ctx.baseUrl}${pathname}`);
      expect(res.headers.get('content-type'), pathname).toMatch(/^text\/html/);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, pathname).toContain("default-src 'self'");
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      // Swagger UI styles itself inline; nothing else may, and no page may run inline scripts.
      expect(csp).toMatch(pathname.startsWith('/docs/') ? /style-src 'self' 'unsafe-inline'(;|$)/ : /style-src 'self'(;|$)/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('referrer-policy')).toBe('same-origin');
      // Results are embedded by customers' own sites: no same-origin resource policy.
      expect(res.headers.get('cross-origin-resource-policy')).toBeNull();
      // Plain http here: no HSTS.
      expect(res.headers.get('strict-transport-security')).toBeNull();
      // Local storage: every video and image is this origin's.
      expect(directive(csp, 'media-src')).toEqual(["'self'"]);
      expect(directive(csp, 'img-src')).toEqual(["'self'", 'data:']);
    }
  });

  it('gives JSON answers, refusals included, the short set of an API: nothing may load from them or frame them', async () => {
    const answers = [
      await fetch(`${ctx.baseUrl}/healthz`),
      await fetch(`${ctx.baseUrl}/openapi.json`),
      await fetch(`${ctx.baseUrl}/v1/models`, { headers: { authorization: 'Bearer sk-nosuchkey' } }),
      await fetch(`${ctx.baseUrl}/v1/no-such-route`),
    ];
    for (const res of answers) {
      expect(res.headers.get('content-type'), res.url).toMatch(/^application\/json/);
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      for (const name of ['referrer-policy', 'cross-origin-opener-policy', 'origin-agent-cluster', 'x-dns-prefetch-control', 'x-xss-protection']) {
        expect(res.headers.get(name), name).toBeNull();
      }
    }
    expect(answers.map((res) => res.status)).toEqual([200, 200, 401, 404]);
  });

  it("keeps a document's headers on a 304, whose headers update the cached page's", async () => {
    const first = await fetch(`${ctx.baseUrl}/console/`);
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    // fetch() adds `cache-control: no-cache` to a request with its own validators unless told otherwise.
    const again = await fetch(`${ctx.baseUrl}/console/`, { headers: { 'if-none-match': etag ?? '', 'cache-control': 'max-age=0' } });
    expect(again.status).toBe(304);
    expect(again.headers.get('content-security-policy')).toBe(first.headers.get('content-security-policy'));
    expect(again.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  it('sends HSTS on documents and JSON alike when the public address is https', async () => {
    const gateway = await createTestContext({ PUBLIC_BASE_URL: 'https://gateway.example' });
    try {
      for (const pathname of ['/console/', '/healthz']) {
        const res = await fetch(`${gateway.baseUrl}${pathname}`);
        expect(res.headers.get('strict-transport-security'), pathname).toBe('max-age=15552000');
      }
    } finally {
      await gateway.close();
    }
  });

  it("lets media and images come from the S3 store's public endpoint, and from no other origin, when results are kept on S3", async () => {
    const s3 = await startS3Server();
    try {
      // Behind a CDN or a compose network the links name S3_PUBLIC_ENDPOINT; else the endpoint itself.
      for (const [overrides, origin] of [
        [{ S3_PUBLIC_ENDPOINT: 'https://media.example.com:8443' }, 'https://media.example.com:8443'],
        [{}, s3.endpoint],
      ] as const) {
        const gateway = await createTestContext({
          STORAGE_DRIVER: 's3',
          S3_BUCKET: s3.bucket,
          S3_ENDPOINT: s3.endpoint,
          S3_ACCESS_KEY_ID: 'S3RVER',
          S3_SECRET_ACCESS_KEY: 'S3RVER',
          S3_FORCE_PATH_STYLE: 'true',
          ...overrides,
        });
        try {
          const csp = (await fetch(`${gateway.baseUrl}/console/`)).headers.get('content-security-policy') ?? '';
          expect(directive(csp, 'media-src')).toEqual(["'self'", origin]);
          expect(directive(csp, 'img-src')).toEqual(["'self'", 'data:', origin]);
          // Nothing else widened: scripts, styles and connections stay this origin's.
          for (const name of ['default-src', 'script-src', 'style-src', 'connect-src']) expect(directive(csp, name), name).toEqual(["'self'"]);
        } finally {
          await gateway.close();
        }
      }
    } finally {
      await s3.close();
    }
  }, 60_000);
});

/** The sources a Content-Security-Policy gives one directive. */
function directive(csp: string, name: string): string[] {
  const found = csp.split(';').map((d) => d.trim().split(/\s+/)).find(([n]) => n === name);
  return found?.slice(1) ?? [];
}
