// The OpenAPI document against the code: every status the served document gives an operation is
// produced here by a real request to the real gateway, and the real answer is checked against
// what the document says for that status (its JSON body with a JSON Schema 2020-12 validator, its
// media type, its documented headers, and every error code it lists). An operation or a status
// without a driver below fails the first test, so the document cannot grow past what is tested.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { openDatabase } from '../../src/db/database.ts';
import { ADMIN_TOKEN } from '../helpers/context.ts';
import { createCustomer, createKey, type Customer, specExamples } from '../helpers/factories.ts';
import { freePort } from '../helpers/free-port.ts';
import { createGatewayContext, type GatewayContext, SIM_KEY, submit, waitForFinal } from '../helpers/gateway.ts';
import { type HttpClient, httpClient, type HttpResponse, type RequestOptions } from '../helpers/http.ts';
import { until } from '../helpers/until.ts';

interface MediaType {
  schema?: object;
  examples?: Record<string, { value: unknown }>;
}
interface Operation {
  operationId: string;
  responses: Record<string, { content?: Record<string, MediaType>; headers?: Record<string, { schema: { type: string; enum?: string[] } }> }>;
}
interface Documented {
  method: string;
  path: string;
  operation: Operation;
}

/** What one documented status is made of: one request, or several (one per error code, a replay...). */
type Driver = () => Promise<HttpResponse | HttpResponse[]>;

const BODY_LIMIT_BYTES = 64 * 1024;
const UNKNOWN_TASK = 'task_00000000000000000000000000000000';

let ctx: GatewayContext;
let doc: { paths: Record<string, Record<string, Operation>> };
let operations: Map<string, Documented>;
/** The same gateway without ADMIN_TOKEN, and one whose PostgreSQL has gone away. */
let adminless: { app: FastifyInstance; http: HttpClient };
let unready: { app: FastifyInstance; http: HttpClient; close(): Promise<void> };
/** The same gateway with METRICS_TOKEN set. */
let metricsLocked: { app: FastifyInstance; http: HttpClient };
const METRICS_TOKEN = 'test-metrics-token';

let alice: Customer;
/** Alice's finished video, whose copy the gateway holds. */
let finished: string;
/** Alice's video that is still being made (for minutes). */
let running: string;
/** A key of Alice's that may use wan2.7-t2v only. */
let t2vOnlyKey: string;
let t2vKeyId: number;
/** A customer without quota. */
let broke: Customer;
/** A customer whose key may have no unfinished task at all (max_inflight 0). */
let capped: Customer;
/** A customer whose quota went on one finished video. */
let spent: Customer & { video: string };
/** A key fenced to 192.0.2.0/24 (the tests call from 127.0.0.1), and one allowed a request a minute. */
let fenced: Customer;
let throttled: Customer;
/** A read-only admin token. */
let readToken: string;
/** The same gateway letting no failed admin authentication through: the next request is 429. */
let guarded: { app: FastifyInstance; http: HttpClient };
/** Records for the admin routes that change them. */
let spareChannel: number;

async function serve(app: FastifyInstance): Promise<HttpClient> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return httpClient(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
}

async function waitForCopy(taskId: string): Promise<void> {
  await until(async () => {
    const { rows } = await ctx.query('SELECT result_copy FROM tasks WHERE task_id = $1', [taskId]);
    return rows[0]?.result_copy === 'stored' ? true : undefined;
  }, `the copy of ${taskId}`);
}

beforeAll(async () => {
  // Private callback hosts: the finished video reports to a port on this machine that nobody answers.
  // Many 401 drivers call from one address: only the guarded gateway below slows them down.
  ctx = await createGatewayContext({
    env: { BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES), WEBHOOK_ALLOW_PRIVATE_HOSTS: 'true', ADMIN_AUTH_FAILURES_PER_MINUTE: '1000000' },
  });
  doc = (await ctx.http('GET', '/openapi.json')).body;
  operations = new Map(
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => [operation.operationId, { method: method.toUpperCase(), path, operation }] as const),
    ),
  );
  adminless = { app: await buildApp({ ...ctx, config: { ...ctx.config, ADMIN_TOKEN: '' } }), http: undefined as never };
  adminless.http = await serve(adminless.app);
  metricsLocked = { app: await buildApp({ ...ctx, config: { ...ctx.config, METRICS_TOKEN } }), http: undefined as never };
  metricsLocked.http = await serve(metricsLocked.app);
  const gone = openDatabase({ url: 'postgresql://postgres@127.0.0.1:1/none', poolSize: 1, statementTimeoutMs: 1_000, connectTimeoutMs: 1_000 });
  const unreadyApp = await buildApp({ ...ctx, config: ctx.config, db: gone.db });
  unready = { app: unreadyApp, http: await serve(unreadyApp), close: async () => (await unreadyApp.close(), await gone.close()) };

  guarded = { app: await buildApp({ ...ctx, config: { ...ctx.config, ADMIN_AUTH_FAILURES_PER_MINUTE: 1 } }), http: undefined as never };
  guarded.http = await serve(guarded.app);

  [alice, broke, capped] = await Promise.all([createCustomer(ctx.http, 1_000_000_000), createCustomer(ctx.http, 0), createCustomer(ctx.http, 1_000_000_000)]);
  [fenced, throttled] = await Promise.all([createCustomer(ctx.http, 1_000_000), createCustomer(ctx.http, 1_000_000)]);
  await ctx.http('PATCH', `/admin/keys/${fenced.keyId}`, { token: ADMIN_TOKEN, body: { allowed_ips: ['192.0.2.0/24'] } });
  await ctx.http('PATCH', `/admin/keys/${throttled.keyId}`, { token: ADMIN_TOKEN, body: { rpm_limit: 1 } });
  readToken = (await ctx.http('POST', '/admin/tokens', { token: ADMIN_TOKEN, body: { name: 'contract reader', scope: 'read' } })).body.token;
  spareChannel = (await ctx.http('POST', '/admin/channels', { token: ADMIN_TOKEN, body: { name: 'spare', base_url: ctx.simulatorUrl, api_key: SIM_KEY, priority: -100 } })).body.id;
  await ctx.query('UPDATE api_keys SET max_inflight = 0 WHERE id = $1', [capped.keyId]);
  const lean = await createCustomer(ctx.http, 250_000);
  ({ key: t2vOnlyKey, id: t2vKeyId } = await createKey(ctx.http, alice.userId, { models: ['wan2.7-t2v'] }));
  [finished, running] = await Promise.all([
    submit(ctx, alice.key, { ...specExamples.t2v, callback_url: `http://127.0.0.1:${await freePort()}/hook` }),
    submit(ctx, alice.key, { ...specExamples.t2v, prompt: 'a very long take [sim:ms=600000]' }),
  ]);
  spent = { ...lean, video: await submit(ctx, lean.key, specExamples.t2v) };
  for (const [key, task] of [[alice.key, finished], [lean.key, spent.video]] as const) {
    expect((await waitForFinal(ctx, key, task)).status).toBe('SUCCESS');
    await waitForCopy(task);
  }
}, 60_000);

afterAll(async () => {
  await adminless?.app.close();
  await metricsLocked?.app.close();
  await guarded?.app.close();
  await unready?.close();
  await ctx?.close();
});

// Requests, as a client, an operator or a stranger makes them.
const as = (token: string | undefined) => (method: string, path: string, options: RequestOptions = {}) => ctx.http(method, path, { token, ...options });
const admin = as(ADMIN_TOKEN);
const asAlice = (method: string, path: string, options?: RequestOptions) => as(alice.key)(method, path, options);
const stranger = as(undefined);
const wrongAdmin = as('not-the-admin-token');
const tooLarge = (token: string) => ({ token, body: { prompt: 'x'.repeat(BODY_LIMIT_BYTES) } });
const notJson = (token: string) => ({ token, raw: 'prompt=a cat', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
const disabledAdmin = (method: string, path: string, options: RequestOptions = {}) => adminless.http(method, path, { token: ADMIN_TOKEN, ...options });

let keySequence = 0;
const freshKey = () => ({ 'idempotency-key': `contract-${Date.now()}-${++keySequence}` });
/** A change made, then made again with the same Idempotency-Key: the replay says so. */
const withReplay = async (method: string, path: string, options: RequestOptions = {}) => {
  const headers = { ...options.headers, ...freshKey() };
  return [await admin(method, path, { ...options, headers }), await admin(method, path, { ...options, headers })];
};
/** A change whose Idempotency-Key was used for another change first. */
const reusedKey = async (method: string, path: string, options: RequestOptions = {}) => {
  const headers = freshKey();
  // A body no driver sends, so the second use is never the same request (a replay) by chance.
  expect((await admin('PATCH', `/admin/users/${broke.userId}`, { body: { name: 'broke', rpm_limit: null }, headers })).status).toBe(200);
  return admin(method, path, { ...options, headers: { ...options.headers, ...headers } });
};
/** The admin API off, and (for a change) a read-only token. */
const adminForbidden = (method: string, path: string, options: RequestOptions = {}) => async () => {
  const answers = [await disabledAdmin(method, path, options)];
  if (method !== 'GET') answers.push(await as(readToken)(method, path, options));
  return answers;
};
/** An address that failed to authenticate, asking again. */
const throttledAdmin = (method: string, path: string, options: RequestOptions = {}) => async () => {
  await guarded.http('GET', '/admin/me', { token: 'not-the-admin-token' });
  return guarded.http(method, path, { token: ADMIN_TOKEN, ...options });
};
/** The answers every admin route gives besides its own: 401, 403, 429 (and for a change, 422). */
const adminCommon = (method: string, path: string, options: RequestOptions = {}): Record<number, Driver> => {
  const common: Record<number, Driver> = {
    401: () => wrongAdmin(method, path, options),
    403: adminForbidden(method, path, options),
    429: throttledAdmin(method, path, options),
  };
  if (method !== 'GET') common[422] = () => reusedKey(method, path, options);
  return common;
};
const bodyErrors = (method: string, path: string): Record<number, Driver> => ({
  413: () => ctx.http(method, path, tooLarge(ADMIN_TOKEN)),
  415: () => ctx.http(method, path, notJson(ADMIN_TOKEN)),
});
/** A web console session of alice's key: its cookie header and CSRF token. */
async function aliceSession(): Promise<{ cookie: string; csrf: string }> {
  const res = await stranger('POST', '/v1/console/session', { body: { key: alice.key } });
  expect(res.status).toBe(201);
  return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]!, csrf: res.body.csrf_token };
}
/** A one-time console code for alice's key, as an operator gets it. */
async function consoleCode(): Promise<string> {
  const res = await admin('POST', `/admin/keys/${alice.keyId}/console-session`);
  expect(res.status).toBe(201);
  return res.body.code;
}
/** A session cookie for the gateway whose PostgreSQL is gone: it cannot even look the session up. */
const UNREADY_COOKIE = { cookie: 'vgw_session=any-session-token' };

/** A file link the gateway signed, as a client finds it in the task record. */
async function resultLink(): Promise<string> {
  const link = (await asAlice('GET', `/v1/video/generations/${finished}`)).body.data.result_url as string;
  expect(link).toMatch(/\/files\/.*signature=/);
  return link.slice(ctx.baseUrl.length);
}

/** Both create routes: the same body, the same errors, each in its family's envelope. */
function createDrivers(path: string): Record<number, Driver> {
  return {
    200: async () => {
      const headers = { 'idempotency-key': `create-${path}-${Date.now()}` };
      const first = await asAlice('POST', path, { body: specExamples.t2v, headers });
      const waited = await asAlice('POST', path, { body: specExamples.t2v, headers: { prefer: 'wait=20' } });
      return [first, await asAlice('POST', path, { body: specExamples.t2v, headers }), waited];
    },
    400: () => asAlice('POST', path, { body: { model: 'wan2.7-t2v' } }),
    401: () => stranger('POST', path, { body: specExamples.t2v }),
    402: () => as(broke.key)('POST', path, { body: specExamples.t2v }),
    403: () => as(t2vOnlyKey)('POST', path, { body: specExamples.r2v }),
    404: async () => {
      // A replay whose first task has been deleted since.
      const headers = { 'idempotency-key': `deleted-${path}-${Date.now()}` };
      const created = await asAlice('POST', path, { body: specExamples.t2v, headers });
      expect((await asAlice('DELETE', `/v1/videos/${created.body.id}`)).status).toBe(200);
      return asAlice('POST', path, { body: specExamples.t2v, headers });
    },
    413: () => ctx.http('POST', path, tooLarge(alice.key)),
    415: () => ctx.http('POST', path, notJson(alice.key)),
    422: async () => {
      const headers = { 'idempotency-key': `reused-${path}-${Date.now()}` };
      expect((await asAlice('POST', path, { body: specExamples.t2v, headers })).status).toBe(200);
      return asAlice('POST', path, { body: { ...specExamples.t2v, duration: 6 }, headers });
    },
    429: () => as(capped.key)('POST', path, { body: specExamples.t2v }),
    503: () => unready.http('POST', path, { token: alice.key, body: specExamples.t2v }),
  };
}

/** The events of a finished task: its state, then the end; and 204 to a client that saw the end. */
function streamDrivers(base: string): Record<number, Driver> {
  const events = (id: string) => `${base}/${id}/events`;
  return {
    200: () => asAlice('GET', events(finished)),
    204: async () => {
      const stream = (await asAlice('GET', events(finished))).body as string;
      const lastId = [...stream.matchAll(/^id: (.+)$/gm)].at(-1)![1]!;
      return asAlice('GET', events(finished), { headers: { 'last-event-id': lastId } });
    },
    400: () => asAlice('GET', events(`task_${'x'.repeat(64)}`)),
    401: () => stranger('GET', events(finished)),
    404: () => asAlice('GET', events(UNKNOWN_TASK)),
    503: () => unready.http('GET', events(finished), { token: alice.key }),
  };
}

function cancelDrivers(base: string): Record<number, Driver> {
  const cancel = (id: string) => `${base}/${id}/cancel`;
  return {
    200: async () => asAlice('POST', cancel(await submit(ctx, alice.key, { ...specExamples.t2v, prompt: '[sim:ms=60000] a cat' }))),
    400: () => asAlice('POST', cancel(`task_${'x'.repeat(64)}`)),
    401: () => stranger('POST', cancel(finished)),
    404: () => asAlice('POST', cancel(UNKNOWN_TASK)),
    409: () => asAlice('POST', cancel(finished)),
    503: () => unready.http('POST', cancel(finished), { token: alice.key }),
  };
}

/** The balance routes, at one of their two paths: the limit of a key with its own, and its spending. */
function billingDrivers(prefix: string, suffix: string): Record<string, Record<number, Driver>> {
  const path = (what: string) => `${prefix}/dashboard/billing/${what}`;
  return {
    [`getBillingSubscription${suffix}`]: {
      200: async () => [await asAlice('GET', path('subscription')), await as(spent.key)('GET', path('subscription'))],
      401: () => stranger('GET', path('subscription')),
      503: () => unready.http('GET', path('subscription'), { token: alice.key }),
    },
    [`getBillingUsage${suffix}`]: {
      200: async () => [await asAlice('GET', path('usage')), await as(spent.key)('GET', `${path('usage')}?start_date=2026-01-01&end_date=2026-02-01`)],
      401: () => stranger('GET', path('usage')),
      503: () => unready.http('GET', path('usage'), { token: alice.key }),
    },
  };
}

const drivers: Record<string, Record<number, Driver>> = {
  getOpenApiDocument: { 200: () => stranger('GET', '/openapi.json') },
  health: { 200: () => stranger('GET', '/healthz') },
  metrics: {
    200: async () => [await stranger('GET', '/metrics'), await metricsLocked.http('GET', '/metrics', { token: METRICS_TOKEN })],
    401: async () => metricsLocked.http('GET', '/metrics', { token: 'not-the-metrics-token' }),
  },
  ready: {
    200: () => stranger('GET', '/readyz'),
    503: () => unready.http('GET', '/readyz'),
  },

  submitVideoGeneration: createDrivers('/v1/video/generations'),
  getVideoGeneration: {
    200: async () => [await asAlice('GET', `/v1/video/generations/${finished}`), await asAlice('GET', `/v1/video/generations/${finished}`, { headers: { prefer: 'wait=5' } })],
    400: () => asAlice('GET', `/v1/video/generations/task_${'x'.repeat(64)}`),
    401: () => stranger('GET', `/v1/video/generations/${finished}`),
    404: () => asAlice('GET', `/v1/video/generations/${UNKNOWN_TASK}`),
    503: () => unready.http('GET', `/v1/video/generations/${finished}`, { token: alice.key }),
  },

  createVideo: createDrivers('/v1/videos'),
  streamVideoGeneration: streamDrivers('/v1/video/generations'),
  cancelVideoGeneration: cancelDrivers('/v1/video/generations'),
  streamVideo: streamDrivers('/v1/videos'),
  cancelVideo: cancelDrivers('/v1/videos'),
  listVideos: {
    200: () => asAlice('GET', '/v1/videos?limit=2'),
    400: () => asAlice('GET', `/v1/videos?after=${UNKNOWN_TASK}`),
    401: () => stranger('GET', '/v1/videos'),
    503: () => unready.http('GET', '/v1/videos', { token: alice.key }),
  },
  retrieveVideo: {
    // Unfinished, it says when to ask again.
    200: async () => [
      await asAlice('GET', `/v1/videos/${finished}`),
      await asAlice('GET', `/v1/videos/${running}`),
      await asAlice('GET', `/v1/videos/${finished}`, { headers: { prefer: 'wait=5' } }),
    ],
    400: () => asAlice('GET', `/v1/videos/task_${'x'.repeat(64)}`),
    401: () => stranger('GET', `/v1/videos/${finished}`),
    404: () => asAlice('GET', `/v1/videos/${UNKNOWN_TASK}`),
    503: () => unready.http('GET', `/v1/videos/${finished}`, { token: alice.key }),
  },
  deleteVideo: {
    200: async () => asAlice('DELETE', `/v1/videos/${await submit(ctx, alice.key, specExamples.t2v)}`),
    400: () => asAlice('DELETE', `/v1/videos/task_${'x'.repeat(64)}`),
    401: () => stranger('DELETE', `/v1/videos/${finished}`),
    404: () => asAlice('DELETE', `/v1/videos/${UNKNOWN_TASK}`),
    503: () => unready.http('DELETE', `/v1/videos/${finished}`, { token: alice.key }),
  },
  downloadVideoContent: {
    200: () => asAlice('GET', `/v1/videos/${finished}/content`),
    206: () => asAlice('GET', `/v1/videos/${finished}/content`, { headers: { range: 'bytes=0-99' } }),
    400: () => asAlice('GET', `/v1/videos/${running}/content`),
    401: () => stranger('GET', `/v1/videos/${finished}/content`),
    404: () => asAlice('GET', `/v1/videos/${UNKNOWN_TASK}/content`),
    416: () => asAlice('GET', `/v1/videos/${finished}/content`, { headers: { range: 'bytes=100000000-' } }),
    503: async () => {
      // No copy, and the upstream's link does not answer.
      const video = await submit(ctx, alice.key, specExamples.t2v);
      expect((await waitForFinal(ctx, alice.key, video)).status).toBe('SUCCESS');
      await waitForCopy(video);
      const deadLink = `http://127.0.0.1:${await freePort()}/${video}.mp4`;
      await ctx.query(`UPDATE tasks SET result_copy = 'failed', result_url = $2 WHERE task_id = $1`, [video, deadLink]);
      return asAlice('GET', `/v1/videos/${video}/content`);
    },
  },
  remixVideo: {
    200: async () => {
      const options = { body: { prompt: 'make it snow' }, headers: { 'idempotency-key': `remix-${Date.now()}` } };
      return [await asAlice('POST', `/v1/videos/${finished}/remix`, options), await asAlice('POST', `/v1/videos/${finished}/remix`, options)];
    },
    400: () => asAlice('POST', `/v1/videos/${running}/remix`, { body: { prompt: 'make it snow' } }),
    401: () => stranger('POST', `/v1/videos/${finished}/remix`, { body: { prompt: 'make it snow' } }),
    402: () => as(spent.key)('POST', `/v1/videos/${spent.video}/remix`, { body: { prompt: 'make it snow' } }),
    403: () => as(t2vOnlyKey)('POST', `/v1/videos/${finished}/remix`, { body: { prompt: 'make it snow' } }),
    404: () => asAlice('POST', `/v1/videos/${UNKNOWN_TASK}/remix`, { body: { prompt: 'make it snow' } }),
    413: () => ctx.http('POST', `/v1/videos/${finished}/remix`, tooLarge(alice.key)),
    415: () => ctx.http('POST', `/v1/videos/${finished}/remix`, notJson(alice.key)),
    422: async () => {
      const headers = { 'idempotency-key': `remix-reused-${Date.now()}` };
      expect((await asAlice('POST', `/v1/videos/${finished}/remix`, { body: { prompt: 'make it snow' }, headers })).status).toBe(200);
      return asAlice('POST', `/v1/videos/${finished}/remix`, { body: { prompt: 'make it rain' }, headers });
    },
    429: async () => {
      const owner = await createCustomer(ctx.http, 100_000_000);
      const video = await submit(ctx, owner.key, specExamples.t2v);
      expect((await waitForFinal(ctx, owner.key, video)).status).toBe('SUCCESS');
      await ctx.query('UPDATE api_keys SET max_inflight = 0 WHERE id = $1', [owner.keyId]);
      return as(owner.key)('POST', `/v1/videos/${video}/remix`, { body: { prompt: 'make it snow' } });
    },
    503: () => unready.http('POST', `/v1/videos/${finished}/remix`, { token: alice.key, body: { prompt: 'make it snow' } }),
  },

  quoteVideoGeneration: {
    200: () => asAlice('POST', '/v1/video/quote', { body: specExamples.t2v }),
    400: () => asAlice('POST', '/v1/video/quote', { body: { model: 'wan2.7-t2v' } }),
    401: () => stranger('POST', '/v1/video/quote', { body: specExamples.t2v }),
    403: () => as(t2vOnlyKey)('POST', '/v1/video/quote', { body: specExamples.r2v }),
    413: () => ctx.http('POST', '/v1/video/quote', tooLarge(alice.key)),
    415: () => ctx.http('POST', '/v1/video/quote', notJson(alice.key)),
    503: () => unready.http('POST', '/v1/video/quote', { token: alice.key, body: specExamples.t2v }),
  },
  createConsoleSession: {
    201: async () => [
      await stranger('POST', '/v1/console/session', { body: { key: alice.key } }),
      await stranger('POST', '/v1/console/session', { body: { code: await consoleCode() } }),
    ],
    400: () => stranger('POST', '/v1/console/session', { body: {} }),
    // A code already used (a wrong key answers the same code: test/console/session.test.ts).
    401: async () => {
      const code = await consoleCode();
      expect((await stranger('POST', '/v1/console/session', { body: { code } })).status).toBe(201);
      return stranger('POST', '/v1/console/session', { body: { code } });
    },
    403: () => stranger('POST', '/v1/console/session', { body: { key: alice.key }, headers: { origin: 'https://evil.example' } }),
    413: () => ctx.http('POST', '/v1/console/session', { body: { key: 'x'.repeat(BODY_LIMIT_BYTES) } }),
    415: () => ctx.http('POST', '/v1/console/session', { raw: 'key=sk-abc', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    503: () => unready.http('POST', '/v1/console/session', { body: { key: alice.key } }),
  },
  getConsoleSession: {
    200: async () => stranger('GET', '/v1/console/session', { headers: { cookie: (await aliceSession()).cookie } }),
    401: () => stranger('GET', '/v1/console/session'),
    503: () => unready.http('GET', '/v1/console/session', { headers: UNREADY_COOKIE }),
  },
  deleteConsoleSession: {
    204: async () => {
      const { cookie, csrf } = await aliceSession();
      return stranger('DELETE', '/v1/console/session', { headers: { cookie, 'x-csrf-token': csrf } });
    },
    401: () => stranger('DELETE', '/v1/console/session'),
    403: async () => stranger('DELETE', '/v1/console/session', { headers: { cookie: (await aliceSession()).cookie } }),
    503: () => unready.http('DELETE', '/v1/console/session', { headers: UNREADY_COOKIE }),
  },
  getAccount: {
    200: async () => [await asAlice('GET', '/v1/me'), await as(spent.key)('GET', '/v1/me'), await stranger('GET', '/v1/me', { headers: { cookie: (await aliceSession()).cookie } })],
    401: () => stranger('GET', '/v1/me'),
    503: () => unready.http('GET', '/v1/me', { token: alice.key }),
  },
  getAccountUsage: {
    200: async () => [await asAlice('GET', '/v1/me/usage'), await asAlice('GET', '/v1/me/usage?group_by=model&days=7')],
    400: () => asAlice('GET', '/v1/me/usage?group_by=week'),
    401: () => stranger('GET', '/v1/me/usage'),
    503: () => unready.http('GET', '/v1/me/usage', { token: alice.key }),
  },
  listAccountLogs: {
    200: async () => [await asAlice('GET', '/v1/me/logs?limit=1'), await asAlice('GET', '/v1/me/logs?type=2')],
    400: () => asAlice('GET', '/v1/me/logs?cursor=abc'),
    401: () => stranger('GET', '/v1/me/logs'),
    503: () => unready.http('GET', '/v1/me/logs', { token: alice.key }),
  },
  listModels: {
    200: () => asAlice('GET', '/v1/models'),
    401: () => stranger('GET', '/v1/models'),
    503: () => unready.http('GET', '/v1/models', { token: alice.key }),
  },
  retrieveModel: {
    200: () => as(t2vOnlyKey)('GET', '/v1/models/wan2.7-t2v'),
    401: () => stranger('GET', '/v1/models/wan2.7-t2v'),
    // One it may not use, as one that does not exist.
    404: () => as(t2vOnlyKey)('GET', '/v1/models/wan2.7-r2v'),
    503: () => unready.http('GET', '/v1/models/wan2.7-t2v', { token: alice.key }),
  },
  ...billingDrivers('/v1', ''),
  ...billingDrivers('', 'Unversioned'),

  downloadFile: {
    200: async () => stranger('GET', await resultLink()),
    206: async () => stranger('GET', await resultLink(), { headers: { range: 'bytes=10-19' } }),
    403: async () => {
      const link = new URL(await resultLink(), ctx.baseUrl);
      const key = link.pathname.replace(/^\/files\//, '');
      const expired = new URL(await ctx.storage.signedUrl(key, new Date(Date.now() - 60_000)));
      link.searchParams.set('signature', 'A'.repeat(43));
      return [await stranger('GET', `${expired.pathname}${expired.search}`), await stranger('GET', `${link.pathname}${link.search}`)];
    },
    404: async () => {
      const link = new URL(await ctx.storage.signedUrl('results/never-stored.mp4', new Date(Date.now() + 60_000)));
      return stranger('GET', `${link.pathname}${link.search}`);
    },
    416: async () => stranger('GET', await resultLink(), { headers: { range: 'bytes=100000000-' } }),
  },

  getAdminMe: { 200: () => admin('GET', '/admin/me'), ...adminCommon('GET', '/admin/me') },
  listAdminTokens: { 200: () => admin('GET', '/admin/tokens'), ...adminCommon('GET', '/admin/tokens') },
  createAdminToken: {
    201: () => withReplay('POST', '/admin/tokens', { body: { name: 'ops', scope: 'write' } }),
    400: () => admin('POST', '/admin/tokens', { body: { name: 'ops', scope: 'root' } }),
    ...adminCommon('POST', '/admin/tokens', { body: { name: 'ops', scope: 'read' } }),
    ...bodyErrors('POST', '/admin/tokens'),
  },
  deleteAdminToken: {
    204: async () => withReplay('DELETE', `/admin/tokens/${(await admin('POST', '/admin/tokens', { body: { name: 'short-lived', scope: 'read' } })).body.id}`),
    400: () => admin('DELETE', '/admin/tokens/0'),
    404: () => admin('DELETE', '/admin/tokens/999999'),
    ...adminCommon('DELETE', '/admin/tokens/999999'),
  },

  listUsers: {
    200: () => admin('GET', '/admin/users?limit=2'),
    400: () => admin('GET', '/admin/users?cursor=latest'),
    ...adminCommon('GET', '/admin/users'),
  },
  createUser: {
    201: () => withReplay('POST', '/admin/users', { body: { name: 'acme', quota: 1_000_000, rpm_limit: 600 } }),
    400: () => admin('POST', '/admin/users', { body: { name: 'acme', group: 'gold' } }),
    ...adminCommon('POST', '/admin/users', { body: { name: 'acme' } }),
    ...bodyErrors('POST', '/admin/users'),
  },
  getUser: {
    200: () => admin('GET', `/admin/users/${alice.userId}`),
    400: () => admin('GET', '/admin/users/0'),
    404: () => admin('GET', '/admin/users/999999'),
    ...adminCommon('GET', `/admin/users/${1}`),
  },
  updateUser: {
    200: () => withReplay('PATCH', `/admin/users/${broke.userId}`, { body: { name: 'broke', max_inflight: 100 } }),
    400: () => admin('PATCH', `/admin/users/${broke.userId}`, { body: { group: 'gold' } }),
    404: () => admin('PATCH', '/admin/users/999999', { body: { name: 'nobody' } }),
    ...adminCommon('PATCH', '/admin/users/1', { body: { name: 'broke' } }),
    ...bodyErrors('PATCH', '/admin/users/1'),
  },
  changeUserQuota: {
    200: () => withReplay('POST', `/admin/users/${alice.userId}/quota`, { body: { delta: 500_000, note: 'invoice 17' } }),
    400: () => admin('POST', `/admin/users/${broke.userId}/quota`, { body: { delta: -1 } }),
    404: () => admin('POST', '/admin/users/999999/quota', { body: { delta: 1 } }),
    ...adminCommon('POST', '/admin/users/1/quota', { body: { delta: 1 } }),
    ...bodyErrors('POST', '/admin/users/1/quota'),
  },

  listKeys: {
    200: () => admin('GET', `/admin/keys?user_id=${alice.userId}&limit=2`),
    400: () => admin('GET', '/admin/keys?cursor=latest'),
    ...adminCommon('GET', '/admin/keys'),
  },
  getKey: {
    200: () => admin('GET', `/admin/keys/${alice.keyId}`),
    400: () => admin('GET', '/admin/keys/0'),
    404: () => admin('GET', '/admin/keys/999999'),
    ...adminCommon('GET', '/admin/keys/1'),
  },
  createKey: {
    201: () => withReplay('POST', '/admin/keys', { body: { user_id: alice.userId, name: 'ci', models: ['wan2.7-t2v'], quota: 5_000_000, allowed_ips: ['10.0.0.0/8'] } }),
    400: () => admin('POST', '/admin/keys', { body: { user_id: 999999 } }),
    ...adminCommon('POST', '/admin/keys', { body: { user_id: 1 } }),
    ...bodyErrors('POST', '/admin/keys'),
  },
  updateKey: {
    // Once without the webhook secret, once rotating it (shown then).
    200: async () => [...(await withReplay('PATCH', `/admin/keys/${alice.keyId}`, { body: { name: 'main' } })), await admin('PATCH', `/admin/keys/${t2vKeyId}`, { body: { rotate_webhook_secret: true } })],
    400: () => admin('PATCH', `/admin/keys/${alice.keyId}`, { body: {} }),
    404: () => admin('PATCH', '/admin/keys/999999', { body: { name: 'none' } }),
    409: async () => {
      const key = await createKey(ctx.http, broke.userId);
      expect((await admin('DELETE', `/admin/keys/${key.id}`)).status).toBe(204);
      return admin('PATCH', `/admin/keys/${key.id}`, { body: { status: 'enabled' } });
    },
    ...adminCommon('PATCH', '/admin/keys/1', { body: { name: 'main' } }),
    ...bodyErrors('PATCH', '/admin/keys/1'),
  },
  createKeyConsoleSession: {
    201: () => withReplay('POST', `/admin/keys/${alice.keyId}/console-session`),
    400: () => admin('POST', '/admin/keys/0/console-session'),
    404: () => admin('POST', '/admin/keys/999999/console-session'),
    409: async () => {
      const key = await createKey(ctx.http, broke.userId);
      expect((await admin('DELETE', `/admin/keys/${key.id}`)).status).toBe(204);
      return admin('POST', `/admin/keys/${key.id}/console-session`);
    },
    ...adminCommon('POST', '/admin/keys/999999/console-session'),
  },
  revokeKey: {
    204: async () => withReplay('DELETE', `/admin/keys/${(await createKey(ctx.http, broke.userId)).id}`),
    400: () => admin('DELETE', '/admin/keys/0'),
    404: () => admin('DELETE', '/admin/keys/999999'),
    ...adminCommon('DELETE', '/admin/keys/999999'),
  },

  listLogs: {
    200: async () => [await admin('GET', `/admin/logs?user_id=${alice.userId}&limit=5`), await admin('GET', `/admin/logs?user_id=${alice.userId}&format=csv`)],
    400: () => admin('GET', '/admin/logs?cursor=latest'),
    ...adminCommon('GET', '/admin/logs'),
  },
  listWebhookDeliveries: {
    // The finished video's report, which found nobody listening.
    200: () => until(async () => {
      const res = await admin('GET', `/admin/webhooks?task_id=${finished}`);
      return res.body.data?.length > 0 ? res : undefined;
    }, `a webhook attempt for ${finished}`),
    400: () => admin('GET', '/admin/webhooks?cursor=latest'),
    ...adminCommon('GET', '/admin/webhooks'),
  },
  getUsage: {
    200: async () => [await admin('GET', '/admin/usage?group_by=model'), await admin('GET', `/admin/usage?group_by=day&user_id=${alice.userId}`)],
    400: () => admin('GET', '/admin/usage?group_by=week'),
    ...adminCommon('GET', '/admin/usage'),
  },
  listAudit: {
    200: () => admin('GET', '/admin/audit?limit=3'),
    400: () => admin('GET', '/admin/audit?cursor=latest'),
    ...adminCommon('GET', '/admin/audit'),
  },
  getSystem: { 200: () => admin('GET', '/admin/system'), ...adminCommon('GET', '/admin/system') },

  listChannels: {
    200: () => admin('GET', '/admin/channels?limit=1'),
    400: () => admin('GET', '/admin/channels?cursor=latest'),
    ...adminCommon('GET', '/admin/channels'),
  },
  getChannel: {
    200: () => admin('GET', `/admin/channels/${spareChannel}`),
    400: () => admin('GET', '/admin/channels/0'),
    404: () => admin('GET', '/admin/channels/999999'),
    ...adminCommon('GET', '/admin/channels/1'),
  },
  createChannel: {
    // A second account on the simulator, used only if the first fails.
    201: () => withReplay('POST', '/admin/channels', { body: { name: 'bailian-bj', base_url: ctx.simulatorUrl, api_key: SIM_KEY, priority: -1 } }),
    400: () => admin('POST', '/admin/channels', { body: { name: 'bailian-bj', base_url: 'ftp://example.com', api_key: 'sk-upstream' } }),
    ...adminCommon('POST', '/admin/channels', { body: { name: 'x', base_url: 'https://example.com', api_key: 'k' } }),
    ...bodyErrors('POST', '/admin/channels'),
  },
  updateChannel: {
    200: () => withReplay('PATCH', `/admin/channels/${spareChannel}`, { body: { weight: 2, max_inflight: 10 } }),
    400: () => admin('PATCH', `/admin/channels/${spareChannel}`, { body: {} }),
    404: () => admin('PATCH', '/admin/channels/999999', { body: { weight: 2 } }),
    ...adminCommon('PATCH', '/admin/channels/1', { body: { weight: 2 } }),
    ...bodyErrors('PATCH', '/admin/channels/1'),
  },
  deleteChannel: {
    204: async () => {
      const created = await admin('POST', '/admin/channels', { body: { name: 'gone', base_url: 'https://example.com', api_key: 'sk-gone-000000' } });
      return withReplay('DELETE', `/admin/channels/${created.body.id}`);
    },
    400: () => admin('DELETE', '/admin/channels/0'),
    404: () => admin('DELETE', '/admin/channels/999999'),
    409: async () => {
      const row = (await ctx.query('SELECT channel_id FROM tasks WHERE task_id = $1', [running])).rows[0];
      return admin('DELETE', `/admin/channels/${row.channel_id}`);
    },
    ...adminCommon('DELETE', '/admin/channels/999999'),
  },
  testChannel: {
    200: async () => [await admin('POST', `/admin/channels/${spareChannel}/test`), await admin('POST', `/admin/channels/${(await admin('POST', '/admin/channels', { body: { name: 'no key', base_url: ctx.simulatorUrl, api_key: 'sk-not-the-key', priority: -200 } })).body.id}/test`)],
    400: () => admin('POST', '/admin/channels/0/test'),
    404: () => admin('POST', '/admin/channels/999999/test'),
    401: () => wrongAdmin('POST', '/admin/channels/1/test'),
    403: adminForbidden('POST', '/admin/channels/1/test'),
    429: throttledAdmin('POST', '/admin/channels/1/test'),
  },

  listTasks: {
    200: () => admin('GET', `/admin/tasks?user_id=${alice.userId}&limit=2`),
    400: () => admin('GET', '/admin/tasks?status=DONE'),
    ...adminCommon('GET', '/admin/tasks'),
  },
  getTask: {
    200: async () => [await admin('GET', `/admin/tasks/${finished}`), await admin('GET', `/admin/tasks/${running}`)],
    400: () => admin('GET', `/admin/tasks/task_${'x'.repeat(64)}`),
    404: () => admin('GET', `/admin/tasks/${UNKNOWN_TASK}`),
    ...adminCommon('GET', `/admin/tasks/${UNKNOWN_TASK}`),
  },
  streamTask: {
    // A read-only token may follow a task too.
    200: async () => [await admin('GET', `/admin/tasks/${finished}/events`), await as(readToken)('GET', `/admin/tasks/${finished}/events`)],
    204: async () => {
      const stream = (await admin('GET', `/admin/tasks/${finished}/events`)).body as string;
      const lastId = [...stream.matchAll(/^id: (.+)$/gm)].at(-1)![1]!;
      return admin('GET', `/admin/tasks/${finished}/events`, { headers: { 'last-event-id': lastId } });
    },
    400: () => admin('GET', `/admin/tasks/task_${'x'.repeat(64)}/events`),
    404: () => admin('GET', `/admin/tasks/${UNKNOWN_TASK}/events`),
    503: () => unready.http('GET', `/admin/tasks/${finished}/events`, { token: ADMIN_TOKEN }),
    ...adminCommon('GET', `/admin/tasks/${UNKNOWN_TASK}/events`),
  },
  failTask: {
    200: async () => withReplay('POST', `/admin/tasks/${await submit(ctx, alice.key, { ...specExamples.t2v, prompt: '[sim:ms=60000] stuck' })}/fail`, { body: { reason: 'stuck' } }),
    400: () => admin('POST', `/admin/tasks/${running}/fail`, { body: {} }),
    404: () => admin('POST', `/admin/tasks/${UNKNOWN_TASK}/fail`, { body: { reason: 'stuck' } }),
    409: () => admin('POST', `/admin/tasks/${finished}/fail`, { body: { reason: 'stuck' } }),
    ...adminCommon('POST', `/admin/tasks/${UNKNOWN_TASK}/fail`, { body: { reason: 'stuck' } }),
    ...bodyErrors('POST', `/admin/tasks/${UNKNOWN_TASK}/fail`),
  },

  listModelPrices: { 200: () => admin('GET', '/admin/models'), ...adminCommon('GET', '/admin/models') },
  updateModelPrice: {
    // The same price: a change that changes nothing for the other drivers.
    200: () => withReplay('PATCH', '/admin/models/wan2.7-t2v', { body: { price: 0.1, resolution_ratios: { '720P': 1, '1080P': 1.5 } } }),
    400: () => admin('PATCH', '/admin/models/wan2.7-t2v', { body: { price: -1 } }),
    404: () => admin('PATCH', '/admin/models/wan9-t2v', { body: { price: 1 } }),
    ...adminCommon('PATCH', '/admin/models/wan2.7-t2v', { body: { price: 0.1 } }),
    ...bodyErrors('PATCH', '/admin/models/wan2.7-t2v'),
  },
  listGroups: { 200: () => admin('GET', '/admin/groups'), ...adminCommon('GET', '/admin/groups') },
  createGroup: {
    201: () => withReplay('POST', '/admin/groups', { body: { name: `vip-${Date.now()}`, ratio: 0.8 } }),
    400: () => admin('POST', '/admin/groups', { body: { name: 'vip', ratio: 0 } }),
    409: () => admin('POST', '/admin/groups', { body: { name: 'default', ratio: 1 } }),
    ...adminCommon('POST', '/admin/groups', { body: { name: 'vip', ratio: 0.8 } }),
    ...bodyErrors('POST', '/admin/groups'),
  },
  updateGroup: {
    200: () => withReplay('PATCH', '/admin/groups/default', { body: { ratio: 1 } }),
    400: () => admin('PATCH', '/admin/groups/default', { body: { ratio: -1 } }),
    404: () => admin('PATCH', '/admin/groups/gold', { body: { ratio: 1 } }),
    ...adminCommon('PATCH', '/admin/groups/default', { body: { ratio: 1 } }),
    ...bodyErrors('PATCH', '/admin/groups/default'),
  },
};

/** Each client operation once, as a given key makes it: for the answers of the key's own limits. */
const clientCalls: Record<string, (token: string) => Promise<HttpResponse>> = {
  submitVideoGeneration: (t) => as(t)('POST', '/v1/video/generations', { body: specExamples.t2v }),
  createVideo: (t) => as(t)('POST', '/v1/videos', { body: specExamples.t2v }),
  getVideoGeneration: (t) => as(t)('GET', `/v1/video/generations/${finished}`),
  streamVideoGeneration: (t) => as(t)('GET', `/v1/video/generations/${finished}/events`),
  cancelVideoGeneration: (t) => as(t)('POST', `/v1/video/generations/${finished}/cancel`),
  streamVideo: (t) => as(t)('GET', `/v1/videos/${finished}/events`),
  cancelVideo: (t) => as(t)('POST', `/v1/videos/${finished}/cancel`),
  listVideos: (t) => as(t)('GET', '/v1/videos'),
  retrieveVideo: (t) => as(t)('GET', `/v1/videos/${finished}`),
  deleteVideo: (t) => as(t)('DELETE', `/v1/videos/${finished}`),
  downloadVideoContent: (t) => as(t)('GET', `/v1/videos/${finished}/content`),
  remixVideo: (t) => as(t)('POST', `/v1/videos/${finished}/remix`, { body: { prompt: 'make it snow' } }),
  quoteVideoGeneration: (t) => as(t)('POST', '/v1/video/quote', { body: specExamples.t2v }),
  listModels: (t) => as(t)('GET', '/v1/models'),
  retrieveModel: (t) => as(t)('GET', '/v1/models/wan2.7-t2v'),
  getBillingSubscription: (t) => as(t)('GET', '/v1/dashboard/billing/subscription'),
  getBillingUsage: (t) => as(t)('GET', '/v1/dashboard/billing/usage'),
  getBillingSubscriptionUnversioned: (t) => as(t)('GET', '/dashboard/billing/subscription'),
  getBillingUsageUnversioned: (t) => as(t)('GET', '/dashboard/billing/usage'),
  getAccount: (t) => as(t)('GET', '/v1/me'),
  getAccountUsage: (t) => as(t)('GET', '/v1/me/usage'),
  listAccountLogs: (t) => as(t)('GET', '/v1/me/logs'),
};

// Every client route also answers for the key's allowed_ips (403) and rpm_limit (429).
for (const [operationId, call] of Object.entries(clientCalls)) {
  const statuses = drivers[operationId]!;
  const add = (status: number, extra: Driver) => {
    const existing = statuses[status];
    statuses[status] = existing ? async () => [...[await existing()].flat(), ...[await extra()].flat()] : extra;
  };
  add(403, () => call(fenced.key));
  add(429, async () => {
    await as(throttled.key)('GET', '/v1/models');
    return call(throttled.key);
  });
}

// OpenAPI 3.1 Schema Objects are JSON Schema 2020-12 (plus OpenAPI's own `example` annotation).
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv);
ajv.addKeyword('example');
const validators = new Map<object, ValidateFunction>();

/** The schema with every `$ref` (always within the document here) replaced by what it points at. */
function resolveRefs(node: unknown, seen: readonly string[] = []): unknown {
  if (Array.isArray(node)) return node.map((item) => resolveRefs(item, seen));
  if (!node || typeof node !== 'object') return node;
  const { $ref, ...rest } = node as Record<string, unknown>;
  if (typeof $ref === 'string') {
    if (!$ref.startsWith('#/')) throw new Error(`${$ref} points outside the document`);
    if (seen.includes($ref)) throw new Error(`${$ref} refers to itself; resolve it another way`);
    const target = $ref
      .slice(2)
      .split('/')
      .reduce<any>((at, part) => at?.[part.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
    if (target === undefined) throw new Error(`${$ref} points at nothing`);
    const resolved = resolveRefs(target, [...seen, $ref]);
    return Object.keys(rest).length === 0 ? resolved : { ...(resolveRefs(rest, seen) as object), allOf: [resolved] };
  }
  return Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, resolveRefs(value, seen)]));
}

function validatorFor(schema: object): ValidateFunction {
  let validate = validators.get(schema);
  if (!validate) validators.set(schema, (validate = ajv.compile(resolveRefs(schema) as object)));
  return validate;
}

function headerMatches(value: string, schema: { type: string; enum?: string[] }): boolean {
  if (schema.enum && !schema.enum.includes(value)) return false;
  return schema.type === 'integer' ? /^-?\d+$/.test(value) : true;
}

/** Checks one answer against the document's word for its status. */
function checkAnswer(documented: Documented, status: number, res: HttpResponse): void {
  const where = `${documented.method} ${documented.path} → ${status}`;
  expect(res.status, `${where}: ${JSON.stringify(res.body)}`).toBe(status);
  const { content, headers = {} } = documented.operation.responses[String(status)]!;
  if (!content) {
    expect(res.body, `${where} has no body`).toBeUndefined();
  } else {
    const mediaType = res.headers.get('content-type')?.split(';')[0] ?? '';
    expect(Object.keys(content), `${where}: the Content-Type it answered`).toContain(mediaType);
    const { schema } = content[mediaType]!;
    if (mediaType === 'application/json') {
      const validate = validatorFor(schema!);
      expect(validate(res.body), `${where}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(res.body).slice(0, 2000)}`).toBe(true);
    } else {
      expect(String(res.body).length, `${where}: the file`).toBeGreaterThan(0);
    }
  }
  for (const [name, header] of Object.entries(headers)) {
    const value = res.headers.get(name);
    if (value !== null) expect(headerMatches(value, header.schema), `${where}: header ${name}: ${value}`).toBe(true);
  }
}

it('has a driver for every documented status of every operation, and none for anything else', () => {
  const documented = [...operations].flatMap(([id, { operation }]) => Object.keys(operation.responses).map((status) => `${id} ${status}`));
  const driven = Object.entries(drivers).flatMap(([id, statuses]) => Object.keys(statuses).map((status) => `${id} ${status}`));
  expect(driven.sort()).toEqual(documented.sort());
});

for (const [operationId, statuses] of Object.entries(drivers)) {
  describe(operationId, () => {
    for (const [status, drive] of Object.entries(statuses)) {
      it(`answers ${status} as the document says`, async () => {
        const documented = operations.get(operationId);
        expect(documented, `${operationId} is not in the document`).toBeDefined();
        const answers = [await drive()].flat();
        for (const res of answers) checkAnswer(documented!, Number(status), res);

        const { content, headers = {} } = documented!.operation.responses[status]!;
        // Each header the document names for this status turns up.
        for (const name of Object.keys(headers)) {
          expect(answers.some((res) => res.headers.has(name)), `${operationId} ${status}: header ${name} never sent`).toBe(true);
        }
        // Each error code the document lists for this status is answered.
        const examples = content?.['application/json']?.examples;
        if (Number(status) >= 400 && examples) {
          const codes = answers.map((res) => res.body.code ?? res.body.error?.code);
          expect(codes.sort()).toEqual(Object.keys(examples).sort());
        }
      });
    }
  });
}
