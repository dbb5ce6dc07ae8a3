// The containers' health check (docker-compose.yml): `node src/entrypoints/healthcheck.ts <url>`
// exits 0 when the URL answers 2xx within 3 s, 1 otherwise. The images have no curl or wget, and
// one script beats a JavaScript one-liner repeated in every service.
const TIMEOUT_MS = 3_000;
const url = process.argv[2];
if (!url) {
  console.error('usage: node src/entrypoints/healthcheck.ts <url>');
  process.exit(2);
}
const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) }).catch(() => undefined);
process.exit(res?.ok ? 0 : 1);
