// The one place that reads the environment. Everything else receives a typed `Config`.
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import type { DatabaseOptions } from '../db/database.ts';

/** "a=1,b=2" → { a: 1, b: 2 } (already checked by the schema's pattern). */
function parseModelSeconds(text: string): Record<string, number> {
  return Object.fromEntries(text.split(',').filter(Boolean).map((pair) => [pair.split('=')[0], Number(pair.split('=')[1])]));
}

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

export const envSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'DATABASE_URL must be a postgresql:// URL' })
    .default('postgresql://postgres@127.0.0.1:5432/video_gateway'),
  DATABASE_POOL_SIZE: positiveInt.default(10),
  /** PostgreSQL cancels any one statement (and ends any transaction left idle) after this. */
  DATABASE_STATEMENT_TIMEOUT_MS: positiveInt.default(15_000),
  /** Opening a connection, or waiting for a free one, gives up after this: a stalled database answers 503, not a queue without end. */
  DATABASE_CONNECT_TIMEOUT_MS: positiveInt.default(10_000),
  /** Submits charged together in one statement at most. */
  CHARGE_BATCH_MAX: positiveInt.max(1_000).default(128),
  /**
   * Charge statements in flight at once per API process. One: while a batch is in flight the next
   * one fills, so its size follows the load, and fewer, larger statements cost PostgreSQL less per
   * submit (docs/benchmarks.md, fourth session). More only helps where a commit's flush, not the
   * CPU, is what a batch waits for.
   */
  CHARGE_BATCH_CONCURRENCY: positiveInt.default(1),
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: 'REDIS_URL must be a redis:// URL' })
    .default('redis://127.0.0.1:6379'),
  /**
   * A Redis Cluster instead of one server: some of its nodes as "host:port" pairs separated by
   * commas (the client finds the rest). Credentials and TLS still come from REDIS_URL.
   */
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(/^(?:[\w.-]+:\d{1,5}(?:,[\w.-]+:\d{1,5})*)?$/, 'REDIS_CLUSTER_NODES must look like "10.0.0.1:6379,10.0.0.2:6379"')
    .default('')
    .transform((text) => text.split(',').filter(Boolean).map((node) => ({ host: node.slice(0, node.lastIndexOf(':')), port: Number(node.slice(node.lastIndexOf(':') + 1)) }))),
  /** Namespace for every Redis key, queue and channel, so several gateways can share one Redis (on a cluster, a hash tag: {vgw}). */
  REDIS_PREFIX: z.string().regex(/^[\w.-]+$/).default('vgw'),
  /** Bearer token for /admin; the admin API refuses every request while it is empty. */
  ADMIN_TOKEN: z.string().default(''),
  /** Failed admin authentications one client address may make per minute before it gets 429. */
  ADMIN_AUTH_FAILURES_PER_MINUTE: positiveInt.default(10),
  /**
   * Encrypts upstream API keys at rest (AES-256-GCM; at least 32 characters, e.g. `openssl rand
   * -base64 32`); existing keys are encrypted at the next start. Empty: stored as given (start-up warns).
   */
  ENCRYPTION_KEY: z.union([z.string().min(32, 'ENCRYPTION_KEY must be at least 32 characters (e.g. openssl rand -base64 32)'), z.literal('')]).default(''),
  /** The previous ENCRYPTION_KEY during a rotation: values it sealed are read, and sealed again under the new one at start. */
  ENCRYPTION_KEY_PREVIOUS: z.string().default(''),
  /**
   * Proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For names the client's
   * address; empty: the connection's own address is the client's.
   */
  TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((text) => text.split(',').map((p) => p.trim()).filter(Boolean))
    .pipe(z.array(z.union([z.cidrv4(), z.cidrv6(), z.ipv4(), z.ipv6()], { error: 'TRUSTED_PROXIES must list IP addresses or CIDR ranges, comma-separated' }))),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT_BYTES: positiveInt.default(10 * 1024 * 1024),
  /**
   * How much of a refused request's body (too large, or refused before it was read) the API reads
   * and throws away so that a client still sending gets the answer; past it the connection is cut.
   */
  BODY_DISCARD_LIMIT_BYTES: positiveInt.default(64 * 1024 * 1024),
  /** Largest input_reference file a multipart create may upload. */
  UPLOAD_LIMIT_BYTES: positiveInt.default(20 * 1024 * 1024),
  /** Task rows an API process keeps in memory for polls (kept fresh by the status stream). */
  TASK_CACHE_ENTRIES: positiveInt.default(20_000),
  /** The longest `Prefer: wait=N` a request may hold its answer for, in seconds. */
  WAIT_MAX_S: positiveInt.default(60),
  /** How long a web console session (an API key exchanged for a cookie) lasts, in seconds. */
  CONSOLE_SESSION_TTL_S: positiveInt.max(86_400).default(3_600),
  /** How clients reach this gateway, for the links it hands out; default http://localhost:PORT. */
  PUBLIC_BASE_URL: z.union([z.url({ protocol: /^https?$/ }), z.literal('')]).default(''),

  // Results: the gateway's own copy of every video, kept after the upstream's 24-hour link dies.
  STORAGE_DRIVER: z.enum(['local', 's3']).default('local'),
  /** Folder of the local driver. */
  STORAGE_DIR: z.string().min(1).default('data/storage'),
  S3_BUCKET: z.string().default(''),
  S3_REGION: z.string().default('us-east-1'),
  /** For S3-compatible stores (MinIO...); empty for AWS. */
  S3_ENDPOINT: z.union([z.url({ protocol: /^https?$/ }), z.literal('')]).default(''),
  /** Where clients reach the store, when not at S3_ENDPOINT (MinIO inside a compose network). */
  S3_PUBLIC_ENDPOINT: z.union([z.url({ protocol: /^https?$/ }), z.literal('')]).default(''),
  S3_ACCESS_KEY_ID: z.string().default(''),
  S3_SECRET_ACCESS_KEY: z.string().default(''),
  S3_FORCE_PATH_STYLE: z.stringbool().default(false),
  /** Days the gateway keeps a video (and thumbnail) after the task ends. */
  RESULT_RETENTION_DAYS: positiveInt.default(30),
  /**
   * The largest result video the gateway copies (or relays before the copy exists); a larger one
   * is not kept and clients keep the upstream's link. Wan 2.7's longest 1080P videos are tens of MB.
   */
  RESULT_MAX_BYTES: positiveInt.default(256 * 1024 * 1024),
  /** How long a result link handed out stays valid. */
  RESULT_LINK_TTL_S: positiveInt.default(86_400),
  /** ffmpeg makes the thumbnails (GET /v1/videos/{id}/content?variant=thumbnail); without it there are none. */
  FFMPEG_PATH: z.string().default('ffmpeg'),

  // Webhooks: a task's end reported to its callback URL.
  WEBHOOK_TIMEOUT_MS: positiveInt.default(10_000),
  WEBHOOK_MAX_ATTEMPTS: positiveInt.default(8),
  /** Days a webhook delivery attempt is kept for operators to look at (GET /admin/webhooks). */
  WEBHOOK_RETENTION_DAYS: positiveInt.default(30),
  /** Callback URLs on loopback and private networks are refused unless this is set. */
  WEBHOOK_ALLOW_PRIVATE_HOSTS: z.stringbool().default(false),

  // Worker: how tasks travel to DashScope and back.
  /** Jobs one worker process handles at once; most of their time is spent waiting on HTTP. */
  WORKER_CONCURRENCY: positiveInt.default(50),
  /** The queues this worker consumes (e.g. give video copies workers of their own). */
  WORKER_QUEUES: z
    .string()
    .default('tasks,results,webhooks,maintenance')
    .transform((text) => text.split(',').map((q) => q.trim()).filter(Boolean))
    .pipe(z.array(z.enum(['tasks', 'results', 'webhooks', 'maintenance'])).min(1, 'WORKER_QUEUES names no queue')),
  /** A job whose worker stops renewing its lock this long (the process died) is run again elsewhere. */
  WORKER_LOCK_MS: positiveInt.default(30_000),
  /** Timeout of one HTTP request to DashScope. */
  UPSTREAM_TIMEOUT_MS: positiveInt.default(30_000),
  /**
   * On SIGTERM/SIGINT, how long a process may take to finish what it has in hand (requests,
   * held answers, upstream calls) before it exits anyway. Longer than UPSTREAM_TIMEOUT_MS, so a
   * worker stopped mid-submit always learns the upstream's answer and records it.
   */
  SHUTDOWN_DRAIN_MS: positiveInt.default(45_000),
  /** First status poll after an upstream submit, then every POLL_INTERVAL_MS (never under 5 s). */
  POLL_FIRST_DELAY_MS: positiveInt.default(5_000),
  POLL_INTERVAL_MS: positiveInt.default(12_000),
  /** How long DashScope may keep answering UNKNOWN for a task before it counts as failed. */
  UNKNOWN_GRACE_MS: positiveInt.default(120_000),
  /** Upstream request budgets per channel, for channels that do not set their own. */
  CHANNEL_SUBMIT_QPS: positiveInt.default(5),
  CHANNEL_QUERY_QPS: positiveInt.default(20),
  /** An auto-disabled channel is re-tested after this long, then twice as long each time up to CHANNEL_RETEST_MAX_S. */
  CHANNEL_RETEST_MIN_S: positiveInt.default(60),
  CHANNEL_RETEST_MAX_S: positiveInt.default(3_600),
  /** A task not finished this long after submit fails and is refunded. */
  TASK_TIMEOUT_S: positiveInt.default(3_600),
  /** Per-model exceptions to TASK_TIMEOUT_S, as "model=seconds" pairs separated by commas. */
  TASK_TIMEOUT_S_BY_MODEL: z
    .string()
    .regex(/^(?:[\w.-]+=\d+(?:,[\w.-]+=\d+)*)?$/, 'TASK_TIMEOUT_S_BY_MODEL must look like "wan2.7-videoedit=5400,wan2.7-r2v=4800"')
    .default('wan2.7-videoedit=5400')
    .transform(parseModelSeconds),
  /** How often a worker looks in PostgreSQL for tasks whose job is gone and for timed-out tasks. */
  RECONCILE_INTERVAL_MS: positiveInt.default(30_000),
  /**
   * Port of a worker process's /healthz, /readyz and /metrics, on HOST; 0 picks a free one (logged), so that
   * several workers can share a host. npm start's single process does not open it.
   */
  METRICS_PORT: port.default(9464),
  /** When set, GET /metrics (API and workers) requires `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: z.string().default(''),

  // Tracing (OpenTelemetry): off, with nothing of the SDK loaded, unless an endpoint is set.
  /** OTLP/HTTP collector base URL (traces go to <endpoint>/v1/traces, as JSON). */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.union([z.url({ protocol: /^https?$/ }), z.literal('')]).default(''),
  /** service.name of this process's spans; default wan-video-gateway-<api|worker|start>. */
  OTEL_SERVICE_NAME: z.string().default(''),

  // The built-in DashScope simulator (npm run simulator; started by npm start when no real channel exists).
  SIM_PORT: port.default(8089),
  SIM_HOST: z.string().min(1).default('127.0.0.1'),
  /** Base of the result links the simulator hands out; default http://SIM_HOST:SIM_PORT. */
  SIM_PUBLIC_URL: z.union([z.url({ protocol: /^https?$/ }), z.literal('')]).default(''),
  SIM_API_KEY: z.string().min(1).default('sk-sim'),
  SIM_PENDING_MS: z.coerce.number().int().min(0).default(2_000),
  SIM_RUNNING_MS: z.coerce.number().int().min(0).default(20_000),
  SIM_RETENTION_S: positiveInt.default(86_400),
  SIM_SUBMIT_QPS: positiveInt.default(5),
  SIM_QUERY_QPS: positiveInt.default(20),
}).superRefine((config, ctx) => {
  if (config.STORAGE_DRIVER === 's3' && !config.S3_BUCKET) {
    ctx.addIssue({ code: 'custom', path: ['S3_BUCKET'], message: 'S3_BUCKET is required when STORAGE_DRIVER is s3' });
  }
  if (config.SHUTDOWN_DRAIN_MS <= config.UPSTREAM_TIMEOUT_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['SHUTDOWN_DRAIN_MS'],
      message: `SHUTDOWN_DRAIN_MS (${config.SHUTDOWN_DRAIN_MS}) must be longer than UPSTREAM_TIMEOUT_MS (${config.UPSTREAM_TIMEOUT_MS}), or a worker stopped mid-submit would exit without the upstream's answer`,
    });
  }
});

export type Config = z.infer<typeof envSchema>;

export function databaseOptions(config: Config): DatabaseOptions {
  return {
    url: config.DATABASE_URL,
    poolSize: config.DATABASE_POOL_SIZE,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
  };
}

/** The environment does not make a valid configuration; the message lists every problem. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Parses configuration from `env` (the process environment by default), filling gaps from a
 * `.env` file in the working directory when there is one: the real environment always wins.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, envFile = '.env'): Config {
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  const merged = { ...fromFile, ...definedOnly(env) };
  const parsed = envSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new ConfigError(`Invalid configuration:\n${problems}`);
  }
  return Object.freeze(parsed.data);
}

// An empty variable counts as unset, so `PORT=` in a shell does not override the .env file.
function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
}
