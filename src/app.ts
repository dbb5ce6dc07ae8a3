// The API process's composition root: entry points and tests build the app the same way.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from './config/env.ts';
import { refuseEncodedBodies } from './http/content-encoding.ts';
import { discardUnreadBodies } from './http/discard-unread-body.ts';
import { clientErrorHandler, frameworkErrors, registerErrorHandlers } from './http/error-handler.ts';
import { healthRoutes } from './http/health.routes.ts';
import { addClusterGauges } from './observability/cluster-gauges.ts';
import { traceRequests } from './observability/http-tracing.ts';
import { metricsRoutes, observeRequests } from './observability/metrics.routes.ts';
import { registerOpenApi } from './http/openapi.ts';
import { registerSecurityHeaders } from './http/security-headers.ts';
import { consoleRoutes } from './console/console.routes.ts';
import { storableInputCompiler } from './http/storable-input.ts';
import type { Connections } from './infra.ts';
import { loggerOptions } from './lib/logger.ts';
import { redisNamespace } from './lib/redis.ts';
import { adminRoutes } from './modules/admin/admin.routes.ts';
import { recordKeysLastUsed } from './modules/admin/keys.repository.ts';
import { makeAuthenticate } from './modules/auth/authenticate.ts';
import { RpmLimiter } from './modules/limits/rpm-limiter.ts';
import { consoleSessionRoutes } from './modules/auth/console-sessions.routes.ts';
import { createConsoleSessions } from './modules/auth/console-sessions.service.ts';
import { createMeService } from './modules/me/me.service.ts';
import { meRoutes } from './modules/me/me.routes.ts';
import { KeyCache } from './modules/auth/key-cache.ts';
import { type KeyIdentity, loadKeyIdentity } from './modules/auth/key-identity.ts';
import { LastUsedTracker } from './modules/auth/last-used.ts';
import { PriceCatalog } from './modules/pricing/catalog.ts';
import { createModelOffers } from './modules/pricing/model-offers.ts';
import { modelRoutes } from './modules/pricing/models.routes.ts';
import { createBillingService } from './modules/billing/billing.service.ts';
import { billingRoutes } from './modules/billing/billing.routes.ts';
import { quoteRoutes } from './modules/tasks/quote.routes.ts';
import { generationRoutes } from './modules/tasks/generations.routes.ts';
import { makeMultipartBody } from './modules/tasks/multipart-body.ts';
import { sourceVideoUrl } from './modules/tasks/remix-source.ts';
import type { TaskRoutesOptions } from './modules/tasks/route-support.ts';
import { videoRoutes } from './modules/tasks/videos.routes.ts';
import { fileRoutes } from './http/file.routes.ts';
import { publicBaseUrl } from './storage/create-storage.ts';
import { LocalStorage } from './storage/local-storage.ts';
import { createResultLinks } from './storage/result-links.ts';
import { assertCallbackUrl } from './webhooks/callback-url.ts';
import { DispatchBell } from './jobs/dispatch-bell.ts';
import { ChargeBatcher } from './modules/tasks/charge-batcher.ts';
import { OpenStreams } from './modules/tasks/event-stream.ts';
import { TaskCache } from './modules/tasks/task-cache.ts';
import { TaskEvents } from './modules/tasks/task-events.ts';
import { DashScopeClient } from './upstream/dashscope-client.ts';
import { ChannelDirectory } from './worker/channels.ts';
import { createTaskService } from './modules/tasks/tasks.service.ts';

export interface AppDeps extends Connections {
  config: Config;
}

const KEY_CACHE = { ttlMs: 60_000, negativeTtlMs: 1_000, maxEntries: 100_000 };
const PRICE_CACHE_TTL_MS = 30_000;
const CHANNEL_CACHE_MS = 30_000;
const LAST_USED_FLUSH_MS = 10_000;
const REQUEST_ID = /^[\w.:-]{1,128}$/;

// A caller's own request id is kept so its logs and ours can be joined.
function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

export async function buildApp({ config, db, listener, redis, bus, queues, storage, metrics, secrets }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(config.LOG_LEVEL, 'api'),
    bodyLimit: config.BODY_LIMIT_BYTES,
    genReqId: requestId,
    // Every answer, the framework's own included, comes in the shape of the API it belongs to.
    frameworkErrors,
    clientErrorHandler,
    // request.ip: the connection's address, or behind these proxies the client X-Forwarded-For names.
    trustProxy: config.TRUSTED_PROXIES.length > 0 ? config.TRUSTED_PROXIES : false,
    // While the server drains (SIGTERM), a request that still arrives on an open connection is
    // served (with Connection: close) rather than refused with the framework's own 503, which has
    // neither the API's error shape nor a Retry-After.
    return503OnClosing: false,
  });
  if (config.OTEL_EXPORTER_OTLP_ENDPOINT) traceRequests(app);
  app.setValidatorCompiler(storableInputCompiler(validatorCompiler));
  app.setSerializerCompiler(serializerCompiler);
  // Bodies are JSON; without this, a text/plain body would reach validation as a string.
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('auth', null as unknown as KeyIdentity);
  // Set when the request arrives: every answer carries it, errors included, without a hook per send.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  registerErrorHandlers(app, { bodyLimit: config.BODY_LIMIT_BYTES, uploadLimit: config.UPLOAD_LIMIT_BYTES });
  observeRequests(app, metrics);
  addClusterGauges(metrics, { db, queues });
  discardUnreadBodies(app, config.BODY_DISCARD_LIMIT_BYTES);
  refuseEncodedBodies(app);
  // Creates only: multipart bodies are read by the route's own hook (multipart-body.ts).
  await app.register(multipart);
  // The web console's session cookie (src/modules/auth/console-sessions.service.ts).
  await app.register(cookie);
  registerSecurityHeaders(app, publicBaseUrl(config), await storage.linkOrigin());
  await registerOpenApi(app, {
    baseUrl: publicBaseUrl(config),
    pollIntervalMs: config.POLL_INTERVAL_MS,
    resultRetentionDays: config.RESULT_RETENTION_DAYS,
  });

  const keyCache = new KeyCache((hash) => loadKeyIdentity(db, hash), bus, KEY_CACHE);
  const baseUrl = publicBaseUrl(config);
  const sessions = createConsoleSessions({ db, keys: keyCache, ttlS: config.CONSOLE_SESSION_TTL_S, publicOrigin: new URL(baseUrl).origin });
  const lastUsed = new LastUsedTracker((entries) => recordKeysLastUsed(db, entries), app.log);
  lastUsed.start(LAST_USED_FLUSH_MS);
  app.addHook('onClose', () => lastUsed.stop());

  const catalog = new PriceCatalog(db, bus, PRICE_CACHE_TTL_MS);
  const links = createResultLinks(storage, config);
  const allowPrivateHosts = config.WEBHOOK_ALLOW_PRIVATE_HOSTS;
  const bell = new DispatchBell(db, app.log);
  const charges = new ChargeBatcher(db, {
    maxBatch: config.CHARGE_BATCH_MAX,
    concurrency: config.CHARGE_BATCH_CONCURRENCY,
    log: app.log,
    onCharged: (charged) => {
      bell.ring();
      // Once per model and batch: a labelled counter's increment costs a label lookup each time.
      const byModel = new Map<string, { tasks: number; quota: number }>();
      for (const { model, quota } of charged) {
        const sum = byModel.get(model) ?? { tasks: 0, quota: 0 };
        sum.tasks += 1;
        sum.quota += quota;
        byModel.set(model, sum);
      }
      for (const [model, sum] of byModel) {
        metrics.tasksSubmitted.inc({ model }, sum.tasks);
        metrics.quotaCharged.inc({ model }, sum.quota);
      }
    },
    onStatement: (rows, seconds) => {
      metrics.chargeBatchSize.observe(rows);
      metrics.chargeStatementDuration.observe(seconds);
    },
  });
  const events = new TaskEvents(listener);
  // Cancels reach DashScope from here: the client waits for its answer.
  const channels = new ChannelDirectory(db, bus, CHANNEL_CACHE_MS, secrets);
  const upstream = new DashScopeClient({ timeoutMs: config.UPSTREAM_TIMEOUT_MS, metrics });
  const ending = { db, channel: (id: number) => channels.get(id), upstream, queues, metrics, log: app.log };
  const tasks = createTaskService({
    db,
    charges,
    events,
    cache: new TaskCache(events, config.TASK_CACHE_ENTRIES),
    ending,
    catalog,
    checkCallbackUrl: (url) => assertCallbackUrl(url, { allowPrivateHosts }),
    sourceVideoUrl: (task) => sourceVideoUrl(task, links),
    storage,
    maxImageBytes: config.UPLOAD_LIMIT_BYTES,
  });
  const routes: TaskRoutesOptions = {
    tasks,
    authenticate: makeAuthenticate(keyCache, lastUsed, new RpmLimiter(redis, redisNamespace(config), app.log, metrics), sessions),
    links: { resultUrl: (task) => links.linkFor(task) },
    storage,
    multipartBody: makeMultipartBody({ uploadLimitBytes: config.UPLOAD_LIMIT_BYTES }),
    pollAfterMs: config.POLL_INTERVAL_MS,
    events,
    openStreams: new OpenStreams(),
    waitMaxS: config.WAIT_MAX_S,
    resultMaxBytes: config.RESULT_MAX_BYTES,
  };
  // Held answers and event streams end before the server stops taking connections, so a shutdown
  // is not held up by them: waiting requests get their task as it is, streams close.
  app.addHook('preClose', async () => {
    tasks.releaseWaiters();
    routes.openStreams.closeAll();
  });

  await app.register(healthRoutes, { db, redis });
  await app.register(metricsRoutes, { metrics, token: config.METRICS_TOKEN });
  await app.register(generationRoutes, routes);
  await app.register(videoRoutes, routes);
  await app.register(quoteRoutes, routes);
  await app.register(modelRoutes, { offers: createModelOffers(catalog), authenticate: routes.authenticate });
  const billing = createBillingService(db);
  await app.register(billingRoutes, { billing, authenticate: routes.authenticate });
  await app.register(consoleSessionRoutes, { sessions, secureCookie: baseUrl.startsWith('https:') });
  await app.register(meRoutes, { me: createMeService(db, billing), authenticate: routes.authenticate });
  // An operator's force-fail asks the upstream to cancel inside its transaction: the call must end
  // well before PostgreSQL ends a transaction left idle.
  const adminUpstream = new DashScopeClient({ timeoutMs: Math.min(config.UPSTREAM_TIMEOUT_MS, Math.floor(config.DATABASE_STATEMENT_TIMEOUT_MS / 2)), metrics });
  await app.register(adminRoutes, {
    db,
    bus,
    redis,
    redisPrefix: redisNamespace(config),
    adminToken: config.ADMIN_TOKEN,
    authFailuresPerMinute: config.ADMIN_AUTH_FAILURES_PER_MINUTE,
    secrets,
    queues,
    ending: { ...ending, upstream: adminUpstream },
    upstream: adminUpstream,
    resultUrl: (task) => links.linkFor(task),
    events,
    openStreams: routes.openStreams,
    consoleSessions: sessions,
    allowPrivateCallbackHosts: allowPrivateHosts,
  });
  // S3 hands out its own presigned links; local files are served here.
  if (storage instanceof LocalStorage) await app.register(fileRoutes, { storage });
  await app.register(consoleRoutes);
  return app;
}
