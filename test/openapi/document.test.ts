// The served OpenAPI document as a reader and a linter see it: Redocly's recommended rules pass
// without a warning, the guide at its top states this server's facts, and /docs carries the
// product's name. What each operation answers is test/openapi/contract.test.ts's business.
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRODUCT_NAME } from '../../src/http/openapi.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
// redocly.yaml lints this file, and .redocly.lint-ignore.yaml names it.
const LINTED = path.join(ROOT, 'openapi.json');
const REDOCLY = path.join(path.dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')), 'bin/cli.js');

let ctx: TestContext;
let doc: any;

beforeAll(async () => {
  ctx = await createTestContext({ POLL_INTERVAL_MS: '9000', RESULT_RETENTION_DAYS: '14' });
  doc = (await ctx.http('GET', '/openapi.json')).body;
});
afterAll(() => ctx.close());

const operations = () =>
  Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([route, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ route, method, operation })),
  );

describe('the OpenAPI document', () => {
  it("passes Redocly's recommended rules without an error or a warning", async () => {
    // 'wx': a file of someone else's by that name is not overwritten.
    await writeFile(LINTED, JSON.stringify(doc, null, 2), { flag: 'wx' });
    try {
      const run = await promisify(execFile)(process.execPath, [REDOCLY, 'lint', '--format=json'], {
        cwd: ROOT,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_NOTIFICATIONS: 'true' },
        maxBuffer: 16 * 1024 * 1024,
      }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
      const report = JSON.parse(run.stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string; location: { pointer: string }[] }[] };
      const problems = report.problems.map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
      expect(problems).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    } finally {
      await rm(LINTED, { force: true });
    }
  }, 60_000);

  it('names the server the gateway says it is at, and its license', () => {
    expect(doc.servers).toEqual([expect.objectContaining({ url: ctx.config.PUBLIC_BASE_URL })]);
    expect(doc.info).toMatchObject({ title: PRODUCT_NAME, license: { name: 'MIT', identifier: 'MIT' } });
  });

  it('declares the client key, the admin token and the metrics token as separate bearer schemes, the console cookie, and who needs which', async () => {
    expect(doc.components.securitySchemes).toEqual({
      apiKey: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      adminToken: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      metricsToken: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      consoleSession: expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'vgw_session' }),
    });
    const security = Object.fromEntries(operations().map(({ method, route, operation }) => [`${method} ${route}`, operation.security]));
    for (const [operation, required] of Object.entries(security)) {
      const route = operation.split(' ')[1]!;
      if (operation === 'post /v1/console/session') expect(required, operation).toEqual([]);
      else if (route === '/v1/console/session') expect(required, operation).toEqual([{ consoleSession: [] }]);
      else if (route.startsWith('/v1/me')) expect(required, operation).toEqual([{ apiKey: [] }, { consoleSession: [] }]);
      else if (route.startsWith('/v1/') || route.startsWith('/dashboard/')) expect(required, route).toEqual([{ apiKey: [] }]);
      else if (route.startsWith('/admin/')) expect(required, route).toEqual([{ adminToken: [] }]);
      // Public unless the server sets METRICS_TOKEN.
      else if (route === '/metrics') expect(required, route).toEqual([{}, { metricsToken: [] }]);
      else expect(required, route).toEqual([]);
    }
    expect(Object.keys(security)).toEqual(expect.arrayContaining(['get /healthz', 'get /readyz', 'get /openapi.json', 'get /files/{path}']));
  });

  it("opens with a guide to authentication, billing, statuses, polling and errors, in this server's terms", () => {
    const guide: string = doc.info.description;
    expect(guide).toContain('Authorization: Bearer sk-...');
    expect(guide).toContain('Authorization: Bearer <ADMIN_TOKEN>');
    expect(guide).toContain('quota = modelPrice × 500,000 × groupRatio × seconds × resolutionRatio');
    expect(guide).toMatch(/720P × 5 s \| .* \| \*\*250,000\*\*/);
    expect(guide).toMatch(/1080P × 10 s \| .* \| \*\*750,000\*\*/);
    for (const status of ['NOT_START', 'QUEUED', 'IN_PROGRESS', 'SUCCESS', 'FAILURE', 'queued', 'in_progress', 'completed', 'failed']) {
      expect(guide).toContain(`\`${status}\``);
    }
    expect(guide).toContain('every 9,000 ms');
    expect(guide).toContain('openai-poll-after-ms: 9000');
    expect(guide).toContain('sleep 9\n');
    expect(guide).toContain('keeps it\n14 days');
    expect(guide).toContain(`BASE=${ctx.config.PUBLIC_BASE_URL}\n`);
  });

  it('lists in its table of errors exactly the codes some operation answers, and what a 500 means', () => {
    const answered = new Set(
      operations().flatMap(({ operation }) =>
        Object.entries(operation.responses as Record<string, any>)
          .filter(([status]) => Number(status) >= 400)
          .flatMap(([, response]) => Object.keys(response.content?.['application/json']?.examples ?? {})),
      ),
    );
    const listed = [...(doc.info.description as string).matchAll(/^\| (\d{3}) \| `(\w+)` \|/gm)].map((m) => m[2]);
    expect(listed.sort()).toEqual([...answered, 'internal_error'].sort());
  });
});

describe('/docs', () => {
  it("is titled with the product's name", async () => {
    const page = await (await fetch(`${ctx.baseUrl}/docs/`)).text();
    expect(page).toContain(`<title>${PRODUCT_NAME}: API reference</title>`);
  });

  it("shows the product's name in the top bar instead of Fastify's banner", async () => {
    const script = await (await fetch(`${ctx.baseUrl}/docs/static/swagger-initializer.js`)).text();
    const logo = /data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)/.exec(script)?.[1];
    expect(Buffer.from(logo ?? '', 'base64').toString()).toContain(`>${PRODUCT_NAME}</tspan>`);
    const fastifyBanner = await readFile(path.join(path.dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui')), 'static/logo.svg'));
    expect(script).not.toContain(fastifyBanner.toString('base64').slice(0, 200));
  });
});
