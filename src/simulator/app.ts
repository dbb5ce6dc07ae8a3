// Composition root of the DashScope simulator: a fake of DashScope's async video API for the
// wan2.7 models, faithful enough that the gateway runs end to end against it without an Alibaba
// account. Tests build it in-process; `npm run simulator` runs it on its own.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { loggerOptions } from '../lib/logger.ts';
import { notFoundHandler, simErrorHandler } from './error-envelope.ts';
import type { SimulatorOptions } from './options.ts';
import { type KindStats, RateLimit } from './rate-limiter.ts';
import { makeGuards } from './request-guards.ts';
import { resultVideoRoutes } from './result-video.routes.ts';
import { Storm, type StormSpec } from './storm.ts';
import { submitRoute } from './submit.route.ts';
import { TaskStore } from './task-store.ts';
import { taskRoutes } from './task.routes.ts';
import { VideoLinks } from './video-links.ts';

export interface SimulatorStats {
  /** POST video-synthesis requests that passed authentication. */
  submit: KindStats;
  /** GET task and cancel requests that passed authentication. */
  query: KindStats;
  tasksCreated: number;
}

export interface Simulator {
  app: FastifyInstance;
  stats(): SimulatorStats;
  /** Every submit and query answers `status` for `forMs` (not DashScope's: for chaos runs). */
  storm(spec: StormSpec): void;
}

// Room for a few base64 data: images (DashScope takes images up to 20 MB that way).
const BODY_LIMIT_BYTES = 64 * 1024 * 1024;
const SAMPLE_VIDEO = new URL('./assets/sample.mp4', import.meta.url);

export async function buildSimulator(options: SimulatorOptions): Promise<Simulator> {
  const video = await readFile(SAMPLE_VIDEO);
  const store = new TaskStore({ pendingMs: options.pendingMs, retentionMs: options.retentionS * 1000 });
  const links = new VideoLinks(options.retentionS);
  const submits = new RateLimit(options.submitQps);
  const queries = new RateLimit(options.queryQps);
  const storm = new Storm();
  const guards = makeGuards({ apiKey: options.apiKey, submits, queries, storm });
  const stats = (): SimulatorStats => ({ submit: submits.stats(), query: queries.stats(), tasksCreated: store.created });

  const app = Fastify({
    logger: loggerOptions(options.logLevel, 'simulator'),
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: () => randomUUID(),
  });
  // DashScope takes JSON only; without this a text/plain body would reach validation as a string.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(simErrorHandler);
  app.setNotFoundHandler(notFoundHandler);

  await app.register(async (api) => {
    api.addHook('onSend', async (request, reply) => {
      reply.header('x-request-id', request.id);
    });
    await api.register(submitRoute, { guard: guards.submit, store, runningMs: options.runningMs });
    await api.register(taskRoutes, { guard: guards.query, store, links, publicUrl: options.publicUrl });
    // Not DashScope's: lets benchmarks in another process check that a client kept to the limits.
    api.get('/__sim/stats', async () => stats());
    // Not DashScope's either: for container health checks, without a key or a rate limit.
    api.get('/__sim/healthz', async () => ({ status: 'ok' }));
  });
  // OSS, not DashScope, serves result files, so no request_id / X-Request-ID there.
  await app.register(resultVideoRoutes, { links, video });
  return { app, stats, storm: (spec) => storm.start(spec) };
}
