// A worker process's own small HTTP server, for operators and orchestrators rather than clients:
// /healthz (the process is up) and /readyz (PostgreSQL and Redis answer), the same routes as the
// API's, and /metrics (the worker's own figures). It listens on METRICS_PORT, so several workers on one host each take their own port
// (0 picks a free one); `npm start`'s combined process does not open it, its API answers instead.
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from '../config/env.ts';
import { registerErrorHandlers } from '../http/error-handler.ts';
import { healthRoutes } from '../http/health.routes.ts';
import type { Connections } from '../infra.ts';
import { reachableHost } from '../lib/reachable-host.ts';
import { metricsRoutes } from '../observability/metrics.routes.ts';

export interface OpsServerDeps extends Pick<Connections, 'db' | 'redis' | 'metrics'> {
  config: Pick<Config, 'HOST' | 'METRICS_PORT' | 'METRICS_TOKEN' | 'BODY_LIMIT_BYTES' | 'UPLOAD_LIMIT_BYTES'>;
  log: FastifyBaseLogger;
}

export interface OpsServer {
  app: FastifyInstance;
  /** Where it listens, e.g. http://127.0.0.1:9464 */
  url: string;
  close(): Promise<void>;
}

export async function buildOpsServer({ db, redis, metrics, config, log }: OpsServerDeps): Promise<FastifyInstance> {
  // Probes come every few seconds: logging each one would drown the worker's own lines.
  const app = Fastify({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandlers(app, { bodyLimit: config.BODY_LIMIT_BYTES, uploadLimit: config.UPLOAD_LIMIT_BYTES });
  await app.register(healthRoutes, { db, redis });
  await app.register(metricsRoutes, { metrics, token: config.METRICS_TOKEN });
  return app;
}

export async function startOpsServer(deps: OpsServerDeps): Promise<OpsServer> {
  const app = await buildOpsServer(deps);
  await app.listen({ port: deps.config.METRICS_PORT, host: deps.config.HOST });
  const { port } = app.server.address() as AddressInfo;
  const url = `http://${reachableHost(deps.config.HOST)}:${port}`;
  deps.log.info(
    { url, healthz: `${url}/healthz`, readyz: `${url}/readyz`, metrics: `${url}/metrics` },
    `health endpoints at ${url}/healthz and ${url}/readyz, metrics at ${url}/metrics`,
  );
  return { app, url, close: () => app.close() };
}
