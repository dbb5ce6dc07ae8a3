// A simulator listening on a random local port with fast timings, and small fetch helpers that
// speak DashScope's headers.
import { buildSimulator, type Simulator } from '../../src/simulator/app.ts';
import type { SimulatorOptions } from '../../src/simulator/options.ts';
import { SUBMIT_PATH } from '../../src/simulator/submit.route.ts';

export const API_KEY = 'sk-test-simulator';
export const FAST: SimulatorOptions = {
  apiKey: API_KEY,
  pendingMs: 50,
  runningMs: 100,
  retentionS: 60,
  // High enough that only the rate-limit tests meet the limits.
  submitQps: 1000,
  queryQps: 1000,
  logLevel: 'silent',
};

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface CallOptions {
  /** null sends no Authorization header. */
  key?: string | null;
  /** Sends X-DashScope-Async: enable (submits only, by default). */
  async?: boolean;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

export interface Harness {
  base: string;
  simulator: Simulator;
  call(method: string, path: string, options?: CallOptions): Promise<Reply>;
  submit(body: unknown, options?: CallOptions): Promise<Reply>;
  query(taskId: string): Promise<Reply>;
  cancel(taskId: string): Promise<Reply>;
  /** Polls every 10 ms until the task reaches `status`; returns every status seen, in order. */
  waitFor(taskId: string, status: string, timeoutMs?: number): Promise<{ seen: string[]; last: Reply }>;
  close(): Promise<void>;
}

export async function startSimulator(overrides: Partial<SimulatorOptions> = {}): Promise<Harness> {
  const simulator = await buildSimulator({ ...FAST, ...overrides });
  const base = await simulator.app.listen({ port: 0, host: '127.0.0.1' });

  const call = async (method: string, path: string, options: CallOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.key === undefined ? API_KEY : options.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    if (options.async) headers['x-dashscope-async'] = 'enable';
    let body = options.raw;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${base}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    if (response.headers.get('content-type')?.startsWith('application/json')) parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed, text };
  };
  const query = (taskId: string) => call('GET', `/api/v1/tasks/${taskId}`);

  return {
    base,
    simulator,
    call,
    submit: (body, options = {}) => call('POST', SUBMIT_PATH, { async: true, ...options, body }),
    query,
    cancel: (taskId) => call('POST', `/api/v1/tasks/${taskId}/cancel`),
    async waitFor(taskId, status, timeoutMs = 5_000) {
      const seen: string[] = [];
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const last = await query(taskId);
        const current = last.body.output.task_status as string;
        if (seen.at(-1) !== current) seen.push(current);
        if (current === status) return { seen, last };
        if (Date.now() > deadline) throw new Error(`task ${taskId} still ${current} after ${timeoutMs} ms (seen ${seen.join(' → ')})`);
        await sleep(10);
      }
    },
    close: () => simulator.app.close(),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A minimal valid wan2.7-t2v submit around `prompt`. */
export const t2v = (prompt: string, parameters: Record<string, unknown> = {}) => ({
  model: 'wan2.7-t2v',
  input: { prompt },
  parameters: { resolution: '720P', ...parameters },
});

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const CHINA_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/;

/** A "YYYY-MM-DD HH:mm:ss.SSS" UTC+8 string back to epoch milliseconds. */
export const fromChinaTime = (text: string): number => Date.parse(`${text.replace(' ', 'T')}+08:00`);
