// The operator API, behind an admin token (admin-auth.ts): who is calling, admin tokens, users and
// their quota, API keys; channels, tasks, prices and reports live in modules of their own. Every
// change goes through mutate() (admin-mutation.ts): one transaction with its audit row, and
// Idempotency-Key.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { RedisClient } from '../../lib/redis.ts';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Db } from '../../db/database.ts';
import type { Queues } from '../../jobs/job-queue.ts';
import type { CacheBus } from '../../lib/cache-bus.ts';
import type { SecretBox } from '../../lib/secret-box.ts';
import type { EndTaskDeps } from '../../lifecycle/end-task.ts';
import type { ConsoleSessions } from '../auth/console-sessions.service.ts';
import type { OpenStreams } from '../tasks/event-stream.ts';
import type { TaskEvents } from '../tasks/task-events.ts';
import type { TaskRow } from '../tasks/tasks.repository.ts';
import type { UpstreamClient } from '../../upstream/types.ts';
import { assertCallbackUrl, type HostLookup } from '../../webhooks/callback-url.ts';
import { makeAdminAuth } from './admin-auth.ts';
import { createMutator, type Mutate } from './admin-mutation.ts';
import { channelRoutes } from './channels.routes.ts';
import { keyRoutes } from './keys.routes.ts';
import { pricingRoutes } from './pricing.routes.ts';
import { reportRoutes } from './reports.routes.ts';
import { taskRoutes } from './tasks.routes.ts';
import { tokenRoutes } from './tokens.routes.ts';
import { userRoutes } from './users.routes.ts';

export interface AdminRoutesOptions {
  db: Db;
  bus: CacheBus;
  redis: RedisClient;
  redisPrefix: string;
  adminToken: string;
  /** ADMIN_AUTH_FAILURES_PER_MINUTE. */
  authFailuresPerMinute: number;
  secrets: SecretBox;
  queues: Queues;
  /** How an operator's force-fail ends a task: the one way (src/lifecycle/end-task.ts). */
  ending: Omit<EndTaskDeps, 'db'>;
  /** Tests channels (POST /admin/channels/{id}/test). */
  upstream: Pick<UpstreamClient, 'list'>;
  /** Issues the one-time codes with which an operator opens the console as a key. */
  consoleSessions: Pick<ConsoleSessions, 'issueCode'>;
  /** The link clients get for a task's video (ResultLinks), shown in the task's detail. */
  resultUrl(task: TaskRow): Promise<string>;
  /** Changes to tasks as they are committed anywhere: the same instance the client streams follow. */
  events: TaskEvents;
  /** The event streams open now, shared with the client routes, so that shutdown closes these too. */
  openStreams: OpenStreams;
  /** WEBHOOK_ALLOW_PRIVATE_HOSTS: a key's callback_url may point at loopback and private addresses. */
  allowPrivateCallbackHosts?: boolean;
  /** Resolves callback_url hosts; default the system resolver. */
  lookup?: HostLookup;
}

/** What every group of operator routes is given. */
export interface AdminContext extends AdminRoutesOptions {
  mutate: Mutate;
  validateCallbackUrl(url: string | null | undefined): Promise<void>;
  log: FastifyBaseLogger;
}

export async function adminRoutes(app: FastifyInstance, options: AdminRoutesOptions): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.addHook(
    'onRequest',
    makeAdminAuth({
      db: options.db,
      redis: options.redis,
      redisPrefix: options.redisPrefix,
      adminToken: options.adminToken,
      failuresPerMinute: options.authFailuresPerMinute,
      log: app.log,
    }),
  );
  const context: AdminContext = {
    ...options,
    mutate: createMutator(options.db),
    log: app.log,
    async validateCallbackUrl(url) {
      if (url !== undefined && url !== null) await assertCallbackUrl(url, { allowPrivateHosts: options.allowPrivateCallbackHosts ?? false, lookup: options.lookup });
    },
  };
  for (const routes of [tokenRoutes, userRoutes, keyRoutes, channelRoutes, taskRoutes, pricingRoutes, reportRoutes]) routes(app, context);
}
