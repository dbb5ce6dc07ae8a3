// /metrics as Prometheus scrapes it, over real HTTP: on the API (its own PORT) and on a worker
// process (its METRICS_PORT), behind METRICS_TOKEN. After a few tasks through the simulator (successes,
// a failure, a flaky upstream, a throttled submit the client cancels, a webhook), each figure moved
// by what happened, and the API's gauges read PostgreSQL and Redis as they are.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomer, type Customer, specExamples } from '../helpers/factories.ts';
import { createGatewayContext, FAST_WORKER_ENV, type GatewayContext, submit, waitForFinal } from '../helpers/gateway.ts';
import { names, parseExposition, type Sample, total } from '../helpers/prometheus.ts';
import { until } from '../helpers/until.ts';
import { startWorkerProcess, stopWorkerProcess, type WorkerProcess } from '../helpers/worker-process.ts';

const TOKEN = 'metrics-secret';
const MODEL = specExamples.t2v.model;

let ctx: GatewayContext;
let worker: WorkerProcess;
let hooks: Server;
let hookUrl: string;
let customer: Customer;
let channelId: number;

async function scrape(base: string): Promise<Sample[]> {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

function scrapeUntil(base: string, done: (samples: Sample[]) => boolean, what: string): Promise<Sample[]> {
  return until(async () => {
    const samples = await scrape(base);
    return done(samples) ? samples : undefined;
  }, what, { intervalMs: 250 });
}

const sumOf = async (sql: string) => Number((await ctx.query<{ n: string | null }>(sql)).rows[0]!.n ?? 0);

beforeAll(async () => {
  const env = { METRICS_TOKEN: TOKEN, WEBHOOK_ALLOW_PRIVATE_HOSTS: 'true' };
  ctx = await createGatewayContext({ env });
  channelId = (await ctx.query<{ id: number }>('SELECT id FROM channels')).rows[0]!.id;
  // The work goes to a worker process of its own, whose /metrics is scraped on its METRICS_PORT.
  await ctx.stopWorkers();
  worker = await startWorkerProcess(ctx, { ...FAST_WORKER_ENV, ...env });
  hooks = createServer((_req, res) => res.writeHead(200).end());
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`;
  customer = await createCustomer(ctx.http, 1_000_000_000);
}, 60_000);

afterAll(async () => {
  if (worker) expect(await stopWorkerProcess(worker), worker.output()).toBe(0);
  hooks?.close();
  await ctx?.close();
});

describe('GET /metrics', () => {
  it('answers 401 without METRICS_TOKEN, on the API and on the worker', async () => {
    for (const base of [ctx.baseUrl, worker.url]) {
      for (const authorization of [undefined, 'Bearer wrong']) {
        const res = await fetch(`${base}/metrics`, { headers: authorization ? { authorization } : {} });
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual({ code: 'metrics_unauthorized', message: 'missing or wrong metrics token: send "Authorization: Bearer <METRICS_TOKEN>"', data: null });
      }
    }
  });

  it('shows every figure moved by a few tasks', { timeout: 60_000 }, async () => {
    const [apiBefore, workerBefore] = await Promise.all([scrape(ctx.baseUrl), scrape(worker.url)]);
    const delta = (after: Sample[], before: Sample[], name: string, labels: Record<string, string> = {}) => total(after, name, labels) - total(before, name, labels);

    const ok = await Promise.all([
      submit(ctx, customer.key, specExamples.t2v),
      submit(ctx, customer.key, { ...specExamples.t2v, callback_url: hookUrl }),
      submit(ctx, customer.key, { ...specExamples.t2v, prompt: 'a cat [sim:flaky=1]' }),
    ]);
    const failed = await submit(ctx, customer.key, { ...specExamples.t2v, prompt: 'a cat [sim:fail=DataInspectionFailed]' });
    const throttled = await submit(ctx, customer.key, { ...specExamples.t2v, prompt: 'a cat [sim:reject=429:Throttling.RateQuota]' });
    for (const taskId of ok) expect((await waitForFinal(ctx, customer.key, taskId)).status).toBe('SUCCESS');
    expect((await waitForFinal(ctx, customer.key, failed)).status).toBe('FAILURE');
    await until(async () => ((await sumOf(`SELECT attempts AS n FROM tasks WHERE task_id = '${throttled}'`)) >= 1 ? true : undefined), 'a throttled submit');

    // The throttled task waits, unfinished, in the delayed set between its attempts (the gauges
    // are read at most every 2 s, however often the API is scraped).
    await scrapeUntil(ctx.baseUrl, (m) => total(m, 'vgw_tasks', { status: 'NOT_START', model: MODEL }) === 1, 'the throttled task NOT_START');
    await scrapeUntil(ctx.baseUrl, (m) => total(m, 'vgw_queue_jobs', { queue: 'tasks', state: 'delayed' }) === 1, 'the throttled task delayed');
    expect((await ctx.http('POST', `/v1/video/generations/${throttled}/cancel`, { token: customer.key })).status).toBe(200);

    await until(async () => ((await sumOf(`SELECT count(*) AS n FROM tasks WHERE result_copy = 'stored'`)) === 3 ? true : undefined), 'the copies');
    await until(async () => ((await sumOf(`SELECT count(*) AS n FROM webhook_deliveries WHERE delivered`)) === 1 ? true : undefined), 'the webhook');
    const [api, work] = await Promise.all([scrapeUntil(ctx.baseUrl, (m) => total(m, 'vgw_tasks') === 0, 'no task unfinished'), scrape(worker.url)]);
    const charged = await sumOf('SELECT sum(quota) AS n FROM logs WHERE type = 2');
    const refundOf = (taskId: string) => sumOf(`SELECT sum(quota) AS n FROM logs WHERE type = 6 AND task_id = '${taskId}'`);

    // The API: requests by route pattern, submits and their charge, the cancel's refund.
    expect(delta(api, apiBefore, 'vgw_http_request_duration_seconds_count', { method: 'POST', route: '/v1/video/generations', status: '200' })).toBe(5);
    expect(delta(api, apiBefore, 'vgw_http_request_duration_seconds_count', { method: 'GET', route: '/v1/video/generations/:task_id', status: '200' })).toBeGreaterThanOrEqual(4);
    expect(api.filter((s) => Object.values(s.labels).some((v) => /task_[A-Za-z0-9]{32}/.test(v)))).toEqual([]);
    expect(delta(api, apiBefore, 'vgw_tasks_submitted_total', { model: MODEL })).toBe(5);
    expect(delta(api, apiBefore, 'vgw_quota_charged_total', { model: MODEL })).toBe(charged);
    expect(charged).toBe(5 * 250_000);
    // Each submit went through a charge statement, alone or with others.
    expect(delta(api, apiBefore, 'vgw_charge_batch_rows_sum')).toBe(5);
    const statements = delta(api, apiBefore, 'vgw_charge_batch_rows_count');
    expect(statements).toBeGreaterThanOrEqual(1);
    expect(delta(api, apiBefore, 'vgw_charge_statement_duration_seconds_count')).toBe(statements);
    expect(delta(api, apiBefore, 'vgw_tasks_finished_total', { status: 'FAILURE', model: MODEL })).toBe(1);
    expect(delta(api, apiBefore, 'vgw_quota_refunded_total', { model: MODEL })).toBe(await refundOf(throttled));
    // The API's gauges: nothing unfinished any more, the queues, the channel, the worker's heartbeat.
    expect(total(api, 'vgw_tasks')).toBe(0);
    expect(new Set(api.filter((s) => s.name === 'vgw_queue_jobs').map((s) => s.labels.queue))).toEqual(new Set(['tasks', 'results', 'webhooks']));
    expect(total(api, 'vgw_channel_status', { channel: String(channelId), name: 'simulator', status: 'enabled' })).toBe(1);
    expect(total(api, 'vgw_workers_alive')).toBe(1);
    expect(total(api, 'vgw_scrape_source_up', { source: 'postgres' }) + total(api, 'vgw_scrape_source_up', { source: 'redis' })).toBe(2);
    expect(names(api)).toContain('process_cpu_user_seconds_total');

    // The worker: every upstream call by kind and outcome, settlements, refunds, copies, webhooks.
    const upstream = (kind: string, outcome: string) => delta(work, workerBefore, 'vgw_upstream_requests_total', { channel: String(channelId), kind, outcome });
    expect(upstream('submit', 'ok')).toBe(4);
    expect(upstream('submit', '5xx')).toBe(1);
    expect(upstream('submit', '429')).toBeGreaterThanOrEqual(1);
    expect(upstream('query', 'ok')).toBeGreaterThanOrEqual(4);
    expect(upstream('query', '5xx')).toBe(1);
    expect(delta(work, workerBefore, 'vgw_upstream_request_duration_seconds_count', { kind: 'submit' })).toBe(delta(work, workerBefore, 'vgw_upstream_requests_total', { kind: 'submit' }));
    expect(delta(work, workerBefore, 'vgw_tasks_finished_total', { status: 'SUCCESS', model: MODEL })).toBe(3);
    expect(delta(work, workerBefore, 'vgw_tasks_finished_total', { status: 'FAILURE', model: MODEL })).toBe(1);
    expect(delta(work, workerBefore, 'vgw_task_duration_seconds_count', { status: 'SUCCESS', model: MODEL })).toBe(3);
    expect(delta(work, workerBefore, 'vgw_task_duration_seconds_sum', { status: 'SUCCESS', model: MODEL })).toBeGreaterThan(0);
    expect(delta(work, workerBefore, 'vgw_quota_refunded_total', { model: MODEL })).toBe(await refundOf(failed));
    expect(await refundOf(failed)).toBe(250_000);
    expect(delta(work, workerBefore, 'vgw_result_copies_total', { outcome: 'stored' })).toBe(3);
    expect(delta(work, workerBefore, 'vgw_webhook_attempts_total', { outcome: 'delivered' })).toBe(1);
    // Gauges of the whole gateway come from the API alone, so that a sum over processes counts them once.
    expect(names(work)).not.toContain('vgw_tasks');
    expect(names(work)).not.toContain('vgw_workers_alive');
    expect(names(work)).toContain('process_resident_memory_bytes');

    // The Grafana dashboard shipped in the repository asks only for series these processes export.
    const dashboard = readFileSync(new URL('../../deploy/grafana/gateway-dashboard.json', import.meta.url), 'utf8');
    const asked = new Set([...dashboard.matchAll(/\b(?:vgw|process|nodejs)_\w+/g)].map(([name]) => name));
    const declared = async (base: string) => {
      const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
      return [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!]));
    };
    const exported = new Set([...(await declared(ctx.baseUrl)), ...(await declared(worker.url))]);
    expect([...asked].filter((name) => !exported.has(name))).toEqual([]);
    expect(asked.size).toBeGreaterThan(15);
    // Tracing is off here (no OTEL_EXPORTER_OTLP_ENDPOINT): no task carries a trace context.
    expect(await sumOf('SELECT count(*) AS n FROM tasks WHERE traceparent IS NOT NULL')).toBe(0);
  });
});
