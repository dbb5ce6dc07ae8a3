// `npm run worker`'s entry point in a process of its own, on a test context's database, Redis and
// storage, its ops server (health, metrics) on a free port that it logs.
import { type ChildProcess, spawn } from 'node:child_process';
import type { TestContext } from './context.ts';
import { until } from './until.ts';

const ENTRY = new URL('../../src/entrypoints/worker.ts', import.meta.url).pathname;

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** The ops server's base URL, from the worker's own log line. */
  url: string;
}

export async function startWorkerProcess(ctx: TestContext, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [ENTRY], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: ctx.config.DATABASE_URL,
      REDIS_URL: ctx.config.REDIS_URL,
      REDIS_PREFIX: ctx.config.REDIS_PREFIX,
      STORAGE_DIR: ctx.config.STORAGE_DIR,
      PUBLIC_BASE_URL: ctx.config.PUBLIC_BASE_URL,
      HOST: '127.0.0.1',
      METRICS_PORT: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const url = await until(
    async () => {
      if (child.exitCode !== null) throw new Error(`the worker exited with ${child.exitCode}:\n${output}`);
      // Once it says it started, its consumers run and its heartbeat is written.
      if (!output.includes('"msg":"worker started"')) return undefined;
      return /"healthz":"(http:\/\/127\.0\.0\.1:\d+)\/healthz"/.exec(output)?.[1];
    },
    () => `the worker's start (it said:\n${output})`,
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  return { child, output: () => output, url };
}

/** SIGTERM, as an orchestrator stops it; resolves with its exit code. */
export async function stopWorkerProcess(worker: WorkerProcess): Promise<number | null> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return worker.child.exitCode;
  const exited = new Promise<number | null>((r) => worker.child.once('exit', (code) => r(code)));
  worker.child.kill('SIGTERM');
  return exited;
}
