// The whole gateway in one test file: API, worker and a DashScope simulator with fast timings,
// all over real HTTP, on the file's own database and Redis namespace.
import { expect } from 'vitest';
import { pino } from 'pino';
import { buildSimulator, type Simulator } from '../../src/simulator/app.ts';
import type { SimulatorOptions } from '../../src/simulator/options.ts';
import { type RunningWorker, startWorker } from '../../src/worker/start-worker.ts';
import { createInfra, type Infra } from '../../src/infra.ts';
import { ADMIN_TOKEN, createTestContext, type TestContext } from './context.ts';
import { until } from './until.ts';

export const SIM_KEY = 'sk-sim-test';

export const FAST_SIMULATOR: Omit<SimulatorOptions, 'publicUrl'> = {
  apiKey: SIM_KEY,
  pendingMs: 100,
  runningMs: 300,
  retentionS: 3_600,
  submitQps: 50,
  queryQps: 100,
  logLevel: 'silent',
};

export const FAST_WORKER_ENV: Record<string, string> = {
  POLL_FIRST_DELAY_MS: '100',
  POLL_INTERVAL_MS: '150',
  UNKNOWN_GRACE_MS: '800',
  CHANNEL_SUBMIT_QPS: '45',
  CHANNEL_QUERY_QPS: '90',
  // Tests run the reconciler themselves when they need it.
  RECONCILE_INTERVAL_MS: '3600000',
  WORKER_LOCK_MS: '2000',
};

export interface GatewayContext extends TestContext {
  simulator: Simulator;
  simulatorUrl: string;
  /** The most recently started worker. */
  worker: RunningWorker;
  /** Starts another worker on the same database and Redis. */
  startWorker(): Promise<RunningWorker>;
  /** Stops every worker started in this process. */
  stopWorkers(): Promise<void>;
  addChannel(body?: Record<string, unknown>): Promise<{ id: number }>;
}

export async function createGatewayContext(options: { simulator?: Partial<SimulatorOptions>; env?: Record<string, string>; channel?: boolean } = {}): Promise<GatewayContext> {
  const ctx = await createTestContext({ ...FAST_WORKER_ENV, ...options.env });
  let simulatorUrl = '';
  const simulator = await buildSimulator({ ...FAST_SIMULATOR, ...options.simulator, publicUrl: () => simulatorUrl });
  await simulator.app.listen({ port: 0, host: '127.0.0.1' });
  const address = simulator.app.server.address();
  simulatorUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  // Each worker has connections of its own, as a worker process does: its pool never competes
  // with the API's.
  const workers = new Map<RunningWorker, Infra>();
  const launch = async () => {
    const infra = await createInfra(ctx.config, 'worker');
    const worker = await startWorker({ config: ctx.config, ...infra, log: pino({ level: process.env.TEST_WORKER_LOG ?? 'silent' }) });
    workers.set(worker, infra);
    gateway.worker = worker;
    return worker;
  };
  const stopWorkers = async () => {
    for (const [worker, infra] of workers) {
      await worker.close();
      await infra.close();
    }
    workers.clear();
  };
  const addChannel = async (body: Record<string, unknown> = {}) => {
    const res = await ctx.http('POST', '/admin/channels', { token: ADMIN_TOKEN, body: { name: 'simulator', base_url: simulatorUrl, api_key: SIM_KEY, ...body } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: number };
  };
  if (options.channel !== false) await addChannel();

  const gateway: GatewayContext = {
    ...ctx,
    simulator,
    simulatorUrl,
    worker: undefined as unknown as RunningWorker,
    startWorker: launch,
    stopWorkers,
    addChannel,
    async close() {
      await stopWorkers().catch(() => {});
      await simulator.app.close();
      await ctx.close();
    },
  };
  await launch();
  return gateway;
}

export interface TaskRecord {
  task_id: string;
  status: 'NOT_START' | 'QUEUED' | 'IN_PROGRESS' | 'SUCCESS' | 'FAILURE';
  quota: number;
  progress: string;
  fail_reason: string;
  result_url: string;
  channel_id: number;
  start_time: number;
  finish_time: number;
  data: Record<string, any>;
  properties: { upstream_model_name: string; origin_model_name: string };
}

/** Asks the public query endpoint, each time holding the answer until the end (Prefer: wait), until the task is final. */
export async function waitForFinal(ctx: TestContext, key: string, taskId: string, timeoutMs = 20_000): Promise<TaskRecord> {
  let status = '';
  return until(
    async () => {
      const res = await ctx.http('GET', `/v1/video/generations/${taskId}`, { token: key, headers: { prefer: 'wait=5' } });
      expect(res.status).toBe(200);
      const task = res.body.data as TaskRecord;
      status = task.status;
      return status === 'SUCCESS' || status === 'FAILURE' ? task : undefined;
    },
    () => `the end of task ${taskId} (still ${status})`,
    { timeoutMs },
  );
}

export async function submit(ctx: TestContext, key: string, body: unknown): Promise<string> {
  const res = await ctx.http('POST', '/v1/video/generations', { token: key, body });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.id as string;
}
