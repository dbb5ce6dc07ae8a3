// A Redis Cluster of a test's own: three masters from the redis-server binary, joined with
// `redis-cli --cluster create`, in a temporary folder removed with it.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.ts';
import { until } from './until.ts';

const run = promisify(execFile);

export interface PrivateRedisCluster {
  /** "127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3", as REDIS_CLUSTER_NODES takes them. */
  nodes: string;
  ports: number[];
  close(): Promise<void>;
}

export async function startRedisCluster(masters = 3): Promise<PrivateRedisCluster> {
  const dir = await mkdtemp(path.join(tmpdir(), 'vgw-redis-cluster-'));
  const ports: number[] = [];
  // One at a time: freePort() may hand out the same port twice before anything listens on it.
  for (let i = 0; i < masters; i++) {
    let port = await freePort();
    while (ports.includes(port) || port > 55_535) port = await freePort();
    ports.push(port);
  }
  const children: ChildProcess[] = ports.map((port) =>
    spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
        '--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'no', '--dbfilename', `dump-${port}.rdb`],
      { stdio: 'ignore' },
    ),
  );
  const cli = (port: number, ...args: string[]) => run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);
  const close = async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(children.map((child) => (child.exitCode === null && child.signalCode === null ? new Promise((r) => child.once('exit', r)) : undefined)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) await until(async () => ((await cli(port, 'ping').catch(() => undefined))?.stdout.trim() === 'PONG' ? true : undefined), `redis-server on ${port}`, { timeoutMs: 10_000 });
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (const port of ports) {
      await until(async () => ((await cli(port, 'cluster', 'info')).stdout.includes('cluster_state:ok') ? true : undefined), `the cluster ready on ${port}`, { timeoutMs: 20_000 });
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { nodes: ports.map((p) => `127.0.0.1:${p}`).join(','), ports, close };
}
