// One trace from the client's submit to the task's end, across processes: the API (in this process,
// tracing started as its entry point starts it) and a worker process of its own both export to a
// small OTLP/HTTP collector run here, and the spans they send share the trace id of the client's
// own `traceparent`: the submit, every upstream call and the settlement.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTracing, type Tracing } from '../../src/observability/tracing.ts';
import { createCustomer, specExamples } from '../helpers/factories.ts';
import { createGatewayContext, FAST_WORKER_ENV, type GatewayContext, waitForFinal } from '../helpers/gateway.ts';
import { until } from '../helpers/until.ts';
import { startWorkerProcess, stopWorkerProcess, type WorkerProcess } from '../helpers/worker-process.ts';

interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  attributes: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans: {
    resource: { attributes: OtlpAttribute[] };
    scopeSpans: { spans: { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: OtlpAttribute[] }[] }[];
  }[];
}

const valueOf = (v: OtlpValue) => v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : v.boolValue);
const attributesOf = (list: OtlpAttribute[] = []) => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

let collector: Server;
let endpoint: string;
const spans: ExportedSpan[] = [];
const contentTypes = new Set<string>();
let ctx: GatewayContext;
let worker: WorkerProcess | undefined;
let tracing: Tracing | null;

beforeAll(async () => {
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      contentTypes.add(`${req.method} ${req.url} ${req.headers['content-type']}`);
      const sent = JSON.parse(body) as OtlpExport;
      for (const { resource, scopeSpans } of sent.resourceSpans) {
        const service = String(attributesOf(resource.attributes)['service.name']);
        for (const { spans: list } of scopeSpans) {
          for (const s of list) spans.push({ service, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? '', name: s.name, attributes: attributesOf(s.attributes) });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;

  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint };
  ctx = await createGatewayContext({ env });
  tracing = await startTracing(ctx.config, 'api');
  await ctx.stopWorkers();
  worker = await startWorkerProcess(ctx, { ...FAST_WORKER_ENV, ...env });
}, 60_000);

afterAll(async () => {
  if (worker) await stopWorkerProcess(worker);
  await tracing?.shutdown();
  await ctx?.close();
  collector?.close();
});

it('is off, with nothing of the SDK loaded, unless OTEL_EXPORTER_OTLP_ENDPOINT is set', async () => {
  expect(await startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_SERVICE_NAME: '' }, 'api')).toBeNull();
});

it("follows a task from the client's submit through the queue to every upstream call and its settlement, in one trace", { timeout: 60_000 }, async () => {
  expect(tracing).not.toBeNull();
  const customer = await createCustomer(ctx.http, 1_000_000_000);
  // The client's own trace: the gateway continues it.
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const clientSpan = '00f067aa0ba902b7';
  const res = await ctx.http('POST', '/v1/video/generations', {
    token: customer.key,
    body: { ...specExamples.t2v, prompt: 'a cat [sim:flaky=1]' },
    headers: { traceparent: `00-${traceId}-${clientSpan}-01` },
  });
  expect(res.status).toBe(200);
  const taskId = res.body.id as string;
  const { rows } = await ctx.query<{ traceparent: string }>('SELECT traceparent FROM tasks WHERE task_id = $1', [taskId]);
  expect(rows[0]!.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  expect((await waitForFinal(ctx, customer.key, taskId)).status).toBe('SUCCESS');

  // A worker exports what is left when it stops; the API flushes here.
  expect(await stopWorkerProcess(worker!), worker!.output()).toBe(0);
  worker = undefined;
  await tracing!.flush();
  const trace = await until(async () => {
    const found = spans.filter((s) => s.traceId === traceId);
    return found.some((s) => s.name === 'task.settle') && found.some((s) => s.name.startsWith('POST ')) ? found : undefined;
  }, () => `the spans of trace ${traceId} (so far: ${JSON.stringify(spans.map((s) => [s.service, s.name, s.traceId]))})`);

  const named = (name: string) => trace.filter((s) => s.name === name);
  const [submit] = named('POST /v1/video/generations');
  expect(submit).toMatchObject({ service: 'wan-video-gateway-api', parentSpanId: clientSpan, attributes: { 'http.route': '/v1/video/generations', 'http.response.status_code': 200 } });
  // The stored context is the submit's own span.
  expect(rows[0]!.traceparent).toBe(`00-${traceId}-${submit!.spanId}-01`);

  const steps = named('task.advance');
  expect(steps.length).toBeGreaterThanOrEqual(3);
  for (const step of steps) expect(step).toMatchObject({ service: 'wan-video-gateway-worker', parentSpanId: submit!.spanId, attributes: { 'vgw.task_id': taskId } });
  const stepIds = new Set(steps.map((s) => s.spanId));
  const upstream = (name: string) => named(name).filter((s) => stepIds.has(s.parentSpanId));
  // The flaky upstream answered the first submit and the first query with a 500: both show.
  expect(upstream('dashscope submit').map((s) => s.attributes['vgw.upstream_outcome']).sort()).toEqual(['5xx', 'ok']);
  expect(upstream('dashscope query').map((s) => s.attributes['vgw.upstream_outcome'])).toEqual(expect.arrayContaining(['5xx', 'ok']));
  expect(named('task.settle')).toEqual([expect.objectContaining({ service: 'wan-video-gateway-worker', attributes: expect.objectContaining({ 'vgw.task_status': 'SUCCESS', 'vgw.settled': true }) })]);
  expect(stepIds).toContain(named('task.settle')[0]!.parentSpanId);
  // Every span of the trace is one of these: nothing else leaked into it, nothing of it went elsewhere.
  expect(new Set(trace.map((s) => s.name))).toEqual(new Set(['POST /v1/video/generations', 'task.advance', 'dashscope submit', 'dashscope query', 'task.settle']));
  expect([...contentTypes].every((c) => c === 'POST /v1/traces application/json')).toBe(true);
});
