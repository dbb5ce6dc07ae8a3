// A worker process's own health endpoints: the real entry point, in its own process, serves
// /healthz and /readyz on METRICS_PORT (0: a free port it logs, so workers can share a host), and
// /readyz names whichever of PostgreSQL and Redis does not answer. Each worker's heartbeat shows in
// the API's /readyz while it runs, and leaves it when the worker stops.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { GATEWAY_VERSION } from '../../src/lib/version.ts';
import { createRedis } from '../../src/lib/redis.ts';
import { aliveWorkers, HEARTBEAT_MS, MISSED_BEATS_DEAD } from '../../src/worker/heartbeats.repository.ts';
import { buildOpsServer } from '../../src/worker/ops-server.ts';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { startWorkerProcess as startWorker, stopWorkerProcess as stop } from '../helpers/worker-process.ts';

const log = pino({ level: 'silent' });

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const QUEUES = { tasks: 2, results: 2, webhooks: 2, maintenance: 2 };

describe('a worker process', () => {
  it('answers /healthz and /readyz on a port of its own, one per worker, and stops cleanly', async () => {
    expect((await ctx.http('GET', '/readyz')).body.workers).toEqual({ alive: 0, queues: {} });
    const workers = await Promise.all([startWorker(ctx), startWorker(ctx)]);
    try {
      expect(new Set(workers.map((w) => w.url)).size).toBe(2);
      // The API sees both through their heartbeats, written before a worker says it started.
      const seen = await ctx.http('GET', '/readyz');
      expect(seen.status).toBe(200);
      expect(seen.body).toEqual({ status: 'ready', postgres: 'ok', redis: 'ok', workers: { alive: 2, queues: QUEUES } });
      for (const worker of workers) {
        const health = await fetch(`${worker.url}/healthz`);
        expect(health.status).toBe(200);
        expect(await health.json()).toEqual({ status: 'ok' });
        const ready = await fetch(`${worker.url}/readyz`);
        expect(ready.status).toBe(200);
        expect(await ready.json()).toEqual({ status: 'ready', postgres: 'ok', redis: 'ok', workers: { alive: 2, queues: QUEUES } });
        const unknown = await fetch(`${worker.url}/nothing-here`);
        expect(unknown.status).toBe(404);
        expect(await unknown.json()).toEqual({ code: 'not_found', message: 'no route for GET /nothing-here', data: null });
      }
    } finally {
      const codes = await Promise.all(workers.map(stop));
      expect(codes, workers.map((w) => w.output()).join('\n')).toEqual([0, 0]);
    }
    // Stopped cleanly, each took its heartbeat with it.
    expect((await ctx.http('GET', '/readyz')).body.workers).toEqual({ alive: 0, queues: {} });
  });

  it('counts a worker whose beats stopped coming as dead after a few missed beats', async () => {
    const worker = await startWorker(ctx);
    try {
      expect((await ctx.http('GET', '/readyz')).body.workers.alive).toBe(1);
      const { rows } = await ctx.query('SELECT worker_id, host, pid, queues, version FROM worker_heartbeats');
      expect(rows).toEqual([{ worker_id: expect.stringContaining(`:${worker.child.pid}:`), host: expect.any(String), pid: worker.child.pid, queues: Object.keys(QUEUES), version: GATEWAY_VERSION }]);
      // A worker killed outright leaves its row; it stops counting once its last beat is too old.
      worker.child.kill('SIGKILL');
      await new Promise((resolve) => worker.child.once('exit', resolve));
      await ctx.query(`UPDATE worker_heartbeats SET last_seen = last_seen - make_interval(secs => $1)`, [(HEARTBEAT_MS * MISSED_BEATS_DEAD) / 1000 - 1]);
      expect((await aliveWorkers(ctx.db)).length).toBe(1);
      await ctx.query(`UPDATE worker_heartbeats SET last_seen = last_seen - interval '2 seconds'`);
      expect(await aliveWorkers(ctx.db)).toEqual([]);
      expect((await ctx.http('GET', '/readyz')).body).toEqual({ status: 'ready', postgres: 'ok', redis: 'ok', workers: { alive: 0, queues: {} } });
    } finally {
      await stop(worker);
      await ctx.query('DELETE FROM worker_heartbeats');
    }
  });
});

describe('/readyz', () => {
  const config = { HOST: '127.0.0.1', METRICS_PORT: 0, METRICS_TOKEN: '', BODY_LIMIT_BYTES: 1024, UPLOAD_LIMIT_BYTES: 1024 };

  it('answers 503 naming PostgreSQL when it does not answer', async () => {
    const gone = openDatabase({ url: 'postgresql://postgres@127.0.0.1:1/none', poolSize: 1, statementTimeoutMs: 1_000, connectTimeoutMs: 1_000 });
    const app = await buildOpsServer({ db: gone.db, redis: ctx.redis, metrics: ctx.metrics, config, log });
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'not_ready', postgres: 'down', redis: 'ok', workers: null });
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
      await gone.close();
    }
  });

  it('stays ready while Redis does not answer, and says so', async () => {
    const gone = createRedis('redis://127.0.0.1:1', 'ops-server-test');
    gone.on('error', () => {});
    const app = await buildOpsServer({ db: ctx.db, redis: gone, metrics: ctx.metrics, config, log });
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ready', postgres: 'ok', redis: 'down', workers: { alive: 0, queues: {} } });
    } finally {
      await app.close();
      gone.disconnect();
    }
  });
});
