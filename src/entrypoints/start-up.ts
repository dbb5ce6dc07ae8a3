// What every entry point does before it starts anything: make sure PostgreSQL and Redis answer,
// and when something keeps the process from starting, say which setting to check and what to
// try, then exit non-zero. Without this, an unreachable PostgreSQL ended in a raw stack trace that
// never named DATABASE_URL, and an unreachable Redis left the process reconnecting forever.
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { type Config, ConfigError } from '../config/env.ts';
import { credentialsOf, type RedisTarget, redisTarget } from '../lib/redis.ts';

/** Each check gives up after this long, so a process that cannot start says so within seconds. */
const PROBE_TIMEOUT_MS = 10_000;

const DATABASE_MISSING = '3D000';
const LOGIN_REFUSED = new Set(['28P01', '28000']);

/** A reason the process cannot start, worded for the person starting it. */
export class StartUpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartUpError';
  }
}

/** The URL as it may be printed: without its password. */
export function shownUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(not a valid URL)';
  }
}

// Connection errors to several addresses (localhost is ::1 and 127.0.0.1) come as an AggregateError without a message.
function reasonOf(err: unknown): string {
  const error = err as Error & { code?: string; errors?: Error[] };
  return error.message || error.errors?.map((e) => e.message).join('; ') || error.code || String(err);
}

async function checkPostgres(databaseUrl: string, createsDatabase: boolean): Promise<void> {
  const shown = shownUrl(databaseUrl);
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    // The server answered: the database is simply not there yet, which start and db:migrate fix.
    if (code === DATABASE_MISSING) {
      if (createsDatabase) return;
      throw new StartUpError(
        `the database in DATABASE_URL (${shown}) does not exist: run npm run db:migrate (or npm start), which creates and migrates it, or correct the database name in DATABASE_URL`,
      );
    }
    if (LOGIN_REFUSED.has(code)) {
      throw new StartUpError(`PostgreSQL refused the login of DATABASE_URL (${shown}): ${reasonOf(err)}. Check that the user name and password in DATABASE_URL are right`);
    }
    throw new StartUpError(
      `cannot connect to PostgreSQL at DATABASE_URL (${shown}): ${reasonOf(err)}. Check that PostgreSQL is running and that DATABASE_URL points at it (host, port, user, password, database)`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

async function checkRedis(target: RedisTarget): Promise<void> {
  const cluster = target.clusterNodes.length > 0;
  const where = cluster
    ? `the Redis Cluster at REDIS_CLUSTER_NODES (${target.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',')})`
    : `Redis at REDIS_URL (${shownUrl(target.url)})`;
  const probeOptions = { lazyConnect: true, connectTimeout: PROBE_TIMEOUT_MS, maxRetriesPerRequest: 0 } as const;
  const redis = cluster
    ? new Cluster(target.clusterNodes, { lazyConnect: true, enableOfflineQueue: false, clusterRetryStrategy: () => null, redisOptions: { ...probeOptions, ...credentialsOf(target.url) } })
    : new Redis(target.url, { ...probeOptions, retryStrategy: () => null, enableOfflineQueue: false });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    const reason = reasonOf(err);
    if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(reason)) {
      throw new StartUpError(`${where} refused the login of REDIS_URL (${shownUrl(target.url)}): ${reason}. Check the user name and password in REDIS_URL`);
    }
    throw new StartUpError(`cannot connect to ${where}: ${reason}. Check that Redis is running and that ${cluster ? 'REDIS_CLUSTER_NODES' : 'REDIS_URL'} points at it`);
  } finally {
    redis.disconnect();
  }
}

export interface ServiceNeeds {
  /** Redis too (everything but db:migrate). */
  redis: boolean;
  /** The process creates the database when it is missing (start, db:migrate). */
  createsDatabase: boolean;
}

/** Checks PostgreSQL (and Redis) at once; every problem found is reported together. */
export async function checkServices(config: Pick<Config, 'DATABASE_URL' | 'REDIS_URL' | 'REDIS_CLUSTER_NODES'>, needs: ServiceNeeds): Promise<void> {
  const checks = [checkPostgres(config.DATABASE_URL, needs.createsDatabase), ...(needs.redis ? [checkRedis(redisTarget(config))] : [])];
  const problems = (await Promise.allSettled(checks)).flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new StartUpError(problems.map((p) => p.message).join('\n  and '));
}

function explain(err: unknown): string {
  if (err instanceof StartUpError || err instanceof ConfigError) return err.message;
  if ((err as { code?: string }).code === 'EADDRINUSE') {
    return `${reasonOf(err)}: another process listens there; stop it, or set PORT (SIM_PORT for the simulator) to a free port`;
  }
  // Nothing known: the whole story helps whoever has to find out.
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/** Runs an entry point's start-up; whatever stops it is printed for a person, and the process exits with 1. */
export async function startUp(name: string, start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (err) {
    console.error(`[${name}] cannot start: ${explain(err)}`);
    process.exit(1);
  }
}
