// The gateway's API and worker entry points as separate processes, the way they are deployed:
// started on a test's database and Redis, signalled (SIGTERM to drain, SIGKILL to crash), and
// waited for. Free of vitest so that the chaos run (chaos/run.ts) starts its processes the same way.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from './free-port.ts';
import { until } from './until.ts';

const ENTRY_POINTS = {
  api: path.resolve(import.meta.dirname, '../../src/entrypoints/api.ts'),
  worker: path.resolve(import.meta.dirname, '../../src/entrypoints/worker.ts'),
};

export type GatewayRole = keyof typeof ENTRY_POINTS;

export interface GatewayProcess {
  role: GatewayRole;
  /** The API's address, or the worker's health server's. */
  url: string;
  child: ChildProcess;
  /** What the process printed, for error messages (its last 20,000 characters). */
  output(): string;
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** Sends `signal` and waits for the process to end. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `npm run start:api` or `npm run worker` with `env` (DATABASE_URL, REDIS_URL... of the
 * caller's gateway) on a port of its own, and waits until its /readyz answers 200.
 */
export async function startGatewayProcess(role: GatewayRole, env: Record<string, string>, { readyTimeoutMs = 30_000 } = {}): Promise<GatewayProcess> {
  const port = await freePort();
  const portVariable = role === 'api' ? 'PORT' : 'METRICS_PORT';
  const child = spawn(process.execPath, [ENTRY_POINTS[role]], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env, [portVariable]: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const handle: GatewayProcess = {
    role,
    url,
    child,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  try {
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error(`the ${role} process exited with ${child.exitCode} before it was ready:\n${output}`);
        const res = await fetch(`${url}/readyz`).catch(() => undefined);
        return res?.status === 200 ? true : undefined;
      },
      () => `the ${role} process ready on ${url} (it said:\n${output})`,
      { timeoutMs: readyTimeoutMs, intervalMs: 100 },
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return handle;
}

/** The settings that put a process on the same gateway as `config`: database, Redis, storage, admin token. */
export function sameGateway(config: { DATABASE_URL: string; REDIS_URL: string; REDIS_PREFIX: string; STORAGE_DIR: string; ADMIN_TOKEN: string }): Record<string, string> {
  const { DATABASE_URL, REDIS_URL, REDIS_PREFIX, STORAGE_DIR, ADMIN_TOKEN } = config;
  return { DATABASE_URL, REDIS_URL, REDIS_PREFIX, STORAGE_DIR, ADMIN_TOKEN };
}
