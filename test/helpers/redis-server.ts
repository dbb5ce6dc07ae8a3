// A Redis server of a test's own, from the redis-server binary, that the test can stop and start
// again (with or without its data) to see what the gateway does through an outage.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.ts';
import { until } from './until.ts';

export interface PrivateRedis {
  url: string;
  port: number;
  /** Stops the server; `keepData` saves a snapshot first, so the next start has it back. */
  stop(options?: { keepData?: boolean }): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'vgw-redis-'));
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--dbfilename', 'dump.rdb'], { stdio: 'ignore' });
    await until(async () => {
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      // Refusals while the server starts are expected; connect() reports them.
      probe.on('error', () => {});
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG' ? true : undefined;
      } catch {
        return undefined;
      } finally {
        probe.disconnect();
      }
    }, `redis-server on port ${port}`, { timeoutMs: 10_000 });
  };

  const stop = async ({ keepData = false } = {}) => {
    if (!child) return;
    const running = child;
    child = undefined;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    if (keepData) {
      const admin = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
      admin.on('error', () => {});
      await admin.call('SHUTDOWN', 'SAVE').catch(() => {});
      admin.disconnect();
    } else {
      await rm(path.join(dir, 'dump.rdb'), { force: true });
      running.kill('SIGKILL');
    }
    await exited;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
