// `npm start`'s entry point as a user runs it, in its own process, on a database that does not
// exist yet: it creates and migrates it, starts the simulator, a worker and the API, and a task
// goes from submit to SUCCESS with the gateway's own copy of the video.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, inject } from 'vitest';
import { withDatabase } from '../setup/database-url.ts';
import { adminQuery } from '../helpers/context.ts';
import { freePort } from '../helpers/free-port.ts';
import { specExamples } from '../helpers/factories.ts';
import { until } from '../helpers/until.ts';

const ENTRY = new URL('../../src/entrypoints/start.ts', import.meta.url).pathname;
const suffix = randomBytes(6).toString('hex');
const database = `vgw_start_${suffix}`;

let child: ChildProcess;
let output = '';
let baseUrl: string;
let storageDir: string;

async function json(method: string, url: string, token: string, body?: unknown) {
  const res = await fetch(`${baseUrl}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** until() for this child: a probe that fails counts as not yet, and the child dying ends the wait. */
function untilChild<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
  return until(
    async () => {
      const value = await probe().catch(() => undefined);
      if (value === undefined && child.exitCode !== null) throw new Error(`the process exited with ${child.exitCode} before ${what}; it said:\n${output}`);
      return value;
    },
    () => `${what} (the process said:\n${output})`,
    { timeoutMs, intervalMs: 100 },
  );
}

beforeAll(async () => {
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  storageDir = await mkdtemp(path.join(tmpdir(), 'vgw-start-'));
  child = spawn(process.execPath, [ENTRY], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: withDatabase(inject('databaseUrl'), database),
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: `vgwstart_${suffix}`,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: baseUrl,
      STORAGE_DIR: storageDir,
      ADMIN_TOKEN: 'start-test',
      LOG_LEVEL: 'info',
      SIM_PORT: String(await freePort()),
      SIM_PENDING_MS: '100',
      SIM_RUNNING_MS: '500',
      POLL_FIRST_DELAY_MS: '200',
      POLL_INTERVAL_MS: '300',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  await untilChild(async () => ((await fetch(`${baseUrl}/readyz`)).ok ? true : undefined), 'readiness', 60_000);
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await rm(storageDir, { recursive: true, force: true });
});

it('says where the API and its docs are once it listens', () => {
  const lines = output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg: string });
  expect(lines.map((l) => l.msg)).toContain(`API ready at ${baseUrl} (interactive docs: ${baseUrl}/docs)`);
  // The API and the worker share one process here: its missing ENCRYPTION_KEY is reported once.
  expect(lines.filter((l) => l.msg.startsWith('ENCRYPTION_KEY is not set'))).toHaveLength(1);
});

it('creates the database, runs everything, and takes a task to SUCCESS with a stored copy', async () => {
  const user = await json('POST', '/admin/users', 'start-test', { name: 'acme', quota: 1_000_000 });
  expect(user.status, JSON.stringify(user.body)).toBe(201);
  const key = await json('POST', '/admin/keys', 'start-test', { user_id: user.body.id });
  const submitted = await json('POST', '/v1/video/generations', key.body.key, specExamples.t2v);
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);

  const record = await untilChild(async () => {
    const { body } = await json('GET', `/v1/video/generations/${submitted.body.task_id}`, key.body.key);
    return body.data.result_url.startsWith(`${baseUrl}/files/`) ? body.data : undefined;
  }, 'the stored copy', 30_000);
  expect(record).toMatchObject({ status: 'SUCCESS', quota: 250_000 });
  const video = await fetch(record.result_url);
  expect(video.status).toBe(200);
  expect(video.headers.get('content-type')).toBe('video/mp4');

  // One process, one /metrics on PORT: the API's figures and its worker's together.
  const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
  expect(metrics).toMatch(/^vgw_http_request_duration_seconds_count\{method="POST",route="\/v1\/video\/generations",status="200"\} 1$/m);
  expect(metrics).toMatch(/^vgw_upstream_requests_total\{channel="\d+",kind="submit",outcome="ok"\} 1$/m);
  expect(metrics).toMatch(/^vgw_tasks_finished_total\{status="SUCCESS",model="wan2.7-t2v"\} 1$/m);
  expect(metrics).toMatch(/^vgw_workers_alive 1$/m);
});
