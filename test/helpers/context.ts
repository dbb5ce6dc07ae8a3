// A fresh gateway per test file: its own database (cloned from the migrated template), its own
// Redis namespace, the real app listening on a real port.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { inject } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { Cluster } from 'ioredis';
import { type Config, loadConfig } from '../../src/config/env.ts';
import { createInfra, type Infra } from '../../src/infra.ts';
import { createBlockingRedis, type RedisClient, redisNamespace, redisTarget } from '../../src/lib/redis.ts';
import { withDatabase } from '../setup/database-url.ts';
import { FFMPEG } from './ffmpeg.ts';
import { freePort } from './free-port.ts';
import { type HttpClient, httpClient } from './http.ts';

export const ADMIN_TOKEN = 'test-admin-token';

export interface TestContext extends Infra {
  config: Config;
  app: FastifyInstance;
  baseUrl: string;
  http: HttpClient;
  /** For BullMQ consumers a test runs itself (they block on Redis; the infra's connection fails fast). */
  consumers: RedisClient;
  /** Raw SQL on the test's database, for fixtures and checks the API cannot express (rows as PostgreSQL names them). */
  query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Another API instance on the same database and Redis, as in a horizontally scaled deployment. */
  startPeer(): Promise<{ http: HttpClient; close(): Promise<void> }>;
  close(): Promise<void>;
}

export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(inject('databaseUrl'), 'postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function startApp(config: Config, role: string, port = 0) {
  const infra = await createInfra(config, role);
  const app = await buildApp({ config, ...infra });
  await app.listen({ port, host: '127.0.0.1' });
  const address = app.server.address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { infra, app, baseUrl, http: httpClient(baseUrl) };
}

/** Deletes the keys matching `pattern`, on every master of a cluster (KEYS asks one node). */
async function deleteKeys(redis: RedisClient, pattern: string): Promise<void> {
  for (const node of redis instanceof Cluster ? redis.nodes('master') : [redis]) {
    const keys = await node.keys(pattern);
    // On a cluster the gateway's keys share one hash slot (redisNamespace), so one DEL takes them all.
    if (keys.length) await node.del(...keys);
  }
}

export async function createTestContext(overrides: Record<string, string> = {}): Promise<TestContext> {
  const suffix = randomBytes(6).toString('hex');
  const database = `vgw_test_${suffix}`;
  await adminQuery(`CREATE DATABASE ${database} TEMPLATE ${pg.escapeIdentifier(inject('templateDatabase'))}`);
  const port = await freePort();
  const storageDir = await mkdtemp(path.join(tmpdir(), 'vgw-storage-'));
  const config = loadConfig(
    {
      PORT: String(port),
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      STORAGE_DIR: storageDir,
      DATABASE_URL: withDatabase(inject('databaseUrl'), database),
      REDIS_URL: inject('redisUrl'),
      REDIS_PREFIX: `vgwtest_${suffix}`,
      ADMIN_TOKEN,
      LOG_LEVEL: 'silent',
      FFMPEG_PATH: FFMPEG,
      ...overrides,
    },
    '/nonexistent/.env',
  );
  const main = await startApp(config, 'test', port);
  const peers: { close(): Promise<void> }[] = [];
  const fixtures = new pg.Pool({ connectionString: config.DATABASE_URL, max: 2 });
  // The database is dropped with FORCE right after the pool ends, which may still be closing a
  // connection: its error then is expected, not a failure of the test.
  fixtures.on('connect', (client) => client.on('error', () => {}));
  fixtures.on('error', () => {});
  const consumers = createBlockingRedis(redisTarget(config), `${config.REDIS_PREFIX}:test-consumers`);

  return {
    ...main.infra,
    config,
    app: main.app,
    baseUrl: main.baseUrl,
    http: main.http,
    consumers,
    query: (text, values) => fixtures.query(text, values),
    async startPeer() {
      const peer = await startApp(config, 'test-peer');
      const handle = {
        http: peer.http,
        async close() {
          await peer.app.close();
          await peer.infra.close();
        },
      };
      peers.push(handle);
      return handle;
    },
    async close() {
      for (const peer of peers) await peer.close().catch(() => {});
      await deleteKeys(main.infra.redis, `${redisNamespace(config)}:*`);
      await main.app.close();
      await main.infra.close();
      await fixtures.end();
      consumers.disconnect();
      await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}
