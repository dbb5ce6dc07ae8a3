// Servers under test run as child processes so they never share an event loop (or a core's
// time slice, as far as the OS allows) with the load generator in this process.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cleanup } from './cleanup.ts';
import { freePort } from './ports.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

const live = new Set<ChildProcess>();
// Last resort for exits that skip the cleanup (a crash inside a cleanup step, process.exit from a
// library): an orphaned gateway would keep the bench database open and its port bound.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface ServerProcess {
  name: string;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export interface ServerSpec {
  name: string;
  /** Relative to the repository root. */
  script: string;
  /** Node.js options placed before the script, e.g. --cpu-prof. */
  nodeOptions?: string[];
  env: Record<string, string>;
  /** Polled until it answers 200 (a worker's is on its METRICS_PORT); without one, the process is not waited for. */
  readyPath?: string;
  /** Variables that receive the chosen port and host (the simulator reads SIM_PORT, SIM_HOST; a worker METRICS_PORT). */
  portVariable?: string;
  hostVariable?: string;
}

export async function startServer(spec: ServerSpec, cleanup: Cleanup): Promise<ServerProcess> {
  const port = await freePort(HOST);
  const url = `http://${HOST}:${port}`;
  const child = spawn(process.execPath, [...(spec.nodeOptions ?? []), path.join(REPO_ROOT, spec.script)], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...spec.env, [spec.hostVariable ?? 'HOST']: HOST, [spec.portVariable ?? 'PORT']: String(port) },
    // Child output goes to our stderr: stdout is the report, and its last line is machine-read.
    stdio: ['ignore', 2, 2],
  });
  live.add(child);
  let ended: string | undefined;
  const exited = new Promise<void>((resolve) => {
    const end = (why: string) => {
      ended ??= why;
      live.delete(child);
      resolve();
    };
    child.once('exit', (code, signal) => end(signal ? `signal ${signal}` : `exit code ${code}`));
    child.once('error', (err) => end(err.message));
  });

  const stop = async (): Promise<void> => {
    if (ended !== undefined) return;
    child.kill('SIGTERM');
    const outcome = await Promise.race([exited.then(() => 'exited'), sleep(STOP_GRACE_MS, 'timeout', { ref: false })]);
    if (outcome === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
  };
  cleanup.add(`stop ${spec.name}`, stop);

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (spec.readyPath === undefined) break;
    if (ended !== undefined) throw new Error(`${spec.name} ended before it was ready (${ended})`);
    if (await answers200(`${url}${spec.readyPath}`)) break;
    if (Date.now() > deadline) throw new Error(`${spec.name} was not ready after ${READY_TIMEOUT_MS} ms`);
    await sleep(100);
  }
  return { name: spec.name, url, pid: child.pid ?? 0, stop };
}

async function answers200(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}
