// Property-based fuzzing of every route the API documents: the routes come from the served
// /openapi.json, so a route added later is fuzzed without touching this file. Each run sends one
// request with random or mutated path parameters, query strings, bodies, content types and
// headers. Properties: no answer is a 5xx; every error comes in the shape of its API; and, checked
// on the books afterwards, nothing was charged for a request that was not answered 2xx.
//
// The seed is printed; replay a failure with FUZZ_SEED=<seed> (FUZZ_RUNS changes the number of
// requests).
import fc from 'fast-check';
import { isOpenAIRoute } from '../src/http/error-handler.ts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestContext, type TestContext } from './helpers/context.ts';
import { createCustomer, type Customer, specExamples } from './helpers/factories.ts';

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.FUZZ_RUNS ?? 2_000);
const START_QUOTA = 1_000_000_000_000;
/** Every request is answered; one that is not within this long is a failure of its own. */
const ANSWER_TIMEOUT_MS = 10_000;

let ctx: TestContext;
let customer: Customer;
let operations: Operation[];
/** Tasks the gateway created, from its 2xx answers to submits. */
const created = new Set<string>();
const statuses = new Map<number, number>();

interface Parameter {
  name: string;
  in: 'path' | 'query';
  schema: JsonSchema;
}
interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  bodySchema: JsonSchema | null;
}
type JsonSchema = { [key: string]: any };

beforeAll(async () => {
  ctx = await createTestContext({ UPLOAD_LIMIT_BYTES: '65536' });
  customer = await createCustomer(ctx.http, START_QUOTA);
  const { body: spec } = await ctx.http('GET', '/openapi.json');
  operations = Object.entries(spec.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      parameters: (op.parameters ?? []) as Parameter[],
      bodySchema: op.requestBody?.content?.['application/json']?.schema ?? null,
    })),
  );
  // On stderr: the seed must show whatever vitest does with a passing test's output.
  console.error(`fuzz seed ${SEED}, ${RUNS} requests over ${operations.length} operations (replay: FUZZ_SEED=${SEED} npx vitest run test/fuzz.test.ts)`);
});
afterAll(() => ctx?.close());

// Strings worth trying anywhere: the spec's own values (so that some requests succeed and are
// charged), and values that have broken gateways before.
const collectStrings = (value: unknown): string[] =>
  typeof value === 'string' ? [value] : value && typeof value === 'object' ? Object.values(value).flatMap(collectStrings) : [];
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');
const INTERESTING = [
  ...new Set(collectStrings(specExamples)),
  '', ' ', '720P', '1080p', '1280x720', '16:9', '5', '-1', '0', '1e400', '99999999999', '9223372036854775808', 'NaN', 'null', 'true',
  '\u0000', 'a\u0000b', '\ud800', '\udfff', 'x\ud83d', '😀', '猫'.repeat(3000), 'x'.repeat(6000), '%00', '%zz', '../../etc/passwd',
  '__proto__', 'constructor', '[sim:reject=403:DataInspectionFailed]', 'http://127.0.0.1/', 'http://169.254.169.254/latest',
  'data:image/png;base64,', `data:image/png;base64,${PNG.toString('base64')}`, 'data:image/png;base64,!!!', 'javascript:alert(1)',
  '2026-01-01T00:00:00Z', '0000-01-01T00:00:00Z', 'task_', 'upload://uploads/x.png', 'enabled', 'disabled',
];
const interesting = fc.constantFrom(...INTERESTING);
const anyString = fc.oneof({ weight: 3, arbitrary: interesting }, { weight: 2, arbitrary: fc.string({ maxLength: 40 }) }, { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) });
const anyNumber = fc.oneof(fc.integer(), fc.constantFrom(0, -1, 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1e20, -1e20, 0.5, 1e308), fc.double({ noNaN: true, noDefaultInfinity: true }));
const anyJson = fc.oneof({ weight: 3, arbitrary: anyString }, { weight: 2, arbitrary: anyNumber }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) });

/** Values of the shape a schema describes, often valid, often just outside what it allows. */
function fromSchema(schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 5) return anyJson;
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((s: JsonSchema) => fromSchema(s, depth + 1)));
  if (schema.enum) return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...schema.enum) }, { weight: 1, arbitrary: anyJson });
  const typed = (() => {
    switch (schema.type) {
      case 'string':
        return schema.format === 'date-time' ? fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), anyString) : anyString;
      case 'integer': {
        const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : -1_000);
        const max = Math.min(schema.maximum ?? 1_000_000, min + 1_000_000);
        return fc.oneof({ weight: 3, arbitrary: fc.integer({ min, max: Math.max(min, max) }) }, { weight: 1, arbitrary: anyNumber });
      }
      case 'number':
        return anyNumber;
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array':
        return fc.array(fromSchema(schema.items, depth + 1), { maxLength: 4 });
      case 'object': {
        const properties = Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>);
        const known = fc.record(Object.fromEntries(properties.map(([key, s]) => [key, fromSchema(s, depth + 1)])), { requiredKeys: [] });
        const extra = fc.dictionary(anyString, anyJson, { maxKeys: 2 });
        return fc.tuple(known, extra, fc.boolean()).map(([k, e, withExtra]) => (withExtra ? { ...e, ...k } : k));
      }
      default:
        return anyJson;
    }
  })();
  return fc.oneof({ weight: 9, arbitrary: typed as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: anyJson });
}

/** A spec example with some of its fields replaced, removed or added. */
const mutatedExample = fc
  .tuple(fc.constantFrom(...Object.values(specExamples)), fc.array(fc.tuple(fc.constantFrom('model', 'prompt', 'resolution', 'duration', 'seconds', 'size', 'metadata', 'images', 'input_reference', 'callback_url', 'x'), fc.option(anyJson)), { maxLength: 3 }))
  .map(([example, changes]) => {
    const body = new Map(Object.entries(structuredClone(example) as Record<string, unknown>));
    for (const [key, value] of changes) {
      if (value === null) body.delete(key);
      else body.set(key, value);
    }
    return Object.fromEntries(body);
  });

interface Fuzzed {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | FormData | Uint8Array;
}

const asciiHeader = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 });

function pathValue(name: string): fc.Arbitrary<string> {
  const ids = created.size ? fc.constantFrom(...created) : fc.constant('task_none');
  const raw = fc.constantFrom('%00', '%zz', '%', '%ED%A0%80', `task_${'a'.repeat(120)}`, '1', '0', '-1', '99999999999', '1e3', '..', '%2F');
  const value = fc.oneof(
    { weight: 3, arbitrary: ids },
    { weight: 2, arbitrary: fc.integer({ min: -5, max: 50 }).map(String) },
    { weight: 2, arbitrary: raw },
    { weight: 3, arbitrary: anyString.map((s) => encodeURIComponent(s.toWellFormed())) },
  );
  // The fuzzing customer's own user and key stay enabled and funded, so the run keeps reaching the client routes.
  return name === 'id' ? value.map((v) => (v === String(customer.userId) || v === String(customer.keyId) ? '424242' : v)) : value;
}

// A generated value as query text. String() throws on objects without a prototype (fast-check's
// JSON objects may have one, e.g. with a "__proto__" key), so objects go as JSON.
const asText = (value: unknown): string => (typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));

function queryString(parameters: Parameter[]): fc.Arbitrary<string> {
  const declared = parameters.filter((p) => p.in === 'query');
  const values = fc.record(Object.fromEntries(declared.map((p) => [p.name, fc.oneof(fromSchema(p.schema).map(asText), anyString)])), { requiredKeys: [] });
  return fc.tuple(values, fc.constantFrom('', '', '&limit=1&limit=2', '&%zz=1', '&after=%00', '&=&&')).map(([v, tail]) => {
    const search = new URLSearchParams(v as Record<string, string>).toString() + tail;
    return search ? `?${search}` : '';
  });
}

function formOf(body: unknown, withFile: Buffer | null): FormData {
  const form = new FormData();
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [key, value] of Object.entries(body)) {
      if (Array.isArray(value)) for (const item of value) form.append(`${key}[]`, typeof item === 'string' ? item : JSON.stringify(item));
      else form.append(key, typeof value === 'string' ? value : JSON.stringify(value));
    }
  }
  if (withFile) form.append('input_reference', new Blob([new Uint8Array(withFile)]), 'frame.png');
  return form;
}

function request(op: Operation): fc.Arbitrary<Fuzzed> {
  const isAdmin = op.path.startsWith('/admin');
  const path = op.parameters
    .filter((p) => p.in === 'path')
    .reduce((arb, p) => fc.tuple(arb, pathValue(p.name)).map(([path, value]) => path.replace(`{${p.name}}`, value)), fc.constant(op.path));
  const token = fc.oneof(
    { weight: 8, arbitrary: fc.constant(isAdmin ? ADMIN_TOKEN : customer.key) },
    { weight: 1, arbitrary: fc.constantFrom('', 'Bearer', 'sk-wrong', isAdmin ? customer.key : ADMIN_TOKEN) },
  );
  const bodyValue = op.bodySchema
    ? fc.oneof({ weight: 4, arbitrary: fromSchema(op.bodySchema) }, { weight: op.path.includes('video') ? 4 : 0, arbitrary: mutatedExample }, { weight: 1, arbitrary: anyJson })
    : fc.option(anyJson, { freq: 4 });
  const encoding = fc.constantFrom('json', 'json', 'json', 'form', 'truncated', 'text', 'urlencoded', 'bytes', 'none');
  const headers = fc.record(
    {
      'idempotency-key': asciiHeader,
      'x-request-id': asciiHeader,
      range: fc.constantFrom('bytes=0-1', 'bytes=-5', 'bytes=9-1', 'bytes=a-b', 'items=0-1'),
      accept: fc.constantFrom('application/json', '*/*', 'text/html'),
    },
    { requiredKeys: [] },
  );
  return fc
    .record({ path, query: queryString(op.parameters), token, bodyValue, encoding, headers, file: fc.option(fc.constantFrom(PNG, Buffer.from('not an image'), Buffer.alloc(70_000, 1)), { freq: 3 }), bytes: fc.uint8Array({ maxLength: 200 }) })
    .map(({ path, query, token, bodyValue, encoding, headers, file, bytes }) => {
      const out: Fuzzed = { method: op.method, url: `${path}${query}`, headers: { ...headers } };
      if (token) out.headers.authorization = token.startsWith('Bearer') ? token : `Bearer ${token}`;
      if (bodyValue === null && encoding !== 'bytes') return out;
      const text = JSON.stringify(bodyValue) ?? 'null';
      switch (encoding) {
        case 'json':
          out.headers['content-type'] = 'application/json';
          out.body = text;
          break;
        case 'truncated':
          out.headers['content-type'] = 'application/json';
          out.body = text.slice(0, Math.floor(text.length / 2));
          break;
        case 'form':
          out.body = formOf(bodyValue, file);
          break;
        case 'text':
          out.headers['content-type'] = 'text/plain';
          out.body = text;
          break;
        case 'urlencoded':
          out.headers['content-type'] = 'application/x-www-form-urlencoded';
          out.body = 'prompt=a+cat&model=wan2.7-t2v';
          break;
        case 'bytes':
          out.headers['content-type'] = 'multipart/form-data; boundary=fuzz';
          out.body = bytes;
          break;
        case 'none':
          break;
      }
      return out;
    });
}

const isSubmit = (op: Operation) => op.method === 'POST' && /^\/v1\/video(s|\/generations)(\/\{video_id\}\/remix)?$/.test(op.path);

it('answers every request without a 5xx, in the shape of its API', async () => {
  const anyRequest = fc.constantFrom(...operations).chain((op) => request(op).map((req) => ({ op, req })));
  await fc.assert(
    fc.asyncProperty(anyRequest, async ({ op, req }) => {
      // GET and HEAD may not carry a body in fetch.
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : req.body;
      const what = () => `${req.method} ${req.url} (${req.headers['content-type'] ?? 'no body type'})`;
      let res: Response;
      let text: string;
      try {
        res = await fetch(`${ctx.baseUrl}${req.url}`, { method: req.method, headers: req.headers, body, signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS) });
        // An event stream of an unfinished task goes on for as long as the task does: its status is the answer.
        if (res.ok && res.headers.get('content-type')?.startsWith('text/event-stream')) {
          await res.body?.cancel();
          text = '';
        } else {
          text = await res.text();
        }
      } catch (err) {
        throw new Error(`no answer: ${what()}: ${String((err as Error).cause ?? err)}`, { cause: err });
      }
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const answer = `${what()} → ${res.status} ${text.slice(0, 300)}`;
      if (res.status >= 500) throw new Error(`a 5xx: ${answer}`);
      if (res.status < 300 && isSubmit(op)) {
        // A submit that waited (Prefer: wait) answers with the task record.
        const body = JSON.parse(text);
        created.add(body.id ?? body.data.task_id);
      }
      if (res.status >= 400 && text) {
        const parsed = JSON.parse(text);
        // What the server saw: fetch resolves dot segments (/v1/videos/.. is /v1/).
        const path = new URL(`${ctx.baseUrl}${req.url}`).pathname;
        if (isOpenAIRoute(path)) expect(typeof parsed.error?.message, answer).toBe('string');
        else expect(parsed, answer).toEqual({ code: expect.any(String), message: expect.any(String), data: null });
      }
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
  console.error(`fuzz answers by status: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}; ${created.size} tasks created`);
}, 120_000);

it('charged only the requests it answered 2xx, and every balance matches its logs', async () => {
  const tasks = (await ctx.query<{ task_id: string; user_id: number; quota: string }>('SELECT task_id, user_id, quota FROM tasks')).rows;
  expect(new Set(tasks.map((t) => t.task_id))).toEqual(created);
  const consumes = (await ctx.query<{ task_id: string; quota: string }>('SELECT task_id, quota FROM logs WHERE type = 2')).rows;
  expect(new Set(consumes.map((l) => l.task_id))).toEqual(created);
  expect(consumes).toHaveLength(created.size);
  const charged = tasks.reduce((sum, t) => sum + BigInt(t.quota), 0n);
  const balance = (await ctx.query<{ quota: string }>('SELECT quota FROM users WHERE id = $1', [customer.userId])).rows[0]!;
  expect(BigInt(balance.quota)).toBe(BigInt(START_QUOTA) - charged);

  // Every user the fuzzing made through the admin API too: the balance is what the logs say.
  const books = await ctx.query<{ id: number; quota: string; used_quota: string; booked: string; used: string }>(`
    SELECT u.id, u.quota, u.used_quota,
           COALESCE(sum(CASE l.type WHEN 1 THEN l.quota WHEN 3 THEN -l.quota WHEN 2 THEN -l.quota WHEN 6 THEN l.quota ELSE 0 END), 0) AS booked,
           COALESCE(sum(CASE l.type WHEN 2 THEN l.quota WHEN 6 THEN -l.quota ELSE 0 END), 0) AS used
    FROM users u LEFT JOIN logs l ON l.user_id = u.id GROUP BY u.id`);
  for (const user of books.rows) {
    expect(user.quota, `user ${user.id}`).toBe(user.booked);
    expect(user.used_quota, `user ${user.id}`).toBe(user.used);
  }
});
